/**
 * The daemon's incremental queue end to end (local executor, real SQLite): a
 * queue deeper than the page the daemon reads at start comes back whole after a
 * restart, with every job's reason; jobs that wait for a dependency join the
 * queue when it ends, or fail at once when it never can.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

/** More than the daemon reads at a time when it starts (LOAD_PAGE, 5,000), so the reading crosses pages; the most a submit answers whole. */
const TASKS = 10_000;

async function explain(who: Caller, id: number): Promise<{ code: string; message: string; priority: { total: number } | null }> {
  const r = await who.call<{ code: string; message: string; priority: { total: number } | null }>(
    'GET',
    `/api/v1/jobs/${id}/explain`,
  );
  expect(r.status).toBe(200);
  return r.body;
}

async function submit(who: Caller, body: Record<string, unknown>): Promise<Job> {
  const r = await who.call<Job>('POST', '/api/v1/jobs', body);
  expect(r.status, r.text).toBe(201);
  return r.body;
}

describe('the incremental queue of the daemon', () => {
  let dataDir: string | undefined;
  let home: string | undefined;
  let t: TestDaemon | undefined;
  afterAll(async () => {
    await t?.stop();
    for (const dir of [dataDir, home]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('comes back whole after a restart, and lets dependent jobs in when their dependency ends', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'godocker-queue-'));
    // The admin's home outlives the first daemon: its jobs start there after the restart.
    home = await mkdtemp(join(tmpdir(), 'godocker-queue-home-'));
    await chmod(home, 0o755);
    const config = { auth: { admin: { home } } };
    t = await startTestDaemon('local', config, dataDir);
    const beginAt = new Date(Date.now() + 3600_000).toISOString();
    // The depth: an array whose tasks wait for their begin time, an hour ahead.
    const deep = await submit(t.admin, { command: { script: 'true' }, array: `1-${TASKS}`, beginAt });
    expect(deep.array?.created).toBe(TASKS);
    const first = await submit(t.admin, { command: { script: 'exit 0' }, hold: true });
    const bad = await submit(t.admin, { command: { script: 'exit 3' }, hold: true });
    const next = await submit(t.admin, {
      command: { script: 'echo next' },
      dependencies: [{ type: 'afterok', jobId: first.id }],
    });
    const doomed = await submit(t.admin, { command: { script: 'true' }, dependencies: [{ type: 'afterok', jobId: bad.id }] });
    expect((await explain(t.admin, next.id)).message).toBe(`waits for job ${first.id} (held) to succeed`);
    await t.stop();

    t = await startTestDaemon('local', config, dataDir);
    const admin = t.admin;
    const tasks = await admin.call<{ jobs: Job[] }>('GET', `/api/v1/jobs?parent=${deep.id}&limit=1`);
    const lastTask = tasks.body.jobs[0] as Job;
    for (const id of [deep.id + 1, deep.id + 5_001, lastTask.id]) {
      const why = await explain(admin, id);
      expect(why.code, `task ${id}`).toBe('BeginTime');
      expect(why.message).toMatch(/^waits for its begin time /);
      expect(why.priority?.total).toBeGreaterThan(0);
    }
    expect(lastTask.taskIndex).toBe(TASKS);
    // The restarted queue runs what it must: the held jobs released, their dependents after them.
    for (const id of [first.id, bad.id]) {
      expect((await admin.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'release' })).status).toBe(200);
    }
    const ran = await waitJob(admin, next.id, 'terminated', 60);
    expect(ran.status.state, JSON.stringify(ran.status)).toBe('done');
    const never = await waitJob(admin, doomed.id, 'terminated', 60);
    expect(never.status.state).toBe('failed');
    expect(never.status.reason).toBe(`dependency afterok:${bad.id} can never be met: job ${bad.id} failed`);
    expect(never.status.startedAt).toBeNull();
    // The depth did not start, and still says why.
    const parent = await admin.call<Job>('GET', `/api/v1/jobs/${deep.id}`);
    expect(parent.body.array?.tasks).toEqual({ pending: TASKS });
  }, 180_000);
});
