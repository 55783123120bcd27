/**
 * What a user relies on, end to end through the REST API, against a real daemon
 * and a real executor. Run for each executor by daemon-docker.test.ts,
 * daemon-swarm.test.ts and daemon-local.test.ts.
 */

import type { DeepPartial, GodockerConfig } from '@godocker/scheduler';
import type { Job, JobEvent, JobList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { sampleValue } from './helpers/exposition.js';
import { type ExecutorKind, logsOf, startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';
import { describeJobFiles } from './job-files.suite.js';

export interface E2EContext {
  t: TestDaemon;
  alice: Caller;
}

export interface E2EOptions {
  overrides?: DeepPartial<GodockerConfig>;
  /** Tests that only apply to this executor, sharing the daemon. */
  extra?: (get: () => E2EContext) => void;
  /** false: the executor cannot pause a task (Swarm), so suspend must be refused, not tested. */
  suspend?: boolean;
}

export function describeDaemonE2E(kind: ExecutorKind, options: E2EOptions = {}): void {
  const { overrides, extra, suspend = true } = options;
  describe(`daemon end to end (${kind} executor)`, () => {
    let t: TestDaemon;
    let alice: Caller;
    let bob: Caller;

    beforeAll(async () => {
      t = await startTestDaemon(kind, overrides);
      alice = await t.addUser('alice', 2001, 2002);
      bob = await t.addUser('bob', 2003, 2004);
    });
    afterAll(async () => {
      await t?.stop();
    });

    it('runs a job: done, exit 0, stdout and stderr captured apart', async () => {
      const job = await t.run(alice, { command: { script: 'echo hello; echo oops >&2' }, meta: { name: 'hello' } });
      expect(job.status.state).toBe('done');
      expect(job.status.exitCode).toBe(0);
      expect(job.status.reason).toBe('exited with code 0');
      expect(job.status.startedAt).not.toBeNull();
      expect(job.status.endedAt).not.toBeNull();
      expect(job.status.history.map((h) => h.state)).toEqual(['pending', 'running', 'done']);
      expect(await logsOf(alice, job.id)).toBe('hello\n');
      expect(await logsOf(alice, job.id, 'stderr')).toBe('oops\n');
    });

    it('a script exiting 3 is failed with exit code 3', async () => {
      const job = await t.run(alice, { command: { script: 'exit 3' } });
      expect(job.status.state).toBe('failed');
      expect(job.status.exitCode).toBe(3);
      expect(job.status.reason).toBe('exited with code 3');
    });

    it("runs as the user's uid and gid, with args, env and GODOCKER_* variables", async () => {
      const job = await t.run(alice, {
        command: {
          script: 'echo "$(id -u):$(id -g) $1 $2 $GREETING $GODOCKER_JOB_ID $GODOCKER_USER $GODOCKER_PROJECT"',
          args: ['a b', 'c'],
          env: { GREETING: 'hi', GODOCKER_JOB_ID: 'forged' },
        },
      });
      expect(await logsOf(alice, job.id)).toBe(`2001:2002 a b c hi ${job.id} alice default\n`);
    });

    it('runs a script with a shebang through its interpreter', async () => {
      const job = await t.run(alice, { command: { script: '#!/bin/sh -e\necho "shebang $0"\nfalse\necho not reached' } });
      expect(job.status.exitCode).toBe(1);
      expect(await logsOf(alice, job.id)).toMatch(/^shebang /);
    });

    it('kills a running job: failed, reason killed, task gone', async () => {
      const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'echo started; sleep 300' } });
      await waitJob(alice, s.body.id, 'started');
      const k = await alice.call<Job>('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'kill' });
      expect(k.status).toBe(200);
      const job = await waitJob(alice, s.body.id, 'terminated', 30);
      expect(job.status.state).toBe('failed');
      expect(job.status.reason).toBe('killed by alice');
      const again = await alice.call('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'kill' });
      expect(again.status).toBe(409);
    });

    const refuseSuspend = async () => {
      const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'echo up; sleep 300' } });
      await waitJob(alice, s.body.id, 'started');
      // Really running, not only sent (a Kubernetes Job may be suspended while its pod waits for a node).
      for (let i = 0; i < 100 && !(await logsOf(alice, s.body.id)).includes('up'); i++) await sleep(200);
      const sus = await alice.call<{ error: { code: string; message: string } }>('POST', `/api/v1/jobs/${s.body.id}/actions`, {
        action: 'suspend',
      });
      expect(sus.status).toBe(409);
      expect(sus.body.error.code).toBe('GOD_NOT_SUPPORTED');
      expect(sus.body.error.message).toMatch(new RegExp(`^the ${kind} executor cannot suspend`));
      expect((await alice.call<Job>('GET', `/api/v1/jobs/${s.body.id}`)).body.status.state).toBe('running');
      await alice.call('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'kill' });
      expect((await waitJob(alice, s.body.id)).status.state).toBe('failed');
    };

    // One test either way: what suspend does on this executor (Swarm cannot pause a service).
    if (!suspend) it('suspend is refused (409, naming the executor) and the job runs on', refuseSuspend);
    else
      it('suspend stops the processes and resume continues them', async () => {
        const s = await alice.call<Job>('POST', '/api/v1/jobs', {
          command: { script: 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done' },
        });
        await waitJob(alice, s.body.id, 'started');
        await sleep(800);
        const sus = await alice.call<Job>('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'suspend' });
        expect(sus.status).toBe(200);
        expect(sus.body.status.state).toBe('suspended');
        await sleep(300);
        const n1 = lines(await logsOf(alice, s.body.id));
        await sleep(1000);
        const n2 = lines(await logsOf(alice, s.body.id));
        expect(n2).toBe(n1);
        const res = await alice.call<Job>('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'resume' });
        expect(res.body.status.state).toBe('running');
        await sleep(1000);
        const n3 = lines(await logsOf(alice, s.body.id));
        expect(n3).toBeGreaterThan(n2 + 3);
        await alice.call('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'kill' });
        expect((await waitJob(alice, s.body.id)).status.state).toBe('failed');
      });

    it('hold keeps a pending job from starting; release lets it run', async () => {
      const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'echo released' }, hold: true });
      expect(s.body.status.state).toBe('held');
      const w = await alice.call<{ job: Job; timedOut: boolean }>(
        'GET',
        `/api/v1/jobs/${s.body.id}/wait?for=started&timeout=1.5`,
      );
      expect(w.body.timedOut).toBe(true);
      expect(w.body.job.status.state).toBe('held');
      const r = await alice.call<Job>('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'release' });
      expect(r.body.status.state).not.toBe('held');
      const job = await waitJob(alice, s.body.id);
      expect(job.status.state).toBe('done');
      expect(await logsOf(alice, job.id)).toBe('released\n');
      // A pending job can be held too, and a held one killed.
      const p = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, hold: true });
      const k = await alice.call<Job>('POST', `/api/v1/jobs/${p.body.id}/actions`, { action: 'kill' });
      expect(k.body.status.state).toBe('failed');
      expect(k.body.status.reason).toMatch(/killed by alice before it started/);
    });

    it('a time limit kills the job: failed, reason says so', async () => {
      const s = await alice.call<Job>('POST', '/api/v1/jobs', {
        command: { script: 'sleep 60' },
        requirements: { timeLimit: 2 },
      });
      const job = await waitJob(alice, s.body.id, 'terminated', 30);
      expect(job.status.state).toBe('failed');
      expect(job.status.reason).toMatch(/time limit of 2s exceeded/);
      expect(job.usage.wallSeconds).toBeGreaterThanOrEqual(1.5);
      expect(job.usage.wallSeconds).toBeLessThan(15);
      // Told apart from a failure and a user's kill in /metrics.
      const text = (await t.admin.call('GET', '/metrics')).text;
      expect(sampleValue(text, 'godocker_jobs_ended_total', { project: job.project, result: 'timeout' })).toBe(1);
    });

    it('runs an array: one parent, tasks with their index, counts on the parent', async () => {
      const s = await alice.call<Job>('POST', '/api/v1/jobs', {
        command: { script: 'echo task $GODOCKER_TASK_ID of $GODOCKER_ARRAY_JOB_ID' },
        array: '0-6:2',
      });
      expect(s.status).toBe(201);
      expect(s.body.array?.count).toBe(4);
      const parent = await waitJob(alice, s.body.id, 'terminated', 60);
      expect(parent.status.state).toBe('done');
      expect(parent.array?.tasks).toEqual({ done: 4 });
      const tasks = await alice.call<JobList>('GET', `/api/v1/jobs?parent=${s.body.id}`);
      const byIndex = tasks.body.jobs.map((j) => j.taskIndex).sort((a, b) => (a ?? 0) - (b ?? 0));
      expect(byIndex).toEqual([0, 2, 4, 6]);
      for (const task of tasks.body.jobs) expect(await logsOf(alice, task.id)).toBe(`task ${task.taskIndex} of ${s.body.id}\n`);
    });

    it('holds, releases and kills a whole array', async () => {
      const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 300' }, array: '1-3', hold: true });
      expect(s.body.status.state).toBe('held');
      const rel = await alice.call<Job>('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'release' });
      expect(rel.status).toBe(200);
      await waitJob(alice, s.body.id, 'started');
      const k = await alice.call<Job>('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'kill' });
      expect(k.status).toBe(200);
      const parent = await waitJob(alice, s.body.id, 'terminated', 30);
      expect(parent.status.state).toBe('failed');
      expect(parent.array?.tasks).toEqual({ failed: 3 });
    });

    it('an Idempotency-Key makes a retried submit return the same job', async () => {
      const body = { command: { script: 'true' }, meta: { name: 'idem' } };
      const a = await alice.call<Job>('POST', '/api/v1/jobs', body, { 'idempotency-key': 'retry-1' });
      const b = await alice.call<Job>('POST', '/api/v1/jobs', body, { 'idempotency-key': 'retry-1' });
      expect(a.status).toBe(201);
      expect(b.status).toBe(200);
      expect(b.body.id).toBe(a.body.id);
      const list = await alice.call<JobList>('GET', '/api/v1/jobs?name=idem');
      expect(list.body.jobs).toHaveLength(1);
    });

    it('an Idempotency-Key reused with another body is refused (422) and makes nothing', async () => {
      const first = { command: { script: 'true' }, meta: { name: 'idem-a' } };
      const a = await alice.call<Job>('POST', '/api/v1/jobs', first, { 'idempotency-key': 'reuse-1' });
      expect(a.status).toBe(201);
      const other = { command: { script: 'echo other' }, meta: { name: 'idem-b' } };
      const b = await alice.call<{ error: { code: string; message: string } }>('POST', '/api/v1/jobs', other, {
        'idempotency-key': 'reuse-1',
      });
      expect([b.status, b.body.error.code]).toEqual([422, 'GOD_IDEMPOTENCY_KEY_REUSED']);
      expect(b.body.error.message).toContain(`job ${a.body.id}`);
      expect((await alice.call<JobList>('GET', '/api/v1/jobs?name=idem-b')).body.jobs).toHaveLength(0);
    });

    it('waits on a set of jobs, any or all, with a timeout that is an answer', async () => {
      const fast = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' } });
      const slow = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 3' } });
      const ids = [fast.body.id, slow.body.id];
      const zero = await alice.call<{ ready: Job[]; timedOut: boolean }>('POST', '/api/v1/jobs/wait', {
        ids,
        mode: 'all',
        timeout: 0,
      });
      expect(zero.status).toBe(200);
      expect(zero.body.timedOut).toBe(true);
      const any = await alice.call<{ ready: Job[]; timedOut: boolean }>('POST', '/api/v1/jobs/wait', {
        ids,
        mode: 'any',
        timeout: 30,
      });
      expect(any.body.timedOut).toBe(false);
      expect(any.body.ready.map((j) => j.id)).toContain(fast.body.id);
      const all = await alice.call<{ ready: Job[]; timedOut: boolean }>('POST', '/api/v1/jobs/wait', {
        ids,
        mode: 'all',
        timeout: 30,
      });
      expect(all.body.timedOut).toBe(false);
      expect(all.body.ready.map((j) => j.id).sort()).toEqual([...ids].sort());
    });

    it('a project cpu quota holds the job past it (ProjectCpuLimit) until the running one ends', async () => {
      const project = `quota-${kind}`;
      expect((await t.admin.call('POST', '/api/v1/projects', { name: project, quota: { cpu: 1 } })).status).toBe(201);
      expect((await t.admin.call('POST', `/api/v1/projects/${project}/members`, { user: 'alice' })).status).toBe(201);
      const submit = async (script: string) => {
        const r = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script }, project, requirements: { cpu: 1 } });
        expect(r.status, r.text).toBe(201);
        return r.body.id;
      };
      const first = await submit('sleep 3');
      await waitJob(alice, first, 'started');
      const second = await submit('echo second');
      let why = { code: '', message: '' };
      for (let i = 0; i < 50 && why.code !== 'ProjectCpuLimit'; i++) {
        why = (await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${second}/explain`)).body;
        if (why.code !== 'ProjectCpuLimit') await sleep(100);
      }
      expect(why.code).toBe('ProjectCpuLimit');
      const [a, b] = [await waitJob(alice, first), await waitJob(alice, second)];
      expect([a.status.state, b.status.state]).toEqual(['done', 'done']);
      expect(Date.parse(b.status.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(a.status.endedAt ?? '') - 1000);
    });

    it('lists with filters and cursor pagination', async () => {
      for (let i = 0; i < 5; i++)
        await alice.call('POST', '/api/v1/jobs', {
          command: { script: 'true' },
          hold: true,
          meta: { name: 'paged', tags: ['pg'] },
        });
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: JobList } = await alice.call<JobList>(
          'GET',
          `/api/v1/jobs?tag=pg&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.body.jobs.map((j) => j.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(5);
      expect([...seen].sort((a, b) => b - a)).toEqual(seen);
      const held = await alice.call<JobList>('GET', '/api/v1/jobs?state=held&name=paged');
      expect(held.body.jobs).toHaveLength(5);
    });

    it('follows stdout live and ends with the final job', async () => {
      const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'echo one; sleep 1; echo two' } });
      const res = await fetch(`${t.url}/api/v1/jobs/${s.body.id}/logs/stdout?follow=true`, {
        headers: { authorization: `Bearer ${alice.token}` },
      });
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const text = await res.text();
      const logs = [...text.matchAll(/event: log\ndata: (.*)\n/g)]
        .map((m) => (JSON.parse(m[1] ?? '{}') as { text: string }).text)
        .join('');
      expect(logs).toBe('one\ntwo\n');
      const end = /event: end\ndata: (.*)\n/.exec(text);
      expect((JSON.parse(end?.[1] ?? '{}') as Job).status.state).toBe('done');
    });

    it('/metrics counts the jobs of a project by state and their ends by result', async () => {
      const project = 'metrics-e2e';
      expect((await t.admin.call('POST', '/api/v1/projects', { name: project })).status).toBe(201);
      expect((await t.run(t.admin, { command: { script: 'true' }, project })).status.state).toBe('done');
      expect((await t.run(t.admin, { command: { script: 'exit 5' }, project })).status.state).toBe('failed');
      const text = (await t.admin.call('GET', '/metrics')).text;
      expect(sampleValue(text, 'godocker_jobs', { project, state: 'done' })).toBe(1);
      expect(sampleValue(text, 'godocker_jobs', { project, state: 'failed' })).toBe(1);
      expect(sampleValue(text, 'godocker_jobs_ended_total', { project, result: 'done' })).toBe(1);
      expect(sampleValue(text, 'godocker_jobs_ended_total', { project, result: 'failed' })).toBe(1);
      expect(sampleValue(text, 'godocker_job_run_seconds_count', { project })).toBe(2);
    });

    it('streams job state changes as server-sent events', async () => {
      const controller = new AbortController();
      const res = await fetch(`${t.url}/api/v1/events`, {
        headers: { authorization: `Bearer ${alice.token}` },
        signal: controller.signal,
      });
      const reader = res.body?.getReader();
      const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, meta: { name: 'evented' } });
      const states: string[] = [];
      let buf = '';
      const decoder = new TextDecoder();
      while (reader && !states.includes('done')) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (frame.startsWith('event: job') && data) {
            const e = JSON.parse(data) as JobEvent;
            if (e.job.id === s.body.id && states.at(-1) !== e.job.status.state) states.push(e.job.status.state);
          }
          i = buf.indexOf('\n\n');
        }
      }
      controller.abort();
      expect(states).toEqual(['pending', 'running', 'done']);
    });

    describe("the job's directory", () => describeJobFiles(() => ({ t, alice, bob })));

    extra?.(() => ({ t, alice }));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function lines(text: string): number {
  return text.split('\n').filter(Boolean).length;
}
