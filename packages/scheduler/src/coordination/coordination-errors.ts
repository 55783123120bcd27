/**
 * What the coordination layer tells a caller that can act on it: leadership ended (stop
 * scheduling now), this daemon is not the leader (do not write as one), Redis could not be
 * reached in time (try again later). GodockerError subclasses, so `GodockerError.is` and the
 * stable codes work across two copies of the library.
 */
import { ErrorCodes, GodockerError } from '@godocker/sdk';

/**
 * Why a leadership ended:
 * - `renewal-refused`: the lease key no longer holds our value (expired and taken, or Redis restarted);
 * - `deadline-passed`: no renewal succeeded in time (Redis away, or this process was paused);
 * - `released`: we gave it up (stop or release);
 * - `stopped`: we stopped without releasing (the key expires on its own).
 */
export type LeaseLossReason = 'renewal-refused' | 'deadline-passed' | 'released' | 'stopped';

/** Handed to `onLost`: the leader of `epoch` must act as a follower from now on. */
export class LeaseLostError extends GodockerError {
  readonly reason: LeaseLossReason;
  readonly epoch: number;

  constructor(reason: LeaseLossReason, epoch: number, cause?: unknown) {
    super(ErrorCodes.UNAVAILABLE, `leadership of epoch ${epoch} lost: ${reason}`, cause === undefined ? {} : { cause });
    this.name = 'LeaseLostError';
    this.reason = reason;
    this.epoch = epoch;
  }
}

/** Thrown by `requireEpoch()`: whatever needed leadership must not be done by this daemon. */
export class NotLeaderError extends GodockerError {
  constructor(holder: string) {
    super(ErrorCodes.UNAVAILABLE, `daemon ${holder} is not the leader (or its lease has expired): only the leader may do this`);
    this.name = 'NotLeaderError';
  }
}

/** Redis did not answer in time, or the connection is down; the operation may be retried. */
export class CoordinationUnavailableError extends GodockerError {
  constructor(what: string, cause?: unknown) {
    super(ErrorCodes.UNAVAILABLE, `redis could not be reached for ${what}`, cause === undefined ? {} : { cause });
    this.name = 'CoordinationUnavailableError';
  }
}
