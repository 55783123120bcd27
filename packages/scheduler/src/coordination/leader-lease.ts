/**
 * One leader among the daemons of a cluster, by a lease in Redis with a fencing token.
 *
 * The lease key expires `leaseMs` after the last renewal Redis carried out, so a dead leader
 * is replaced within about `leaseMs + acquireEveryMs`. A leader that cannot renew (Redis away,
 * process paused by SIGSTOP or a long GC) cannot know what Redis decided meanwhile, so it
 * counts itself leader only until `send time of its last successful renewal + leaseMs −
 * safetyMarginMs` on the monotonic clock (and on the wall clock, which goes on while a host
 * is suspended): Redis started the key's time after we sent, so our deadline falls before
 * the key's expiry, and a woken process reads an expired deadline before it acts.
 *
 * The epoch is the fencing token: each leadership's is greater than any before, so a store
 * can refuse the writes of a leader that no longer is. A Redis restarted without persistence
 * forgets the counter; the next epoch still exceeds every epoch a running daemon has seen
 * (each attempt lifts the counter to what its daemon knows) and, with `minEpoch`, every
 * epoch the store has seen, which also covers daemons that are gone. When Redis comes back
 * empty while an epoch was known, nobody leads for one lease period: the last leader may
 * still count on its deadline, and two leaders at once is what the lease is for preventing.
 *
 * ```ts
 * const lease = new RedisLeaderLease({ redis: 'redis://127.0.0.1:6379', key: coordinationKeys(id).leader, holder: daemonId });
 * lease.onAcquired((epoch) => engine.startScheduling(epoch));
 * lease.onLost((loss) => engine.stopScheduling(loss.reason));
 * await lease.start();
 * // before each scheduling write: store.write(..., { epoch: lease.requireEpoch() })
 * await lease.stop(); // releases the key: a follower takes over at once
 * ```
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, InvalidStateError, type Logger } from '@godocker/sdk';
import type { Redis } from 'ioredis';
import { type LeaseLossReason, LeaseLostError, NotLeaderError } from './coordination-errors.js';
import { epochKeyFor } from './coordination-keys.js';
import { ACQUIRE, parseLeaseValue, REDIS_RESTARTED, RELEASE, RENEW } from './lease-scripts.js';
import { RateLimitedWarning, silentLogger } from './rate-limited-warning.js';
import { closeConnection, connect, type RedisConnection, withTimeout } from './redis-connection.js';

export interface RedisLeaderLeaseOptions {
  /** A client (shared, left open by stop) or a URL (a client of ours, failing fast while Redis is away). */
  redis: Redis | string;
  /** `godocker:<clusterId>:leader`, see `coordinationKeys`. */
  key: string;
  /** The fencing-token counter; by default the lease key with `:leader` replaced by `:epoch`. */
  epochKey?: string;
  /** This daemon's id. */
  holder: string;
  /** Default 10000. */
  leaseMs?: number;
  /** How often the leader renews; default leaseMs / 3. */
  renewEveryMs?: number;
  /** How often a follower tries to acquire; default leaseMs / 4. */
  acquireEveryMs?: number;
  /** Taken off the deadline against clock-rate drift and scheduling delay; default leaseMs / 10. */
  safetyMarginMs?: number;
  /**
   * The greatest epoch the store has seen. Each acquisition's epoch exceeds it, so that a Redis
   * that restarted without its counter cannot hand out a fencing token the store already
   * accepted. When it throws, no acquisition is tried (one with an unknown floor is unsafe).
   */
  minEpoch?: () => Promise<number>;
  logger?: Logger;
  /** The monotonic clock, in ms; performance.now by default. */
  now?: () => number;
  /** The wall clock, in ms; Date.now by default. */
  wallNow?: () => number;
}

interface Held {
  epoch: number;
  value: string;
  /** On the monotonic clock: leader strictly before it. */
  deadline: number;
  /**
   * The same deadline on the wall clock. Linux's monotonic clock stands still while the host or
   * VM is suspended, and Redis's does not; the wall clock goes on. Leader only before both: a
   * wall clock set back is caught by the monotonic one, a suspension by the wall clock.
   */
  wallDeadline: number;
}

