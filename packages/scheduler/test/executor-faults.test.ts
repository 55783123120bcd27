/**
 * Short faults must not fail work: an engine restarted under a queue, a data folder that turns
 * read-only while jobs run. Both on real parts: a Docker engine of the test's own that is
 * really stopped and started, and a tmpfs data folder really remounted read-only.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateEngine, startPrivateEngine } from '../../plugins/test/helpers/private-docker.js';
import type { Caller } from './helpers/api-caller.js';
import { logsOf, startTestDaemon, type TestDaemon, tasksOf, until, waitJob } from './helpers/test-daemon.js';

describe('the Docker engine stops for 30 s under a queue of 100 jobs', () => {
  let engine: PrivateEngine;
  let t: TestDaemon;
  let alice: Caller;
  const runs = mkdtempSync(join(tmpdir(), 'godocker-runs-'));
  chmodSync(runs, 0o777);

  beforeAll(async () => {
    engine = await startPrivateEngine();
    t = await startTestDaemon('docker', {
      executor: { options: { socketPath: engine.socketPath, capacity: { cpu: 4, ram: 4096 } } },
      volumes: [{ name: 'runs', hostPath: runs, containerPath: '/runs', mode: 'rw' }],
      limits: { defaultCpu: 1 },
    });
    alice = await t.addUser('alice', 2001);
  });
  afterAll(async () => {
    await t?.stop();
    await engine?.destroy();
    rmSync(runs, { recursive: true, force: true });
  });

  it('requeues the jobs it could not start (ExecutorUnavailable), starts them when it is back: 100 done, none twice', async () => {
    // mkdir fails on a second run of the same task, so a task run twice would end failed.
    const s = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'mkdir /runs/$GODOCKER_TASK_ID && sleep 0.3' },
      container: { volumes: [{ name: 'runs' }] },
      array: '1-100',
    });
    expect(s.status).toBe(201);
    const parent = s.body.id;
    await until('a few tasks done', 60, async () =>
      (await tasksOf(alice, parent)).filter((j) => j.status.state === 'done').length >= 4 ? true : undefined,
    );

    const stoppedAt = Date.now();
    await engine.stop();
    const waiting = await until('a task waiting for the executor', 20, async () => {
      const j = (await tasksOf(alice, parent)).find((x) => x.status.state === 'pending');
      if (!j) return undefined;
      const why = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${j.id}/explain`);
      return why.body.code === 'ExecutorUnavailable' ? why.body : undefined;
    });
    expect(waiting.message).toMatch(/executor does not answer.*docker/i);
    // While the engine is away, no task that never ran is failed.
    const failed = (await tasksOf(alice, parent)).filter((j) => j.status.state === 'failed');
    expect(failed.map((j) => j.status.reason)).toEqual([]);
    // Away for 30 s, as long as an engine upgrade or a machine reboot keeps it.
    await delay(Math.max(0, 30_000 - (Date.now() - stoppedAt)));
    await engine.start();

    const end = await waitJob(alice, parent, 'terminated', 180);
    const tasks = await tasksOf(alice, parent);
    const notDone = tasks.filter((j) => j.status.state !== 'done').map((j) => [j.id, j.status.reason]);
    expect(notDone).toEqual([]);
    expect(tasks).toHaveLength(100);
    expect(end.status.state).toBe('done');
    expect(readdirSync(runs)).toHaveLength(100);
    // Some tasks were requeued while the engine was away, and their history says why.
    const requeued = tasks.filter((j) =>
      j.status.history.some((x) => /requeued: the executor could not start it/.test(x.reason)),
    );
    expect(requeued.length).toBeGreaterThan(0);
  }, 300_000);
});

describe('the jobs folder of the data folder turns read-only for 10 s while jobs run', () => {
  let t: TestDaemon;
  let alice: Caller;
  const dataDir = mkdtempSync(join(tmpdir(), 'godocker-rofs-'));
  // The jobs' directories (their logs) get a file system of their own: one the test can remount read-only while the
  // store (SQLite, always open for writing) goes on. That is what a full or failing log disk does.
  const logs = join(dataDir, 'jobs');

  beforeAll(async () => {
    chmodSync(dataDir, 0o711);
    mkdirSync(logs);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'tmpfs', logs]);
    t = await startTestDaemon('docker', { executor: { options: { capacity: { cpu: 8, ram: 4096 } } } }, dataDir);
    alice = await t.addUser('alice', 2001);
  });
  afterAll(async () => {
    execFileSync('mount', ['-o', 'remount,rw', logs]);
    await t?.stop();
    execFileSync('umount', ['-l', logs]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails no job that ran well: every one ends done with its output once the folder is writable again', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 24; i++) {
      const s = await alice.call<Job>('POST', '/api/v1/jobs', {
        command: { script: `echo out-$GODOCKER_JOB_ID; sleep ${(i % 4) * 0.5 + 1}` },
        requirements: { cpu: 1 },
      });
      expect(s.status).toBe(201);
      ids.push(s.body.id);
    }
    await waitJob(alice, ids[0] as number, 'started', 60);
    execFileSync('mount', ['-o', 'remount,ro', logs]);
    // Jobs end meanwhile, and new ones cannot start (their log folders cannot be made): nothing fails.
    await delay(10_000);
    const meanwhile = await alice.call<{ jobs: Job[] }>('GET', '/api/v1/jobs?state=failed');
    expect(meanwhile.body.jobs.map((j) => j.status.reason)).toEqual([]);
    execFileSync('mount', ['-o', 'remount,rw', logs]);

    for (const id of ids) {
      const job = await waitJob(alice, id, 'terminated', 120);
      expect([id, job.status.state, job.status.reason]).toEqual([id, 'done', 'exited with code 0']);
      expect(await logsOf(alice, id)).toBe(`out-${id}\n`);
    }
  }, 300_000);

  it('says why in the words of the file system: read-only, not ENOENT', async () => {
    execFileSync('mount', ['-o', 'remount,ro', logs]);
    try {
      const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' } });
      expect(s.status).toBe(201);
      const why = await until('the job waiting for the data folder', 20, async () => {
        const r = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${s.body.id}/explain`);
        return r.body.code === 'ExecutorUnavailable' ? r.body : undefined;
      });
      expect(why.message).toContain(`cannot write ${join(logs, String(s.body.id))}: read-only file system (EROFS)`);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', logs]);
    }
  });
});
