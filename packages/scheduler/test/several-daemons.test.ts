/**
 * A site: three daemons on one store (FerretDB) and one Redis, jobs on the shared Docker
 * engine. Every daemon answers the API (followers forward what the leader holds); one leads.
 * Each daemon is its own process (the built packages), killed, frozen and woken for real,
 * and every container start is counted from the engine's own events, by job label: a job
 * started twice shows there whatever the store says.
 *
 * - kill -9 of the leader under 1,000 jobs: a follower leads within the lease and 1 s;
 *   every job ends in its right state, none lost, none started twice.
 * - SIGSTOP of the leader for twice the lease, then SIGCONT: the woken one starts nothing
 *   and steps down.
 * - Redis restarted empty under a queue: the daemons go on, a leader is elected again,
 *   nothing is lost.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Job, SiteStatus } from '@godocker/sdk';
import { TASK_LABELS } from '@godocker/sdk';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, caller } from './helpers/api-caller.js';
import { spawnDaemon } from './helpers/child-daemon.js';
import { waitFor } from './helpers/coordination-waits.js';
import { sampleValue } from './helpers/exposition.js';
import { MONGO_URL, mongoDatabases } from './helpers/mongo.js';
import { startRedisServer, type TestRedisServer } from './helpers/redis-server.js';
import { ADMIN_TOKEN, baseConfig } from './helpers/test-daemon.js';

const LEASE_MS = 2_000;
const EPOCH_LABEL = 'godocker.epoch';
const children: ChildProcess[] = [];
const newDatabase = mongoDatabases('godocker_site');
const docker = new Docker();

afterEach(() => {
  for (const c of children.splice(0)) {
    c.kill('SIGCONT');
    if (c.exitCode === null) c.kill('SIGKILL');
  }
});

interface Started {
  jobId: number;
  epoch: number;
  /** The engine's clock, ms. */
  at: number;
}

/** Every container start of the cluster, as the Docker engine reports it. */
async function countStarts(clusterId: string): Promise<{ starts: Started[]; stop(): void }> {
  const stream = (await docker.getEvents({
    filters: { type: ['container'], event: ['start'], label: [`${TASK_LABELS.cluster}=${clusterId}`] },
  })) as unknown as Readable;
  const starts: Started[] = [];
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as { timeNano: number; Actor: { Attributes: Record<string, string> } };
      const labels = e.Actor.Attributes;
      starts.push({ jobId: Number(labels[TASK_LABELS.job]), epoch: Number(labels[EPOCH_LABEL]), at: e.timeNano / 1e6 });
    }
  });
  return { starts, stop: () => stream.destroy() };
}

interface Daemon {
  child: ChildProcess;
  url: string;
  api: Caller;
}

interface Site {
  daemons: Daemon[];
  clusterId: string;
  out: string;
  /** The URL the lease's holder advertises, or null while nobody leads. */
  leaderUrl(): Promise<string | null>;
  leader(): Promise<Daemon>;
  starts: Started[];
}

