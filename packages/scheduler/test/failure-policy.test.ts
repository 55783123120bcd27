/**
 * The failure policy (GoDocker's failure_policy): a running job whose task vanished, with
 * nobody here having stopped it, is requeued `scheduler.failurePolicy.requeues` times, then
 * fails with a reason that names the node. A vanished task is made for real on the local
 * executor: its task folder removed, its monitor and its job's processes killed, as when a
 * node dies under it.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Job, taskKey } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

/** Runs of a job so far: how often it went to running. */
const runs = (job: Job) => job.status.history.filter((h) => h.state === 'running').length;

describe('failure policy: a task that vanishes', () => {
  let t: TestDaemon;
  let alice: Caller;
  beforeAll(async () => {
    t = await startTestDaemon('local', { scheduler: { reconcileSeconds: 0.5, failurePolicy: { requeues: 1 } } });
    alice = await t.addUser('alice', 2001);
  });
  afterAll(async () => t?.stop());

  async function get(id: number): Promise<Job> {
    return (await alice.call<Job>('GET', `/api/v1/jobs/${id}`)).body;
  }

  /** What a dead node leaves: no task folder, no monitor, no job process. */
  function vanish(id: number): void {
    const folder = join(t.dataDir, 'local-tasks', taskKey(t.daemon.clusterId, id));
    const monitor = Number(readFileSync(join(folder, 'pid'), 'utf8'));
    const jobPid = Number(readFileSync(join(folder, 'job'), 'utf8').split(' ')[0]);
    rmSync(folder, { recursive: true, force: true });
    process.kill(monitor, 'SIGKILL');
    process.kill(-jobPid, 'SIGKILL');
  }

  async function runningAgain(id: number, run: number): Promise<Job> {
    for (let i = 0; i < 200; i++) {
      const job = await get(id);
      if (job.status.state === 'running' && runs(job) === run && job.status.containerId !== null) return job;
      if (job.status.state === 'failed' || job.status.state === 'done') throw new Error(`job ${id} ended: ${job.status.reason}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${id} did not run a ${run}th time`);
  }

  it('requeues it once, runs it again, and fails it naming the node when it vanishes a second time', async () => {
    const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 60' } });
    const first = await waitJob(alice, s.body.id, 'started');
    const node = first.status.node as string;
    vanish(s.body.id);

    const second = await runningAgain(s.body.id, 2);
    expect(second.status.history.map((h) => h.reason)).toContain(
      `requeued: its task vanished from node ${node} (requeue 1 of 1)`,
    );

    vanish(s.body.id);
    const ended = await waitJob(alice, s.body.id, 'terminated', 30);
    expect(ended.status.state).toBe('failed');
    expect(ended.status.reason).toContain(`its task vanished from node ${node}, after 1 requeue`);
    expect(runs(ended)).toBe(2);
    expect(ended.status.history.map((h) => h.state)).toEqual(['pending', 'running', 'pending', 'running', 'failed']);
  });

  it('does not requeue a job that was being killed: its task going away is the kill', async () => {
    const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'trap "" TERM; sleep 60' } });
    await waitJob(alice, s.body.id, 'started');
    // The job ignores SIGTERM: the kill waits out its grace, and the task vanishes meanwhile.
    const kill = alice.call('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'kill' });
    for (let i = 0; i < 100 && (await get(s.body.id)).status.killReason === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await get(s.body.id)).status.killReason).toBe('killed by alice');
    vanish(s.body.id);
    await kill;
    const ended = await waitJob(alice, s.body.id, 'terminated', 30);
    expect(ended.status.history.map((h) => h.state)).toEqual(['pending', 'running', 'failed']);
    expect(ended.status.reason).toMatch(/killed by alice/);
  });
});
