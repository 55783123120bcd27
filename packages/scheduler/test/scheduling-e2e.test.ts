/**
 * Fair, explainable scheduling end to end on the real Docker engine: two users
 * with quotas, a project quota, dependencies, an array throttle, and the
 * explanation a waiting job gives.
 */
import type { Explanation, Job, JobList, ShareTreeView } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

async function explain(who: Caller, id: number): Promise<Explanation> {
  return (await who.call<Explanation>('GET', `/api/v1/jobs/${id}/explain`)).body;
}

async function submit(who: Caller, body: Record<string, unknown>): Promise<Job> {
  const r = await who.call<Job>('POST', '/api/v1/jobs', body);
  if (r.status !== 201) throw new Error(`submit: ${r.status} ${r.text}`);
  return r.body;
}

/** Waits until the engine has looked at the job (its explanation is a wait reason). */
async function reasonOf(who: Caller, id: number, code: string): Promise<Explanation> {
  for (let i = 0; i < 100; i++) {
    const e = await explain(who, id);
    if (e.code === code) return e;
    await new Promise((r) => setTimeout(r, 50));
  }
  return explain(who, id);
}

describe('scheduling on the real Docker engine', () => {
  let t: TestDaemon;
  let alice: Caller;
  let bob: Caller;

  beforeAll(async () => {
    t = await startTestDaemon('docker', { executor: { options: { capacity: { cpu: 4, ram: 8192 } } } });
    alice = await t.addUser('alice', 2001);
    bob = await t.addUser('bob', 2002);
    await t.admin.call('PATCH', '/api/v1/users/alice', { quota: { cpu: 1 } });
    await t.admin.call('POST', '/api/v1/projects', { name: 'genomics', shares: 2, quota: { runningJobs: 1 } });
    await t.admin.call('POST', '/api/v1/projects/genomics/members', { user: 'bob', shares: 1 });
  });
  afterAll(async () => t?.stop());

  it("holds a user to their cpu quota and says so, while another user's job runs", async () => {
    const first = await submit(alice, { command: { script: 'sleep 3' }, requirements: { cpu: 1 } });
    await waitJob(alice, first.id, 'started');
    const second = await submit(alice, { command: { script: 'true' }, requirements: { cpu: 1 } });
    const bobs = await submit(bob, { command: { script: 'true' }, requirements: { cpu: 1 } });
    expect((await waitJob(bob, bobs.id)).status.state).toBe('done');
    const why = await reasonOf(alice, second.id, 'UserCpuLimit');
    expect(why.code).toBe('UserCpuLimit');
    expect(why.message).toMatch(/user alice uses 1 of (its|their) 1 cpu/);
    const shown = await alice.call<Job>('GET', `/api/v1/jobs/${second.id}`);
    expect(shown.body.status.reason).toBe(why.message);
    const done = await waitJob(alice, second.id, 'terminated', 60);
    expect(done.status.state).toBe('done');
    expect(Date.parse(done.status.startedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse((await waitJob(alice, first.id)).status.endedAt ?? ''),
    );
  });

  it('refuses at submit a job larger than its quota', async () => {
    const r = await alice.call<{ error: { code: string; field: string } }>('POST', '/api/v1/jobs', {
      command: { script: 'true' },
      requirements: { cpu: 2 },
    });
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'GOD_QUOTA_EXCEEDED', field: 'requirements.cpu' });
  });

  it('holds a project to its running-jobs quota', async () => {
    const a = await submit(bob, { project: 'genomics', command: { script: 'sleep 2' } });
    const b = await submit(bob, { project: 'genomics', command: { script: 'true' } });
    await waitJob(bob, a.id, 'started');
    const why = await reasonOf(bob, b.id, 'ProjectRunningJobsLimit');
    expect(why.message).toMatch(/project genomics runs 1 of its 1 jobs at once/);
    expect((await waitJob(bob, b.id)).status.state).toBe('done');
  });

  it('starts a job after its dependency ends well, and fails it when that can no longer happen', async () => {
    const first = await submit(bob, { command: { script: 'sleep 1; exit 0' } });
    const next = await submit(bob, { command: { script: 'echo next' }, dependencies: [{ type: 'afterok', jobId: first.id }] });
    const waiting = await reasonOf(bob, next.id, 'Dependency');
    expect(waiting.message).toContain(String(first.id));
    const ended = await waitJob(bob, next.id);
    expect(ended.status.state).toBe('done');
    expect(Date.parse(ended.status.startedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse((await waitJob(bob, first.id)).status.endedAt ?? ''),
    );

    const bad = await submit(bob, { command: { script: 'exit 1' } });
    const never = await submit(bob, { command: { script: 'true' }, dependencies: [{ type: 'afterok', jobId: bad.id }] });
    const failed = await waitJob(bob, never.id);
    expect(failed.status.state).toBe('failed');
    expect(failed.status.reason).toMatch(new RegExp(`afterok:${bad.id}`));
    expect(failed.status.startedAt).toBeNull();
  });

  it('refuses a dependency on a job that does not exist or is not yours', async () => {
    const mine = await submit(alice, { command: { script: 'true' } });
    const r = await bob.call<{ error: { field: string } }>('POST', '/api/v1/jobs', {
      command: { script: 'true' },
      dependencies: [{ type: 'afterany', jobId: mine.id }],
    });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('dependencies.0.jobId');
  });

  it('never runs more array tasks at once than the throttle', async () => {
    const arr = await submit(bob, { command: { script: 'sleep 1' }, array: '1-4%2' });
    let most = 0;
    for (;;) {
      const tasks = await bob.call<JobList>('GET', `/api/v1/jobs?parent=${arr.id}`);
      most = Math.max(most, tasks.body.jobs.filter((j) => j.status.state === 'running').length);
      if (tasks.body.jobs.every((j) => j.status.state === 'done' || j.status.state === 'failed')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBeGreaterThan(0);
    expect((await waitJob(bob, arr.id)).status.state).toBe('done');
  });

  it('caps waiting jobs at the pending quota, and a retried submit still gets its first answer', async () => {
    const carol = await t.addUser('carol', 2003);
    await t.admin.call('PATCH', '/api/v1/users/carol', { quota: { pendingJobs: 1 } });
    const body = { command: { script: 'true' }, hold: true };
    const first = await carol.call<Job>('POST', '/api/v1/jobs', body, { 'idempotency-key': 'carol-1' });
    expect(first.status).toBe(201);
    const retry = await carol.call<Job>('POST', '/api/v1/jobs', body, { 'idempotency-key': 'carol-1' });
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(first.body.id);
    const more = await carol.call<{ error: { code: string; field: string } }>('POST', '/api/v1/jobs', body);
    expect(more.status).toBe(403);
    expect(more.body.error).toMatchObject({ code: 'GOD_QUOTA_EXCEEDED', field: 'quota.pendingJobs' });
  });

  it('shows the fair-share tree with usage and factors', async () => {
    const r = await bob.call<ShareTreeView>('GET', '/api/v1/share');
    expect(r.status).toBe(200);
    const genomics = r.body.rows.find((x) => x.project === 'genomics' && x.user === null);
    expect(genomics?.rawShares).toBe(2);
    expect(r.body.rows.find((x) => x.project === 'genomics' && x.user === 'bob')).toBeDefined();
    for (const row of r.body.rows) {
      expect(row.factor).toBeGreaterThanOrEqual(0);
      expect(row.factor).toBeLessThanOrEqual(1);
    }
  });
});
