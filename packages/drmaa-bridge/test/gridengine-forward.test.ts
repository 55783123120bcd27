import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsOf, startTestDaemon, type TestDaemon, waitJob } from '../../scheduler/test/helpers/test-daemon.js';
import { accounting, GE_ENV, GE_LIBRARY, ge, requireGridEngine } from './helpers/gridengine.js';

let daemon: TestDaemon;
let spool: string;
let dataDir: string;

/** The Grid Engine job name of GoDocker job `id`: its task key. */
function keyOf(id: number): string {
  return `godocker-${daemon.daemon.clusterId}-${id}`;
}

/** Whether Grid Engine runs (state r) the job named `name`. */
function runningOnGridEngine(name: string): boolean {
  const text = ge('qstat', '-s', 'r', '-r') ?? '';
  return text.split('\n').some((line) => /^\s*Full jobname:\s+(\S+)\s*$/.exec(line)?.[1] === name);
}

/** The daemon under test, on its data folder of the whole file (a restart finds its tasks there). */
function startDaemon(): Promise<TestDaemon> {
  return startTestDaemon(
    'local',
    {
      executor: {
        type: 'drmaa-forward',
        options: { libraryPath: GE_LIBRARY, env: GE_ENV, spoolDir: spool, waitSeconds: 2 },
      },
    },
    dataDir,
  );
}

async function submit(submission: Record<string, unknown>): Promise<number> {
  const r = await daemon.admin.call<Job>('POST', '/api/v1/jobs', submission);
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

beforeAll(async () => {
  requireGridEngine();
  spool = await mkdtemp(join(tmpdir(), 'godocker-ge-spool-'));
  await chmod(spool, 0o755);
  dataDir = await mkdtemp(join(tmpdir(), 'godocker-ge-data-'));
  daemon = await startDaemon();
});

afterAll(async () => {
  await daemon?.stop();
  for (const dir of [spool, dataDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('drmaa-forward: a GoDocker daemon runs its jobs on Grid Engine', () => {
  it('a job runs on Grid Engine with its args and env; it is done with its stdout and stderr', async () => {
    const done = await daemon.run(daemon.admin, {
      command: { script: 'echo "$GREETING $1"; echo to-stderr >&2', args: ['world'], env: { GREETING: 'hello' } },
    });
    expect(done.status.state, done.status.reason).toBe('done');
    expect(done.status.exitCode).toBe(0);
    expect(done.status.node).toBe('drmaa');
    expect(await logsOf(daemon.admin, done.id, 'stdout')).toBe('hello world\n');
    expect(await logsOf(daemon.admin, done.id, 'stderr')).toBe('to-stderr\n');
    const acct = await accounting(keyOf(done.id));
    expect(acct.qname).toBe('all.q');
    expect(acct.exit_status).toBe('0');
  });

  it("a failing job is failed with its exit code, which is Grid Engine's", async () => {
    const failed = await daemon.run(daemon.admin, { command: { script: 'echo partial; exit 4' } });
    expect(failed.status.state).toBe('failed');
    expect(failed.status.exitCode).toBe(4);
    expect(failed.status.reason).toContain('exited with code 4');
    expect(await logsOf(daemon.admin, failed.id, 'stdout')).toBe('partial\n');
    expect((await accounting(keyOf(failed.id))).exit_status).toBe('4');
  });

  it('kill terminates the job on Grid Engine', async () => {
    const id = await submit({ command: { script: 'echo started; exec sleep 60' } });
    const deadline = Date.now() + 30_000;
    // Started on the host, not only sent there (a kill then waits for Grid Engine's next load report).
    while (
      !(runningOnGridEngine(keyOf(id)) && (await logsOf(daemon.admin, id, 'stdout').catch(() => '')) === 'started\n') &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(runningOnGridEngine(keyOf(id)), `Grid Engine does not run ${keyOf(id)}`).toBe(true);
    const killed = await daemon.admin.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'kill' });
    expect(killed.status, killed.text).toBe(200);
    const ended = await waitJob(daemon.admin, id, 'terminated', 30);
    expect(ended.status.state).toBe('failed');
    expect(ended.status.reason).toBe('killed by admin');
    // The Grid Engine job id is the task's.
    expect(ended.status.containerId).toMatch(/^\d+$/);
    expect(ge('qstat', '-j', keyOf(id))).toBeNull();
    // Killed by Grid Engine while it ran: SIGKILL, 128 + 9.
    expect((await accounting(keyOf(id))).exit_status).toMatch(/^137\b/);
    // Grid Engine's wait calls this job "aborted"; its rusage says it ran and was killed.
    expect(ended.status.exitCode).toBe(137);
    expect(ended.status.signal).toBe('SIGKILL');
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

  it('after a restart of the daemon, a job that ran on meanwhile is found again in its Grid Engine session', async () => {
    const id = await submit({ command: { script: 'sleep 3; echo after-restart; exit 5' } });
    const deadline = Date.now() + 30_000;
    while (!runningOnGridEngine(keyOf(id)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await daemon.stop();
    daemon = await startDaemon();
    const ended = await waitJob(daemon.admin, id, 'terminated', 60);
    expect(ended.status.exitCode, ended.status.reason).toBe(5);
    expect(ended.status.state).toBe('failed');
    expect(await logsOf(daemon.admin, id, 'stdout')).toBe('after-restart\n');
  });
});