type Listener<T> = (value: T) => void;

interface SendTimes {
  mono: number;
  wall: number;
}

export class RedisLeaderLease {
  readonly holder: string;
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  readonly acquireEveryMs: number;
  readonly safetyMarginMs: number;

  readonly #key: string;
  readonly #epochKey: string;
  readonly #connection: RedisConnection;
  readonly #minEpoch: (() => Promise<number>) | undefined;
  readonly #logger: Logger;
  readonly #warning: RateLimitedWarning;
  readonly #now: () => number;
  readonly #wallNow: () => number;
  /** Tells our own value apart from that of an earlier run of the same daemon. */
  readonly #token: string;

  #running = false;
  #stopped = false;
  #held: Held | null = null;
  #tickTimer: NodeJS.Timeout | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  /** The greatest epoch this instance has seen in Redis: a floor for the next one when Redis forgot. */
  #highestSeen = 0;
  readonly #acquiredListeners = new Set<Listener<number>>();
  readonly #lostListeners = new Set<Listener<LeaseLostError>>();

  constructor(options: RedisLeaderLeaseOptions) {
    this.holder = options.holder;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.renewEveryMs = options.renewEveryMs ?? this.leaseMs / 3;
    this.acquireEveryMs = options.acquireEveryMs ?? this.leaseMs / 4;
    this.safetyMarginMs = options.safetyMarginMs ?? this.leaseMs / 10;
    if (!(this.leaseMs >= 100)) throw new ConfigError('the lease must last at least 100 ms', 'coordination.leaseMs');
    if (!(this.safetyMarginMs >= 0 && this.renewEveryMs > 0 && this.acquireEveryMs > 0)) {
      throw new ConfigError('renewEveryMs, acquireEveryMs and safetyMarginMs must be positive', 'coordination');
    }
    // A renewal must have time to go and come back before the deadline it extends.
    if (this.renewEveryMs * 2 > this.leaseMs - this.safetyMarginMs) {
      throw new ConfigError(
        `renewEveryMs (${this.renewEveryMs}) must be at most half of leaseMs - safetyMarginMs (${this.leaseMs - this.safetyMarginMs})`,
        'coordination.renewEveryMs',
      );
    }
    this.#key = options.key;
    this.#epochKey = options.epochKey ?? epochKeyFor(options.key);
    this.#minEpoch = options.minEpoch;
    this.#logger = options.logger ?? silentLogger;
    this.#warning = new RateLimitedWarning(this.#logger);
    this.#now = options.now ?? (() => performance.now());
    this.#wallNow = options.wallNow ?? (() => Date.now());
    this.#token = `${randomBytes(8).toString('hex')}:${options.holder}`;
    this.#connection = connect(options.redis, this.#logger);
  }

  /**
   * Begins competing; resolves after the first attempt, so a lone daemon leads as soon as this
   * returns. A lease is started once: after stop, make a new one.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    if (this.#stopped) throw new InvalidStateError('this leader lease was stopped; create a new one to compete again');
    this.#running = true;
    await waitReady(this.#connection.client, Math.min(this.leaseMs, 2000));
    await this.#tick();
  }

  /**
   * Stops renewing and competing. By default releases the key when it is ours, so a follower
   * takes over at once instead of after the lease; `{ release: false }` leaves it to expire
   * (what a crash does). Either way onLost is told.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#running = false;
    this.#stopped = true;
    clearTimeout(this.#tickTimer);
    await this.#inFlight;
    if (options.release ?? true) await this.release();
    else if (this.#held) this.#lose('stopped');
    await closeConnection(this.#connection);
  }

  /**
   * Gives up leadership now and deletes the key if it is still ours (compare-and-delete, so a
   * key a successor took is left alone). A lease that keeps running competes again from the
   * next attempt. Resolves true when the key was deleted.
   */
  async release(): Promise<boolean> {
    const held = this.#held;
    if (!held) return false;
    this.#lose('released');
    return await this.#deleteIfOurs(held.value);
  }

