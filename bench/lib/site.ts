/**
 * A site for a benchmark: several daemons (each its own process, startBenchDaemon) on one
 * MongoDB-wire database and one Redis, as README's "Several daemons" runs them. The first
 * makes the cluster (its id, the admin); the others join it. Only the leader schedules;
 * followers forward writes to it.
 */
import type { JobEvent } from '@godocker/sdk';
import { MongoClient } from 'mongodb';
import type { BenchDaemon, DaemonSetup } from './daemon.js';
import { startBenchDaemon } from './daemon.js';

export const MONGO_URL = process.env.GODOCKER_MONGO_URL ?? 'mongodb://127.0.0.1:27017/';

export interface SiteSetup {
  daemons: number;
  database: string;
  redisUrl: string;
  leaseMs: number;
  executor: DaemonSetup['executor'];
  capacity?: DaemonSetup['capacity'];
  /** Config on top (scheduler tick, limits...). */
  config?: DaemonSetup['config'];
}

/** One more daemon of the site (the first one makes the cluster). */
export function startSiteDaemon(setup: SiteSetup): Promise<BenchDaemon> {
  return startBenchDaemon({
    executor: setup.executor,
    ...(setup.capacity ? { capacity: setup.capacity } : {}),
    config: {
      ...setup.config,
      store: { type: 'mongodb', url: MONGO_URL, database: setup.database },
      coordination: { type: 'redis', url: setup.redisUrl, leaseMs: setup.leaseMs },
    },
  });
}

/** Starts the daemons one after the other; on a failure, stops those already started. */
export async function startSite(setup: SiteSetup): Promise<BenchDaemon[]> {
  const daemons: BenchDaemon[] = [];
  try {
    for (let i = 0; i < setup.daemons; i++) daemons.push(await startSiteDaemon(setup));
    return daemons;
  } catch (e) {
    await Promise.allSettled(daemons.map((d) => d.stop()));
    throw e;
  }
}

/**
 * The leader, once every daemon of `daemons` reports itself (GET /api/v1/status, which any
 * daemon answers from the store) and exactly one of them leads.
 */
export async function siteLeader(daemons: readonly BenchDaemon[], limitMs = 30_000): Promise<BenchDaemon> {
  const until = Date.now() + limitMs;
  const asked = daemons[daemons.length - 1] as BenchDaemon;
  for (;;) {
    const status = await asked.client.status().catch(() => null);
    if (status) {
      // Only these daemons: one killed a moment ago is still listed, not yet stale, as it last said.
      const live = status.daemons.filter((d) => !d.stale && d.role !== 'stopped' && daemons.some((b) => b.url === d.url));
      const leaders = live.filter((d) => d.role === 'leader');
      const all = daemons.every((b) => live.some((d) => d.url === b.url));
      const leader = daemons.find((b) => b.url === leaders[0]?.url);
      if (all && leaders.length === 1 && leader) return leader;
    }
    if (Date.now() > until) throw new Error(`no single leader among the ${daemons.length} daemons within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Calls `onEvent` for each job event on `daemon`'s GET /api/v1/events until `signal` aborts;
 * resolves once the stream is connected, so no change after that is missed.
 */
export async function followEvents(daemon: BenchDaemon, signal: AbortSignal, onEvent: (event: JobEvent) => void): Promise<void> {
  let connected: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    connected = resolve;
  });
  void (async () => {
    try {
      for await (const event of daemon.client.events({ signal, onConnect: () => connected() }) as AsyncIterable<JobEvent>) {
        onEvent(event);
      }
    } catch {
      // Aborted, or the daemon stopped.
    }
  })();
  await ready;
}

/** Drops the benchmark's databases (never fails the benchmark for it). */
export async function dropDatabases(names: readonly string[]): Promise<void> {
  const client = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 10_000 });
  try {
    for (const name of names)
      await client
        .db(name)
        .dropDatabase()
        .catch(() => undefined);
  } finally {
    await client.close();
  }
}
