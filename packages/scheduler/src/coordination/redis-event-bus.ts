/**
 * Job events shared by every daemon of a cluster over Redis pub/sub, behind the same
 * EventBus interface as the in-process one, so long-poll waits and SSE streams on any
 * daemon hear the changes any daemon makes.
 *
 * A daemon's own events are delivered to its listeners at publish, not when Redis echoes
 * them back (the echo is recognised by this bus's instance id and skipped): a local wait
 * sees its own change at once, and still sees it while Redis is away. Pub/sub keeps
 * nothing for a subscriber that was disconnected, so after each reconnection `onResync`
 * tells listeners that events may have been missed and the store must be re-read; the same
 * is asked of every daemon by a bus whose publish failed, once it is connected again.
 *
 * ```ts
 * const bus = new RedisEventBus({ redis: url, channel: coordinationKeys(clusterId).events, daemonId });
 * await bus.start();
 * bus.subscribe((event) => waiters.wake(event.job.id));
 * bus.onResync(() => waiters.recheckAll());
 * bus.publish({ type: 'job', job, previousState: 'pending' });
 * await bus.stop();
 * ```
 */
import { randomBytes } from 'node:crypto';
import type { JobEvent, Logger } from '@godocker/sdk';
import type { Redis } from 'ioredis';
import { type EventBus, type JobListener, LocalEventBus } from '../events/event-bus.js';
import { CoordinationUnavailableError } from './coordination-errors.js';
import { decodeEnvelope, encodeEnvelope, jobEnvelope, resyncEnvelope } from './event-envelope.js';
import { RateLimitedWarning, silentLogger } from './rate-limited-warning.js';
import { closeClient, closeConnection, connect, duplicateOf, type RedisConnection, withTimeout } from './redis-connection.js';

export interface RedisEventBusOptions {
  /** A client to publish with (shared, left open by stop; the subscriber is a duplicate of it) or a URL. */
  redis: Redis | string;
  /** `godocker:<clusterId>:events`, see `coordinationKeys`. */
  channel: string;
  /** This daemon's id, carried in each message for the logs of the others. */
  daemonId: string;
  logger?: Logger;
  /** Messages longer than this (in characters) are dropped unread; default 8 Mi. */
  maxMessageLength?: number;
  /** How long start waits for the first subscription; default 10 s. */
  startTimeoutMs?: number;
  /** At most one warning per this many ms for dropped messages and failed publishes; default 10 s. */
  warnEveryMs?: number;
}

/**
 * Why listeners should re-read the store: this bus's subscription was cut and is back, or
 * another daemon could not publish some of its events.
 */
export type ResyncReason = 'resubscribed' | 'peer-dropped-events';

export class RedisEventBus implements EventBus {
  readonly channel: string;
  readonly daemonId: string;
  /** Tells this bus's own messages apart, also from another bus of the same daemon. */
  readonly instance: string;

  readonly #local = new LocalEventBus();
  readonly #publisher: RedisConnection;
  readonly #subscriber: Redis;
  readonly #logger: Logger;
  readonly #dropWarning: RateLimitedWarning;
  readonly #publishWarning: RateLimitedWarning;
  readonly #maxMessageLength: number;
  readonly #startTimeoutMs: number;
  readonly #resyncListeners = new Set<(reason: ResyncReason) => void>();
  #subscribed = false;
  #stopped = false;
  /** A publish failed since the publisher was last ready: the others must be asked to resync. */
  #dropped = false;