  /** Leader now: holds the lease and its deadline has not passed. A lease found expired is lost here and then. */
  isLeader(): boolean {
    const held = this.#held;
    if (!held) return false;
    if (this.#remainingMs(held) <= 0) {
      this.#lose('deadline-passed');
      return false;
    }
    return true;
  }

  /** The fencing token of the current leadership, null when not leader. */
  epoch(): number | null {
    return this.isLeader() ? (this.#held?.epoch ?? null) : null;
  }

  /** The fencing token for a write only the leader may do; throws NotLeaderError otherwise. */
  requireEpoch(): number {
    const epoch = this.epoch();
    if (epoch === null) throw new NotLeaderError(this.holder);
    return epoch;
  }

  /** How long this daemon may still act as leader without a further renewal (0 when not leader). */
  validForMs(): number {
    const held = this.#held;
    return held && this.isLeader() ? this.#remainingMs(held) : 0;
  }

  #remainingMs(held: Held): number {
    return Math.min(held.deadline - this.#now(), held.wallDeadline - this.#wallNow());
  }

  /** When the caller sends a command that, if it succeeds, makes the key ours for leaseMs from then on. */
  #sendTimes(): SendTimes {
    return { mono: this.#now(), wall: this.#wallNow() };
  }

  /** Called with the epoch each time this daemon becomes leader. Returns the function that unsubscribes. */
  onAcquired(listener: (epoch: number) => void): () => void {
    this.#acquiredListeners.add(listener);
    return () => this.#acquiredListeners.delete(listener);
  }

  /** Called the moment a leadership ends, whatever the cause. Returns the function that unsubscribes. */
  onLost(listener: (loss: LeaseLostError) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  async #tick(): Promise<void> {
    if (!this.#running) return;
    const attempt = (this.#held ? this.#renew() : this.#tryAcquire()).catch((error: unknown) => {
      this.#warning.warn({ err: errorMessage(error), key: this.#key }, 'leader lease: redis did not answer');
    });
    this.#inFlight = attempt;
    await attempt;
    this.#inFlight = undefined;
    if (!this.#running) return;
    this.#tickTimer = setTimeout(() => void this.#tick(), this.#held ? this.renewEveryMs : this.acquireEveryMs);
    this.#tickTimer.unref();
  }

  // An answer later than this is no use: the deadline it would set is already past.
  get #commandTimeoutMs(): number {
    return this.leaseMs - this.safetyMarginMs;
  }

  async #tryAcquire(): Promise<void> {
    const client = this.#connection.client;
    let floor = this.#highestSeen;
    if (this.#minEpoch) {
      // Asking the store costs more than asking Redis whether the lease is free.
      const current = await withTimeout(client.get(this.#key), this.#commandTimeoutMs, 'the lease key');
      if (current !== null) {
        this.#see(current);
        return;
      }
      const min = await this.#minEpoch();
      if (!Number.isSafeInteger(min) || min < 0) throw new ConfigError(`minEpoch() gave ${min}, not a non-negative integer`);
      floor = Math.max(floor, min);
    }
    const sentAt = this.#sendTimes();
    const reply = await withTimeout(
      client.eval(ACQUIRE, 2, this.#key, this.#epochKey, this.#token, String(this.leaseMs), String(floor)),
      this.#commandTimeoutMs,
      'a lease acquisition',
    );
    const [won, value] = Array.isArray(reply) ? reply : [];
    const parsed = this.#see(value);
    if (!parsed) return;
    if (value === REDIS_RESTARTED) {
      this.#warning.warn({ key: this.#key }, 'leader lease: redis lost its data; no leader for one lease period');
      return;
    }
    if (won === 1) {
      await this.#claim(parsed.epoch, value as string, sentAt);
    } else if (parsed.token === this.#token) {
      // An earlier acquisition of ours succeeded but its answer was lost (timeout, disconnect):
      // the key is ours; a renewal gives a send time to count the deadline from.
      await this.#adopt(parsed.epoch, value as string);
    }
  }

  async #adopt(epoch: number, value: string): Promise<void> {
    const sentAt = this.#sendTimes();
    const renewed = await withTimeout(
      this.#connection.client.eval(RENEW, 2, this.#key, this.#epochKey, value, String(this.leaseMs), String(epoch)),
      this.#commandTimeoutMs,
      'a lease renewal',
    );
    if (renewed === 1) await this.#claim(epoch, value, sentAt);
  }

  async #claim(epoch: number, value: string, sentAt: SendTimes): Promise<void> {
    const valid = this.leaseMs - this.safetyMarginMs;
    const held: Held = { epoch, value, deadline: sentAt.mono + valid, wallDeadline: sentAt.wall + valid };
    if (!this.#running || this.#remainingMs(held) <= 0) {
      // Stopped meanwhile, or the answer came too late to lead on: hand it on at once.
      await this.#deleteIfOurs(value);
      return;
    }
    this.#held = held;
    this.#armDeadline();
    this.#logger.info({ key: this.#key, holder: this.holder, epoch }, 'leader lease acquired');
    for (const listener of [...this.#acquiredListeners]) this.#call(listener, epoch);
  }

  async #renew(): Promise<void> {
    const held = this.#held;
    if (!held || !this.isLeader()) return;
    const sentAt = this.#sendTimes();
    const renewed = await withTimeout(
      this.#connection.client.eval(RENEW, 2, this.#key, this.#epochKey, held.value, String(this.leaseMs), String(held.epoch)),
      this.#commandTimeoutMs,
      'a lease renewal',
    );
    // Lost meanwhile (deadline passed, released): a late success must not bring it back.
    if (this.#held !== held) return;
    if (renewed !== 1) {
      this.#lose('renewal-refused');
      return;
    }
    const valid = this.leaseMs - this.safetyMarginMs;
    held.deadline = Math.max(held.deadline, sentAt.mono + valid);
    held.wallDeadline = Math.max(held.wallDeadline, sentAt.wall + valid);
    if (this.isLeader()) this.#armDeadline();
  }

  #armDeadline(): void {
    clearTimeout(this.#deadlineTimer);
    const held = this.#held;
    if (!held) return;
    // Tells onLost listeners at the deadline even when the renewal hangs; isLeader() does not wait for this timer.
    this.#deadlineTimer = setTimeout(
      () => {
        if (this.isLeader()) this.#armDeadline();
      },
      Math.max(0, this.#remainingMs(held)) + 1,
    );
    this.#deadlineTimer.unref();
  }

  #lose(reason: LeaseLossReason): void {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    clearTimeout(this.#deadlineTimer);
    const level = reason === 'released' || reason === 'stopped' ? 'info' : 'warn';
    this.#logger[level]({ key: this.#key, holder: this.holder, epoch: held.epoch, reason }, 'leader lease lost');
    const loss = new LeaseLostError(reason, held.epoch);
    for (const listener of [...this.#lostListeners]) this.#call(listener, loss);
    if (reason === 'deadline-passed' && this.#running) {
      // If the key is still ours (Redis kept it, only we were slow), free it so the next leader need not wait for it.
      void this.#deleteIfOurs(held.value);
    }
  }

  async #deleteIfOurs(value: string): Promise<boolean> {
    try {
      const deleted = await withTimeout(this.#connection.client.eval(RELEASE, 1, this.#key, value), 1000, 'a lease release');
      return deleted === 1;
    } catch (error) {
      this.#warning.warn({ err: errorMessage(error), key: this.#key }, 'leader lease: could not release; it will expire');
      return false;
    }
  }

  #see(value: unknown): ReturnType<typeof parseLeaseValue> {
    const parsed = parseLeaseValue(value);
    if (parsed) this.#highestSeen = Math.max(this.#highestSeen, parsed.epoch);
    else if (value !== null && value !== undefined) {
      this.#warning.warn(
        { key: this.#key },
        'leader lease: the key holds something that is not a lease; waiting for it to expire',
      );
    }
    return parsed;
  }

  #call<T>(listener: Listener<T>, value: T): void {
    try {
      listener(value);
    } catch (error) {
      this.#logger.error({ err: errorMessage(error) }, 'leader lease listener threw');
    }
  }
}

/** Waits (bounded) for a client still connecting, so start's first attempt is not refused for being early. */
async function waitReady(client: Redis, ms: number): Promise<void> {
  if (client.status === 'ready' || client.status === 'end') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.once('ready', done);
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
