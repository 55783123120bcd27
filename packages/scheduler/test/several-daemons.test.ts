/**
 * A site: three daemons on one store (FerretDB) and one Redis, jobs on the shared Docker
 * engine. Every daemon answers the API (followers forward what the leader holds); one leads.
 * kill -9 of the leader under a queue: a follower leads within the lease and 1 s, and every
 * job ends in its right state, none lost, none run twice. Each daemon is its own process
 * (the built packages), killed for real.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job, SiteStatus } from '@godocker/sdk';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caller } from './helpers/api-caller.js';
import { spawnDaemon } from './helpers/child-daemon.js';
import { MONGO_URL, mongoDatabases } from './helpers/mongo.js';
import { startRedisServer, type TestRedisServer } from './helpers/redis-server.js';
import { ADMIN_TOKEN, baseConfig } from './helpers/test-daemon.js';

const LEASE_MS = 2_000;
const children: ChildProcess[] = [];
const newDatabase = mongoDatabases('godocker_site');

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** The URL the lease's holder advertises, or null while nobody leads. */
async function leaderOf(redis: Redis, clusterId: string): Promise<string | null> {
  const value = await redis.get(`godocker:${clusterId}:leader`);
  const token = value?.split('|')[1] ?? '';
  const url = token.slice(token.indexOf(':') + 1);
  return url.startsWith('http') ? url : null;
}

describe('three daemons, one store, one Redis', () => {
  let redisServer: TestRedisServer;
  let redis: Redis;
  let root: string;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = new Redis(redisServer.url);
    root = mkdtempSync(join(tmpdir(), 'godocker-site-'));
    chmodSync(root, 0o711);
  });

  afterAll(async () => {
    redis?.disconnect();
    await redisServer?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('kill -9 of the leader under a queue: a follower leads within the lease and 1 s; no job lost, none run twice', async () => {
    const out = join(root, 'out');
    mkdirSync(out);
    chmodSync(out, 0o777);
    const home = join(root, 'admin-home');
    mkdirSync(home);
    chownSync(home, 1000, 1000);
    const database = newDatabase();
    const configOf = (i: number) => {
      const base = baseConfig('docker', join(root, `data-${i}`));
      return {
        ...base,
        auth: { admin: { home } },
        executor: { type: 'docker', options: { ...base.executor?.options, capacity: { cpu: 4, ram: 16384 } } },
        store: { type: 'mongodb', url: MONGO_URL, database },
        coordination: { type: 'redis', url: redisServer.url, leaseMs: LEASE_MS },
        limits: { defaultCpu: 0.5, defaultRam: 64, killGraceSeconds: 1 },
        volumes: [{ name: 'out', hostPath: out, mode: 'rw' }],
        scheduler: { tickSeconds: 1, reconcileSeconds: 2 },
      };
    };
    // The first makes the cluster (its id, the admin); the others join it.
    const daemons = [await spawnDaemon(configOf(0), children)];
    daemons.push(await spawnDaemon(configOf(1), children), await spawnDaemon(configOf(2), children));
    const clusterId = await until(10, async () => {
      for (const key of await redis.keys('godocker:*:leader')) return key.split(':')[1];
      return undefined;
    });
    const leaderUrl = await until(10, () => leaderOf(redis, clusterId).then((u) => u ?? undefined));
    const leader = daemons.find((d) => d.url === leaderUrl);
    expect(leader, `the leader ${leaderUrl} is one of the daemons`).toBeDefined();
    const followers = daemons.filter((d) => d !== leader);
    const [f1, f2] = followers.map((d) => caller(d.url, ADMIN_TOKEN)) as [ReturnType<typeof caller>, ReturnType<typeof caller>];

    // Every daemon says who it is; any of them answers for all.
    const status = await until(10, async () => {
      const r = await f2.call<SiteStatus>('GET', '/api/v1/status');
      return r.body.daemons.filter((d) => d.role !== 'stopped').length === 3 ? r.body : undefined;
    });
    expect(status.daemons.filter((d) => d.role === 'leader').map((d) => d.url)).toEqual([leaderUrl]);
    expect(status.daemons.filter((d) => d.role === 'follower')).toHaveLength(2);
    for (const d of status.daemons) expect(d.executors).toEqual([{ name: 'docker', answers: true }]);

    // Submitted through a follower: forwarded to the leader, which schedules it.
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await f1.call<Job>('POST', '/api/v1/jobs', {
        command: { script: `echo $GODOCKER_JOB_ID >> ${out}/ran.log; sleep 1; exit ${i % 4 === 0 ? 3 : 0}` },
        container: { volumes: [{ name: 'out' }] },
      });
      expect(r.status, r.text).toBe(201);
      if (i === 0) expect(r.headers.get('x-godocker-forwarded-to')).toBe(leaderUrl);
      ids.push(r.body.id);
    }
    // A wait held on the other follower hears the leader's events (the shared bus).
    const firstEnd = await f2.call<{ job: Job; timedOut: boolean }>(
      'GET',
      `/api/v1/jobs/${ids[1]}/wait?for=terminated&timeout=60`,
    );
    expect(firstEnd.body.timedOut).toBe(false);
    expect(firstEnd.body.job.status.state).toBe('done');

    leader?.child.kill('SIGKILL');
    const killedAt = Date.now();
    const next = await until(LEASE_MS / 1000 + 10, async () => {
      const url = await leaderOf(redis, clusterId);
      return url && url !== leaderUrl ? url : undefined;
    });
    const takeover = Date.now() - killedAt;
    expect(takeover, `a follower leads ${takeover} ms after the kill`).toBeLessThanOrEqual(LEASE_MS + 1_000);
    expect(followers.map((d) => d.url)).toContain(next);

    const all = await f2.call<{ ready: Job[]; timedOut: boolean }>('POST', '/api/v1/jobs/wait', {
      ids,
      mode: 'all',
      timeout: 150,
    });
    expect(all.status).toBe(200);
    expect(all.body.timedOut).toBe(false);
    const byId = new Map(all.body.ready.map((j) => [j.id, j]));
    ids.forEach((id, i) => {
      const j = byId.get(id);
      expect(j?.status.state, `job ${id}: ${JSON.stringify(j?.status.history)}`).toBe(i % 4 === 0 ? 'failed' : 'done');
    });
    // The new leader says so; the killed one, silent since, is stale.
    await until(20, async () => {
      const r = await f2.call<SiteStatus>('GET', '/api/v1/status');
      const leaderNow = r.body.daemons.find((d) => d.role === 'leader' && !d.stale);
      const gone = r.body.daemons.find((d) => d.url === leaderUrl);
      return leaderNow?.url === next && gone?.stale ? true : undefined;
    });
    const ran = readFileSync(join(out, 'ran.log'), 'utf8')
      .trim()
      .split('\n')
      .map(Number)
      .sort((a, b) => a - b);
    const twice = ran.filter((id, i) => ran[i - 1] === id);
    const histories = twice.map((id) => `job ${id}: ${JSON.stringify(byId.get(id)?.status.history)}`);
    expect(ran, histories.join('\n')).toEqual([...ids].sort((a, b) => a - b));
  }, 240_000);
});

async function until<T>(seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`not within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