describe('three daemons, one store, one Redis', () => {
  let redisServer: TestRedisServer;
  let redis: Redis;
  let root: string;
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    root = mkdtempSync(join(tmpdir(), 'godocker-site-'));
    chmodSync(root, 0o711);
  });

  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  afterAll(async () => {
    redis?.disconnect();
    await redisServer?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function startSite(name: string, capacity: { cpu: number; ram: number }): Promise<Site> {
    const dir = join(root, name);
    const out = join(dir, 'out');
    mkdirSync(out, { recursive: true });
    chmodSync(out, 0o777);
    const home = join(dir, 'admin-home');
    mkdirSync(home);
    chownSync(home, 1000, 1000);
    const database = newDatabase();
    const configOf = (i: number) => {
      const base = baseConfig('docker', join(dir, `data-${i}`));
      return {
        ...base,
        auth: { admin: { home } },
        executor: { type: 'docker', options: { ...base.executor?.options, capacity } },
        store: { type: 'mongodb', url: MONGO_URL, database },
        coordination: { type: 'redis', url: redisServer.url, leaseMs: LEASE_MS },
        limits: { defaultCpu: 0.5, defaultRam: 64, killGraceSeconds: 1 },
        volumes: [{ name: 'out', hostPath: out, mode: 'rw' }],
        scheduler: { tickSeconds: 1, reconcileSeconds: 2 },
      };
    };
    // The first makes the cluster (its id, the admin); the others join it.
    const spawned = [await spawnDaemon(configOf(0), children)];
    spawned.push(await spawnDaemon(configOf(1), children), await spawnDaemon(configOf(2), children));
    const daemons = spawned.map((d) => ({ child: d.child, url: d.url, api: caller(d.url, ADMIN_TOKEN) }));
    const clusterId = spawned[0]?.clusterId as string;
    const counter = await countStarts(clusterId);
    stops.push(counter.stop);
    const leaderUrl = async () => {
      const value = await redis.get(`godocker:${clusterId}:leader`).catch(() => null);
      const token = value?.split('|')[1] ?? '';
      const url = token.slice(token.indexOf(':') + 1);
      return url.startsWith('http') ? url : null;
    };
    const leader = async () => {
      const url = await until(15, () => leaderUrl().then((u) => u ?? undefined));
      const d = daemons.find((x) => x.url === url);
      if (!d) throw new Error(`the leader ${url} is none of the site's daemons`);
      return d;
    };
    return { daemons, clusterId, out, leaderUrl, leader, starts: counter.starts };
  }

  /** Submits through `api` (a follower: forwarded), `width` at a time, in order. */
  async function submitAll(api: Caller, scripts: string[], width = 16): Promise<number[]> {
    const ids: number[] = new Array(scripts.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < scripts.length) {
          const i = next++;
          const r = await api.call<Job>('POST', '/api/v1/jobs', {
            command: { script: scripts[i] },
            container: { volumes: [{ name: 'out' }] },
          });
          if (r.status !== 201) throw new Error(`submit ${i}: ${r.status} ${r.text}`);
          ids[i] = r.body.id;
        }
      }),
    );
    return ids;
  }

  /** Waits on `api` for every job to end (long-polls of at most 120 s each); their states, checked against `expected`. */
  async function expectEnds(api: Caller, ids: number[], expected: (i: number) => string, seconds: number) {
    const byId = new Map<number, Job>();
    const end = Date.now() + seconds * 1000;
    for (;;) {
      const left = ids.filter((id) => !byId.has(id));
      if (left.length === 0) break;
      const timeout = Math.min(120, Math.max(1, Math.ceil((end - Date.now()) / 1000)));
      const all = await api.call<{ ready: Job[]; timedOut: boolean }>('POST', '/api/v1/jobs/wait', {
        ids: left,
        mode: 'all',
        timeout,
      });
      expect(all.status, all.text.slice(0, 500)).toBe(200);
      for (const j of all.body.ready) byId.set(j.id, j);
      if (!all.body.timedOut) continue;
      if (Date.now() >= end) break;
    }
    const wrong = ids
      .map((id, i) => ({ id, want: expected(i), job: byId.get(id) }))
      .filter((x) => x.job?.status.state !== x.want)
      .map((x) => `job ${x.id}: want ${x.want}, ${JSON.stringify(x.job?.status.history ?? 'not ended')}`);
    expect(wrong.slice(0, 10), `${wrong.length} of ${ids.length} jobs did not end as they should`).toEqual([]);
    return byId;
  }

  /** Each job's container was started exactly once, by the engine's events. */
  function expectStartedOnce(site: Site, ids: number[]): void {
    const count = new Map<number, number>();
    for (const s of site.starts) count.set(s.jobId, (count.get(s.jobId) ?? 0) + 1);
    const twice = [...count].filter(([, n]) => n > 1).map(([id, n]) => `job ${id} started ${n} times`);
    const never = ids.filter((id) => !count.has(id)).map((id) => `job ${id} never started`);
    expect([...twice, ...never].slice(0, 10)).toEqual([]);
  }

  it('/metrics: godocker_leader is 1 on the leader alone, and moves with the lease; every daemon counts the same store', async () => {
    const site = await startSite('metrics', { cpu: 2, ram: 16384 });
    const leader = await site.leader();
    const gauges = async (d: Daemon) => {
      const text = (await d.api.call('GET', '/metrics')).text;
      return {
        leads: sampleValue(text, 'godocker_leader'),
        done: sampleValue(text, 'godocker_jobs', { state: 'done', project: 'default' }) ?? 0,
      };
    };
    const done = await leader.api.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' } });
    expect(done.status, done.text).toBe(201);
    await until(60, async () => ((await gauges(leader)).done === 1 ? true : undefined));
    for (const d of site.daemons) expect(await gauges(d)).toEqual({ leads: d === leader ? 1 : 0, done: 1 });

    leader.child.kill('SIGKILL');
    const next = await until(LEASE_MS / 1000 + 10, async () => {
      const url = await site.leaderUrl();
      return url && url !== leader.url ? url : undefined;
    });
    const followers = site.daemons.filter((d) => d !== leader);
    const heir = followers.find((d) => d.url === next) as Daemon;
    await until(10, async () => ((await gauges(heir)).leads === 1 ? true : undefined));
    expect((await Promise.all(followers.map(gauges))).map((g) => g.leads).sort()).toEqual([0, 1]);
  }, 120_000);

  it('kill -9 of the leader under 1,000 jobs: a follower leads within the lease and 1 s; none lost, none started twice', async () => {
    const site = await startSite('kill', { cpu: 4, ram: 16384 });
    const leader = await site.leader();
    const [f1, f2] = site.daemons.filter((d) => d !== leader) as [Daemon, Daemon];

    // Every daemon says who it is; any of them answers for all.
    const status = await until(10, async () => {
      const r = await f2.api.call<SiteStatus>('GET', '/api/v1/status');
      return r.body.daemons.filter((d) => d.role !== 'stopped').length === 3 ? r.body : undefined;
    });
    expect(status.daemons.filter((d) => d.role === 'leader').map((d) => d.url)).toEqual([leader.url]);
    expect(status.daemons.filter((d) => d.role === 'follower')).toHaveLength(2);
    for (const d of status.daemons) expect(d.executors).toEqual([{ name: 'docker', answers: true }]);

    // Submitted through a follower: forwarded to the leader, which schedules it.
    const probe = await f1.api.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' } });
    expect(probe.status, probe.text).toBe(201);
    expect(probe.headers.get('x-godocker-forwarded-to')).toBe(leader.url);
    const scripts = Array.from({ length: 1_000 }, (_, i) => `exit ${i % 10 === 0 ? 3 : 0}`);
    const ids = await submitAll(f1.api, scripts);
    // A wait held on the other follower hears the leader's events (the shared bus).
    const firstEnd = await f2.api.call<{ job: Job; timedOut: boolean }>(
      'GET',
      `/api/v1/jobs/${ids[1]}/wait?for=terminated&timeout=120`,
    );
    expect(firstEnd.body.timedOut).toBe(false);
    expect(firstEnd.body.job.status.state).toBe('done');

    // Killed while most of the queue is still pending or running.
    await until(120, async () => (site.starts.length >= 100 ? true : undefined));
    leader.child.kill('SIGKILL');
    const killedAt = Date.now();
    const next = await until(LEASE_MS / 1000 + 10, async () => {
      const url = await site.leaderUrl();
      return url && url !== leader.url ? url : undefined;
    });
    const takeover = Date.now() - killedAt;
    expect(takeover, `a follower leads ${takeover} ms after the kill`).toBeLessThanOrEqual(LEASE_MS + 1_000);
    expect([f1.url, f2.url]).toContain(next);
    const endedBefore = site.starts.length;
    expect(endedBefore, 'the kill came with jobs still to start').toBeLessThan(1_000);

    await expectEnds(f2.api, [probe.body.id, ...ids], (i) => (i > 0 && (i - 1) % 10 === 0 ? 'failed' : 'done'), 900);
    expectStartedOnce(site, [probe.body.id, ...ids]);
    // The new leader says so; the killed one, silent since, is stale.
    await until(20, async () => {
      const r = await f2.api.call<SiteStatus>('GET', '/api/v1/status');
      const leaderNow = r.body.daemons.find((d) => d.role === 'leader' && !d.stale);
      const gone = r.body.daemons.find((d) => d.url === leader.url);
      return leaderNow?.url === next && gone?.stale ? true : undefined;
    });
  }, 1_200_000);

  it('SIGSTOP of the leader for twice the lease, then SIGCONT: it starts nothing once woken, and steps down', async () => {
    const site = await startSite('stop', { cpu: 2, ram: 16384 });
    const leader = await site.leader();
    const [f1] = site.daemons.filter((d) => d !== leader) as [Daemon, Daemon];
    const oldEpoch = await until(10, async () => {
      const r = await f1.api.call<SiteStatus>('GET', '/api/v1/status');
      return r.body.daemons.find((d) => d.url === leader.url && d.role === 'leader')?.epoch ?? undefined;
    });
    // Four at a time, a second each: the leader is in the middle of starts when it freezes.
    const scripts = Array.from({ length: 60 }, (_, i) => `sleep 1; exit ${i % 6 === 0 ? 3 : 0}`);
    const ids = await submitAll(f1.api, scripts);
    await until(60, async () => (site.starts.length >= 8 ? true : undefined));

    leader.child.kill('SIGSTOP');
    const next = await until(LEASE_MS / 1000 + 10, async () => {
      const url = await site.leaderUrl();
      return url && url !== leader.url ? url : undefined;
    });
    await new Promise((r) => setTimeout(r, Math.max(0, 2 * LEASE_MS - 1_000)));
    const wokeAt = Date.now();
    leader.child.kill('SIGCONT');

    // The woken daemon knows it no longer leads: it says so itself.
    await until(15, async () => {
      const r = await leader.api.call<SiteStatus>('GET', '/api/v1/status');
      const me = r.body.daemons.find((d) => d.url === leader.url);
      return me?.role === 'follower' ? true : undefined;
    });
    const r = await leader.api.call<SiteStatus>('GET', '/api/v1/status');
    expect(r.body.daemons.filter((d) => d.role === 'leader' && !d.stale).map((d) => d.url)).toEqual([next]);

    await expectEnds(f1.api, ids, (i) => (i % 6 === 0 ? 'failed' : 'done'), 300);
    expectStartedOnce(site, ids);
    // Every start after it woke was the new leader's: the old epoch's all came before.
    const late = site.starts.filter((s) => s.epoch === oldEpoch && s.at >= wokeAt);
    expect(late.map((s) => `job ${s.jobId} started by epoch ${s.epoch} after the old leader woke`)).toEqual([]);
    const epochs = new Set(site.starts.map((s) => s.epoch));
    expect(
      [...epochs].every((e) => e >= oldEpoch),
      `every start carries an epoch: ${[...epochs]}`,
    ).toBe(true);
    expect(epochs.size, 'both leaders started jobs').toBe(2);
  }, 600_000);

  it('Redis restarted empty under a queue: the daemons go on, a leader is elected again, nothing lost', async () => {
    const site = await startSite('redis', { cpu: 2, ram: 16384 });
    const leader = await site.leader();
    const [f1, f2] = site.daemons.filter((d) => d !== leader) as [Daemon, Daemon];
    const scripts = Array.from({ length: 60 }, (_, i) => `sleep 1; exit ${i % 6 === 0 ? 3 : 0}`);
    const ids = await submitAll(f1.api, scripts);
    await until(60, async () => (site.starts.length >= 8 ? true : undefined));

    await redisServer.restart();
    // The lease was lost with Redis' data; one daemon takes it again, with a later epoch than any before.
    const again = await site.leader();
    expect(site.daemons).toContain(again);
    const status = await until(20, async () => {
      const s = await f2.api.call<SiteStatus>('GET', '/api/v1/status');
      const leaders = s.body.daemons.filter((d) => d.role === 'leader' && !d.stale);
      return leaders.length === 1 && leaders[0]?.url === again.url ? s.body : undefined;
    });
    expect(status.daemons.filter((d) => !d.stale)).toHaveLength(3);

    // Submits go on through any daemon, and wait on another.
    const more = await submitAll(f2.api, ['exit 0', 'exit 0', 'exit 0']);
    await expectEnds(f1.api, [...ids, ...more], (i) => (i < ids.length && i % 6 === 0 ? 'failed' : 'done'), 300);
    expectStartedOnce(site, [...ids, ...more]);
  }, 600_000);
});

/** The shared bounded wait, in seconds; a probe that throws (a daemon killed or frozen mid-call) counts as not yet. */
function until<T>(seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor('the site to get there', seconds * 1000, () => probe().catch(() => undefined));
}
