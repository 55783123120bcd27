/**
 * `kill -9` of the daemon while jobs are pending and running, then a restart:
 * every job ends in its right state, none is lost, none runs twice. The daemon
 * runs as a separate process (the built package), killed for real.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { caller } from './helpers/api-caller.js';
import { spawnDaemon } from './helpers/child-daemon.js';
import { MONGO_URL, mongoDatabases } from './helpers/mongo.js';
import { ADMIN_TOKEN, baseConfig, type ExecutorKind } from './helpers/test-daemon.js';

const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

const newMongoDatabase = mongoDatabases('godocker_crash');

describe.each<[ExecutorKind, 'sqlite' | 'mongodb']>([
  ['docker', 'sqlite'],
  ['swarm', 'sqlite'],
  ['kubernetes', 'sqlite'],
  ['local', 'sqlite'],
  ['local', 'mongodb'],
])('kill -9 of the daemon (%s executor, %s store)', (kind, storeType) => {
  it('loses no job and runs none twice', async () => {
    const root = mkdtempSync(join(tmpdir(), `godocker-crash-${kind}-`));
    chmodSync(root, 0o711);
    const out = join(root, 'out');
    mkdirSync(out);
    chmodSync(out, 0o777);
    // The admin's jobs start in its home, which must exist.
    const home = join(root, 'admin-home');
    mkdirSync(home);
    chownSync(home, 1000, 1000);
    const base = baseConfig(kind, join(root, 'data'));
    const config = {
      ...base,
      ...(storeType === 'mongodb' ? { store: { type: 'mongodb', url: MONGO_URL, database: newMongoDatabase() } } : {}),
      auth: { admin: { home } },
      executor: {
        type: kind,
        // A Kubernetes node's capacity is what the cluster says it can give (2 cpu here).
        options: kind === 'kubernetes' ? base.executor?.options : { ...base.executor?.options, capacity: { cpu: 4, ram: 16384 } },
      },
      limits: { defaultCpu: 0.5, defaultRam: 64, killGraceSeconds: 1 },
      volumes: [{ name: 'out', hostPath: out, mode: 'rw' }],
    };
    const first = await spawnDaemon(config, children);
    const admin = caller(first.url, ADMIN_TOKEN);
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await admin.call<Job>('POST', '/api/v1/jobs', {
        command: { script: `echo $GODOCKER_JOB_ID >> ${out}/ran.log; sleep 2; exit ${i % 2 === 0 ? 0 : 3}` },
        container: { volumes: [{ name: 'out' }] },
      });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    // 8 fit at once (4 cpu / 0.5; 4 on Kubernetes): some run, the rest wait.
    const started = await admin.call<{ timedOut: boolean }>('GET', `/api/v1/jobs/${ids[0]}/wait?for=started&timeout=30`);
    expect(started.body.timedOut).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await spawnDaemon(config, children);
    const again = caller(second.url, ADMIN_TOKEN);
    const all = await again.call<{ ready: Job[]; timedOut: boolean }>('POST', '/api/v1/jobs/wait', {
      ids,
      mode: 'all',
      timeout: 120,
    });
    expect(all.status).toBe(200);
    expect(all.body.timedOut).toBe(false);
    const byId = new Map(all.body.ready.map((j) => [j.id, j]));
    ids.forEach((id, i) => {
      const j = byId.get(id);
      expect(j?.status.state, `job ${id}: ${j?.status.reason}`).toBe(i % 2 === 0 ? 'done' : 'failed');
      expect(j?.status.exitCode, `job ${id}: ${j?.status.reason}`).toBe(i % 2 === 0 ? 0 : 3);
    });
    const ran = readFileSync(join(out, 'ran.log'), 'utf8')
      .trim()
      .split('\n')
      .map(Number)
      .sort((a, b) => a - b);
    expect(ran).toEqual([...ids].sort((a, b) => a - b));
  }, 180_000);
});

describe('kill -9 of the daemon right after a kill of a running job (docker executor)', () => {
  it('records the end as that kill, with the signal it took, once the daemon is back', async () => {
    const root = mkdtempSync(join(tmpdir(), 'godocker-crash-kill-'));
    chmodSync(root, 0o711);
    const config = {
      ...baseConfig('docker', join(root, 'data')),
      limits: { defaultCpu: 0.5, defaultRam: 64, killGraceSeconds: 1 },
    };
    const first = await spawnDaemon(config, children);
    const admin = caller(first.url, ADMIN_TOKEN);
    const s = await admin.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 300' } });
    expect(s.status).toBe(201);
    const id = s.body.id;
    for (let i = 0; ; i++) {
      const j = await admin.call<Job>('GET', `/api/v1/jobs/${id}`);
      if (j.body.status.containerId !== null) break;
      if (i > 300) throw new Error(`job ${id} got no container in 30 s: ${j.body.status.reason}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The kill is answered once the task has stopped (1 s of grace): the daemon dies before that.
    const killing = admin.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'kill' }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 400));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await killing;
    // Whether or not the stop reached the engine, the task has ended by the time the daemon is back.
    await new Promise((r) => setTimeout(r, 3000));

    const second = await spawnDaemon(config, children);
    const again = caller(second.url, ADMIN_TOKEN);
    const w = await again.call<{ job: Job; timedOut: boolean }>('GET', `/api/v1/jobs/${id}/wait?for=terminated&timeout=60`);
    expect(w.body.timedOut).toBe(false);
    // sleep is PID 1 of its container and ignores SIGTERM: the engine's SIGKILL after the grace ends it.
    expect(w.body.job.status).toMatchObject({ state: 'failed', reason: 'killed by admin', exitCode: 137, signal: 'SIGKILL' });
  }, 120_000);
});
