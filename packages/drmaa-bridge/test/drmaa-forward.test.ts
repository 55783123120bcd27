import { chmod, chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../scheduler/test/helpers/api-caller.js';
import { logsOf, startTestDaemon, type TestDaemon, waitJob } from '../../scheduler/test/helpers/test-daemon.js';
import { buildLibrary, LIBRARY } from './helpers/library.js';

const JOB_UID = 1000;

buildLibrary();

let b: TestDaemon;
let a: TestDaemon;
let aData: string;
let spool: string;
let home: string;
let onB: Caller;

async function startA(): Promise<TestDaemon> {
  return startTestDaemon(
    'docker',
    {
      executor: {
        type: 'drmaa-forward',
        options: {
          libraryPath: LIBRARY,
          contact: b.url,
          spoolDir: spool,
          // Our library reads its token (and where a saved login would be) from the environment.
          env: { GODOCKER_TOKEN: onB.token, HOME: home, XDG_CONFIG_HOME: join(home, 'config') },
          waitSeconds: 2,
        },
      },
    },
    aData,
  );
}

beforeAll(async () => {
  spool = await mkdtemp(join(tmpdir(), 'godocker-forward-spool-'));
  home = await mkdtemp(join(tmpdir(), 'godocker-forward-home-'));
  aData = await mkdtemp(join(tmpdir(), 'godocker-forward-a-'));
  // B runs the jobs as the forwarding user's uid: they write their output there.
  await chown(spool, JOB_UID, JOB_UID);
  await chmod(spool, 0o755);
  b = await startTestDaemon('docker', { volumes: [{ name: 'spool', hostPath: spool, mode: 'rw' }] });
  onB = await b.addUser('forwarder', JOB_UID);
  a = await startA();
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  for (const dir of [spool, home, aData]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** The job B runs for A's job `id`: named after A's task key. */
async function onBFor(id: number): Promise<Job> {
  const key = `godocker-${a.daemon.clusterId}-${id}`;
  const r = await onB.call<{ jobs: Job[] }>('GET', `/api/v1/jobs?name=${encodeURIComponent(key)}`);
  expect(r.status).toBe(200);
  const found = r.body.jobs.filter((j) => j.meta.name === key);
  expect(found, `B has no job named ${key}`).toHaveLength(1);
  return found[0] as Job;
}

async function submitToA(submission: Record<string, unknown>): Promise<number> {
  const r = await a.admin.call<Job>('POST', '/api/v1/jobs', submission);
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

async function untilRunningOnB(id: number): Promise<Job> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const job = await onBFor(id).catch(() => null);
    if (job?.status.state === 'running' || Date.now() > deadline) {
      expect(job?.status.state).toBe('running');
      return job as Job;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('drmaa-forward: daemon A runs its jobs on daemon B through libdrmaa.so', () => {
  it('a bad executor option stops the daemon with the key to fix', async () => {
    const e = await startTestDaemon('docker', {
      executor: { type: 'drmaa-forward', options: { libraryPath: LIBRARY, spool: '/tmp' } },
    }).then(
      (d) => d.stop().then(() => null),
      (error: unknown) => error as Error,
    );
    expect(e?.message).toMatch(/drmaa-forward executor option spool: unknown option \(known: libraryPath, contact, spoolDir/);
    expect(a.daemon.executorName).toBe('drmaa-forward');
  });

  it('a job submitted to A runs on B, with its args and env; it is done on A with its stdout', async () => {
    const done = await a.run(a.admin, {
      command: { script: 'echo "$GREETING $1"; echo to-stderr >&2', args: ['world'], env: { GREETING: 'hello' } },
    });
    expect(done.status.state, done.status.reason).toBe('done');
    expect(done.status.exitCode).toBe(0);
    expect(done.status.node).toBe('drmaa');
    expect(await logsOf(a.admin, done.id, 'stdout')).toBe('hello world\n');
    expect(await logsOf(a.admin, done.id, 'stderr')).toBe('to-stderr\n');
    const there = await onBFor(done.id);
    expect(there.status.state).toBe('done');
    expect(there.user.name).toBe('forwarder');
  });

  it('a failing job is failed on A with its exit code, as it is on B', async () => {
    const failed = await a.run(a.admin, { command: { script: 'echo partial; exit 4' } });
    expect(failed.status.state).toBe('failed');
    expect(failed.status.exitCode).toBe(4);
    expect(failed.status.reason).toContain('exited with code 4');
    expect(await logsOf(a.admin, failed.id, 'stdout')).toBe('partial\n');
    const there = await onBFor(failed.id);
    expect(there.status.state).toBe('failed');
    expect(there.status.exitCode).toBe(4);
  });

  it("the job's files are the target's to open: output in the job's file, a missing input aborts it there", async () => {
    const [input, out] = [join(spool, 'own.in'), join(spool, 'own.out')];
    await writeFile(input, 'from-in\n');
    const written = await submitToA({
      command: { script: 'cat; echo to-err >&2', stdin: input, stdout: out, joinStderr: true },
    });
    const done = await waitJob(a.admin, written);
    expect(done.status.state, done.status.reason).toBe('done');
    expect(await readFile(out, 'utf8')).toBe('from-in\nto-err\n');
    expect(await logsOf(a.admin, written)).toBe('');
    // The spool folder must end up empty (a later test checks it): these are the job's, not the spool's.
    await Promise.all([rm(input), rm(out)]);
    const missing = await submitToA({ command: { script: 'echo never', stdin: join(spool, 'no-such-input') } });
    const ended = await waitJob(a.admin, missing);
    expect(ended.status).toMatchObject({ state: 'failed', exitCode: null, signal: null, startedAt: null });
    expect(ended.status.reason).toMatch(/^could not start: the DRMAA system ended job \d+ without running it$/);
    expect((await onBFor(missing)).status.reason).toContain(`cannot open input file ${join(spool, 'no-such-input')}`);
  });

  it('a script with its own #! line runs as a file from the spool folder', async () => {
    const done = await a.run(a.admin, { command: { script: '#!/bin/sh\necho "shebang $0" | cut -c1-7' } });
    expect(done.status.state, done.status.reason).toBe('done');
    expect(await logsOf(a.admin, done.id, 'stdout')).toBe('shebang\n');
  });

  it('kill on A terminates the job on B', async () => {
    const id = await submitToA({ command: { script: 'sleep 60' } });
    await untilRunningOnB(id);
    const killed = await a.admin.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'kill' });
    expect(killed.status, killed.text).toBe(200);
    const onA = await waitJob(a.admin, id, 'terminated', 30);
    expect(onA.status.state).toBe('failed');
    const deadline = Date.now() + 15_000;
    let there = await onBFor(id);
    while (there.status.state === 'running' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      there = await onBFor(id);
    }
    expect(there.status.state).toBe('failed');
    expect(there.status.signal).toMatch(/^SIG(TERM|KILL)$/);
  });

  it('suspend and resume on A reach the job on B', async () => {
    const id = await submitToA({ command: { script: 'sleep 60' } });
    await untilRunningOnB(id);
    for (const [action, state] of [
      ['suspend', 'suspended'],
      ['resume', 'running'],
    ] as const) {
      const r = await a.admin.call('POST', `/api/v1/jobs/${id}/actions`, { action });
      expect(r.status, r.text).toBe(200);
      const deadline = Date.now() + 10_000;
      while ((await onBFor(id)).status.state !== state && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await onBFor(id)).status.state).toBe(state);
    }
    await a.admin.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'kill' });
    expect((await waitJob(a.admin, id, 'terminated', 30)).status.state).toBe('failed');
  });

  it("the job's time limit reaches B as its wall-clock limit", async () => {
    const id = await submitToA({ command: { script: 'sleep 1' }, requirements: { timeLimit: 90 } });
    expect((await untilRunningOnB(id)).requirements.timeLimit).toBe(90);
    expect((await waitJob(a.admin, id, 'terminated', 30)).status.state).toBe('done');
  });

  it('collected tasks leave nothing in the spool folder', async () => {
    const deadline = Date.now() + 10_000;
    let left = await readdir(spool);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      left = await readdir(spool);
    }
    expect(left).toEqual([]);
  });

  it('after a restart of A, a job that ran on meanwhile is found again and ends there', async () => {
    const id = await submitToA({ command: { script: 'sleep 3; echo after-restart; exit 5' } });
    await untilRunningOnB(id);
    await a.stop();
    a = await startA();
    const ended = await waitJob(a.admin, id, 'terminated', 60);
    expect(ended.status.exitCode, ended.status.reason).toBe(5);
    expect(ended.status.state).toBe('failed');
    expect(await logsOf(a.admin, id, 'stdout')).toBe('after-restart\n');
  });
});
