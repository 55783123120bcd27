/**
 * One user cannot list, read, wait on, read the logs of or control another
 * user's job; the job answers as if it did not exist. An admin sees everything.
 */
import type { Job, JobList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

describe('per-user visibility', () => {
  let t: TestDaemon;
  let alice: Caller;
  let bob: Caller;
  let job: Job;

  beforeAll(async () => {
    t = await startTestDaemon('local');
    alice = await t.addUser('alice', 2001);
    bob = await t.addUser('bob', 2002);
    job = (
      await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'echo secret; sleep 30' }, meta: { name: 'private' } })
    ).body;
    await waitJob(alice, job.id, 'started');
  });
  afterAll(async () => t?.stop());

  it('bob cannot read, wait on or read the logs of alice’s job (404, like a missing job)', async () => {
    for (const path of [
      `/api/v1/jobs/${job.id}`,
      `/api/v1/jobs/${job.id}/wait?timeout=0`,
      `/api/v1/jobs/${job.id}/logs/stdout`,
      `/api/v1/jobs/${job.id}/logs/stderr?follow=true`,
    ]) {
      const r = await bob.call<{ error: { code: string } }>('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body.error.code).toBe('GOD_JOB_NOT_FOUND');
      expect(r.text).not.toContain('secret');
    }
    const many = await bob.call('POST', '/api/v1/jobs/wait', { ids: [job.id], timeout: 0 });
    expect(many.status).toBe(404);
  });

  it('bob cannot control alice’s job', async () => {
    for (const action of ['kill', 'suspend', 'resume', 'hold', 'release']) {
      const r = await bob.call('POST', `/api/v1/jobs/${job.id}/actions`, { action });
      expect(r.status, action).toBe(404);
    }
    const still = await alice.call<Job>('GET', `/api/v1/jobs/${job.id}`);
    expect(still.body.status.state).toBe('running');
  });

  it('bob does not see alice’s job in lists or events, and may not ask for her list', async () => {
    const mine = await bob.call<JobList>('GET', '/api/v1/jobs');
    expect(mine.body.jobs.map((j) => j.id)).not.toContain(job.id);
    const hers = await bob.call('GET', '/api/v1/jobs?user=alice');
    expect(hers.status).toBe(403);
    const byName = await bob.call<JobList>('GET', '/api/v1/jobs?name=private');
    expect(byName.body.jobs).toEqual([]);
  });

  it('the admin sees and controls every job', async () => {
    const all = await t.admin.call<JobList>('GET', '/api/v1/jobs?user=alice');
    expect(all.body.jobs.map((j) => j.id)).toContain(job.id);
    const k = await t.admin.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
    expect(k.status).toBe(200);
    const ended = await waitJob(alice, job.id);
    expect(ended.status.reason).toBe('killed by admin');
  });
});
