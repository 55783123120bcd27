/**
 * The Redis connections of the coordination layer. A caller may hand over its own client
 * (shared, never closed here) or a URL (a client of ours, closed by stop). Ours fail fast
 * when Redis is away instead of queueing: a lease renewal or an event that waits in a queue
 * until Redis is back would arrive too late to mean anything.
 */
import type { Logger } from '@godocker/sdk';
import { Redis, type RedisOptions } from 'ioredis';
import { CoordinationUnavailableError } from './coordination-errors.js';
import { RateLimitedWarning } from './rate-limited-warning.js';

export interface RedisConnection {
  client: Redis;
  /** Ours to close. */
  owned: boolean;
}

const RECONNECT: Partial<RedisOptions> = {
  // Retry for ever, at most every second: the daemon outlives a Redis restart.
  retryStrategy: (attempt: number) => Math.min(50 * attempt, 1000),
  connectTimeout: 2000,
};

export function connect(redis: Redis | string, logger: Logger, options: Partial<RedisOptions> = {}): RedisConnection {
  if (typeof redis !== 'string') return { client: redis, owned: false };
  const client = new Redis(redis, { ...RECONNECT, enableOfflineQueue: false, maxRetriesPerRequest: 1, ...options });
  watchErrors(client, logger);
  return { client, owned: true };
}

/** A client of ours modelled on `source` (same server, auth, db), for the subscriber mode one connection cannot share. */
export function duplicateOf(source: Redis | string, logger: Logger, options: Partial<RedisOptions>): Redis {
  const client =
    typeof source === 'string' ? new Redis(source, { ...RECONNECT, ...options }) : source.duplicate({ ...RECONNECT, ...options });
  watchErrors(client, logger);
  return client;
}

// Without a listener ioredis prints every reconnection failure to the console.
function watchErrors(client: Redis, logger: Logger): void {
  const warning = new RateLimitedWarning(logger);
  client.on('error', (error: Error) => warning.warn({ err: error.message }, 'redis connection error (reconnecting)'));
}

export async function closeConnection(connection: RedisConnection, timeoutMs = 1000): Promise<void> {
  if (!connection.owned) return;
  await closeClient(connection.client, timeoutMs);
}

/** QUIT, or a hard disconnect when Redis does not answer it in time. */
export async function closeClient(client: Redis, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end') return;
  try {
    await withTimeout(client.quit(), timeoutMs, 'quit');
  } catch {
    // Redis is away: nothing to say goodbye to.
  } finally {
    client.disconnect();
  }
}

/** A command that does not answer within `ms` counts as failed; its late answer, if any, is ignored. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CoordinationUnavailableError(`${what} (no answer within ${Math.round(ms)} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    // The loser of the race must not surface as an unhandled rejection.
    promise.catch(() => {});
  }
}