  constructor(options: RedisEventBusOptions) {
    this.channel = options.channel;
    this.daemonId = options.daemonId;
    this.instance = randomBytes(8).toString('hex');
    this.#logger = options.logger ?? silentLogger;
    this.#dropWarning = new RateLimitedWarning(this.#logger, options.warnEveryMs);
    this.#publishWarning = new RateLimitedWarning(this.#logger, options.warnEveryMs);
    this.#maxMessageLength = options.maxMessageLength ?? 8 * 1024 * 1024;
    this.#startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.#publisher = connect(options.redis, this.#logger);
    // Resubscription is ours, not ioredis's: only we know when it is done, which is when a resync may begin.
    // The offline queue lets start's SUBSCRIBE wait for a connection still being made.
    this.#subscriber = duplicateOf(options.redis, this.#logger, {
      autoResubscribe: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.#receive(message);
    });
    this.#subscriber.on('ready', () => {
      if (this.#subscribed && !this.#stopped) void this.#resubscribe();
    });
    this.#publisher.client.on('ready', () => {
      if (this.#dropped && !this.#stopped) this.#askResync();
    });
  }

  /** Subscribes; resolves once Redis confirmed it. Throws CoordinationUnavailableError when Redis could not be reached in time. */
  async start(): Promise<void> {
    try {
      await withTimeout(this.#subscriber.subscribe(this.channel), this.#startTimeoutMs, `subscribing to ${this.channel}`);
    } catch (error) {
      await this.stop();
      throw error instanceof CoordinationUnavailableError
        ? error
        : new CoordinationUnavailableError(`subscribing to ${this.channel}`, error);
    }
    this.#subscribed = true;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#resyncListeners.clear();
    await Promise.all([closeClient(this.#subscriber), closeConnection(this.#publisher)]);
  }

  /** Delivered to this daemon's listeners now, and sent to the other daemons. Never throws. */
  publish(event: JobEvent): void {
    this.#local.publish(event);
    if (this.#stopped) return;
    let message: string;
    try {
      message = encodeEnvelope(jobEnvelope(this.daemonId, this.instance, event));
    } catch (error) {
      this.#publishWarning.warn(
        { err: errorMessage(error), job: event.job.id },
        'event bus: event could not be encoded; not sent',
      );
      return;
    }
    this.#publisher.client.publish(this.channel, message).catch((error: unknown) => {
      this.#dropped = true;
      this.#publishWarning.warn(
        { err: errorMessage(error), job: event.job.id, channel: this.channel },
        'event bus: redis unavailable, event not sent to the other daemons (they will be asked to re-read the store)',
      );
    });
  }

  subscribe(listener: JobListener): () => void {
    return this.#local.subscribe(listener);
  }

  /**
   * Called when events may have been missed: after this bus resubscribed following a
   * disconnection, or when another daemon reports it could not publish. Listeners should
   * re-read what they wait for from the store. Returns the function that unsubscribes.
   */
  onResync(listener: (reason: ResyncReason) => void): () => void {
    this.#resyncListeners.add(listener);
    return () => this.#resyncListeners.delete(listener);
  }

  #receive(message: string): void {
    const decoded = decodeEnvelope(message, this.#maxMessageLength);
    if (!decoded.ok) {
      this.#dropWarning.warn(
        { channel: this.channel, why: decoded.why },
        'event bus: dropped a message that is not a valid job event',
      );
      return;
    }
    const { envelope } = decoded;
    if (envelope.instance === this.instance) return; // delivered at publish
    if (envelope.kind === 'resync') this.#resync('peer-dropped-events');
    else this.#local.publish(envelope.event);
  }

  async #resubscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.channel);
    } catch (error) {
      // The next 'ready' tries again; until then nothing arrives, and the resync after it covers the gap.
      this.#dropWarning.warn({ err: errorMessage(error), channel: this.channel }, 'event bus: resubscribing failed');
      return;
    }
    this.#logger.info({ channel: this.channel }, 'event bus resubscribed after a disconnection; listeners re-read the store');
    this.#resync('resubscribed');
  }

  #askResync(): void {
    this.#publisher.client.publish(this.channel, encodeEnvelope(resyncEnvelope(this.daemonId, this.instance))).then(
      () => {
        this.#dropped = false;
      },
      (error: unknown) =>
        this.#publishWarning.warn({ err: errorMessage(error) }, 'event bus: could not ask the others to resync'),
    );
  }

  #resync(reason: ResyncReason): void {
    for (const listener of [...this.#resyncListeners]) {
      try {
        listener(reason);
      } catch (error) {
        this.#logger.error({ err: errorMessage(error) }, 'event bus resync listener threw');
      }
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
