/**
 * The DRMAA1 facade against a live daemon with the Docker executor, checked
 * against the DRMAA 1.0 C binding's semantics (those Grid Engine's own DRMAA
 * test suite asserts): wait reaps, SESSION_ANY on an empty session fails at
 * once, synchronize succeeds on unknown ids, a second init fails.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { drmaa1, drmaaNames, GodockerClient, type GodockerError } from '@godocker/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, REPO } from './helpers/built.js';
import { type RunningDaemon, startDockerDaemon } from './helpers/docker-daemon.js';

const { SESSION_ALL, SESSION_ANY, TIMEOUT_NO_WAIT, TIMEOUT_WAIT_FOREVER } = drmaa1;
const run = promisify(execFile);

let daemon: RunningDaemon;
let client: GodockerClient;
const open: drmaa1.Session[] = [];

beforeAll(async () => {
  daemon = await startDockerDaemon();
  client = new GodockerClient({ url: daemon.url, token: daemon.token });
});
afterAll(async () => {
  await daemon?.stop();
});
afterEach(async () => {
  for (const s of open.splice(0)) if (s.sessionName !== null) await s.exit();
});

async function session(): Promise<drmaa1.Session> {
  const s = new drmaa1.Session({ url: daemon.url, token: daemon.token });
  await s.init();
  open.push(s);
  return s;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const t0 = Date.now();
  const out = await work();
  return [Date.now() - t0, out];
}

describe('drmaa1.Session', () => {
  it('init, exit, getContact: a second init and calls without a session fail with their DRMAA errors', async () => {
    const s = new drmaa1.Session({ url: daemon.url, token: daemon.token });
    expect(s.getContact()).toBe(daemon.url);
    const none = await rejection(s.runJob({ remoteCommand: 'true' }));
    expect(none).toBeInstanceOf(drmaa1.NoActiveSessionError);
    expect(drmaaNames(none)).toMatchObject({ drmaa1: 'NO_ACTIVE_SESSION', errno: 5 });
    await s.init();
    expect(s.getContact()).toBe(`${daemon.url}/api/v1/sessions/${s.sessionName}`);
    const again = await rejection(s.init());
    expect(again).toBeInstanceOf(drmaa1.AlreadyActiveSessionError);
    expect(drmaaNames(again)).toMatchObject({ drmaa1: 'ALREADY_ACTIVE_SESSION', errno: 11 });
    expect(await s.getDrmSystem()).toMatch(/^GoDocker \d/);
    expect(s.getDrmaaImplementation()).toMatch(/^GoDocker SDK/);
    expect(s.version).toEqual({ major: 1, minor: 0 });
    await s.exit();
    await expect(s.exit()).rejects.toBeInstanceOf(drmaa1.NoActiveSessionError);
    await s.init(); // allowed again after exit
    await s.exit();
  });

  it('wait reaps: it returns the job info once, and a second wait on the same job is InvalidJobError', async () => {
    const s = await session();
    const id = await s.runJob({ remoteCommand: '/bin/sh', args: ['-c', 'exit 3'] });
    expect(id).toMatch(/^\d+$/);
    const info = await s.wait(id, TIMEOUT_WAIT_FOREVER);
    expect(info).toMatchObject({
      jobId: id,
      hasExited: true,
      exitStatus: 3,
      hasSignaled: false,
      terminatingSignal: '',
      hasCoreDump: false,
      wasAborted: false,
    });
    expect(Object.keys(info.resourceUsage)).toEqual(
      expect.arrayContaining(['submission_time', 'start_time', 'end_time', 'ru_wallclock', 'exit_status']),
    );
    const second = await rejection(s.wait(id, TIMEOUT_NO_WAIT));
    expect(second).toBeInstanceOf(drmaa1.InvalidJobError);
    expect(drmaaNames(second)).toMatchObject({ drmaa1: 'INVALID_JOB', errno: 18 });
    // A reaped job's record stays: its state can still be asked for.
    expect(await s.jobPs(id)).toBe('FAILED');
  });

  it('wait(SESSION_ANY) returns each job of the session once, then fails at once on the empty session', async () => {
    const s = await session();
    const [emptyMs, empty] = await timed(() => rejection(s.wait(SESSION_ANY, TIMEOUT_WAIT_FOREVER)));
    expect(empty).toBeInstanceOf(drmaa1.InvalidJobError);
    expect((empty as Error).message).toMatch(/no job left/);
    expect(emptyMs).toBeLessThan(2000);
    const ids = [await s.runJob({ remoteCommand: 'true' }), await s.runJob({ remoteCommand: 'true' })];
    const got = [(await s.wait(SESSION_ANY, 60)).jobId, (await s.wait(SESSION_ANY, 60)).jobId];
    expect(got.sort()).toEqual([...ids].sort());
    await expect(s.wait(SESSION_ANY, TIMEOUT_WAIT_FOREVER)).rejects.toBeInstanceOf(drmaa1.InvalidJobError);
    await expect(s.wait('junk', 0)).rejects.toBeInstanceOf(drmaa1.InvalidJobError);
  });

  it('times out with ExitTimeoutError (no wait, finite, for ever) and reaps nothing on a timeout', async () => {
    const s = await session();
    const id = await s.runJob({ remoteCommand: 'true', jobSubmissionState: drmaa1.JobSubmissionState.HOLD_STATE });
    expect(await s.jobPs(id)).toBe('USER_ON_HOLD');
    const [noWaitMs, noWait] = await timed(() => rejection(s.wait(id, TIMEOUT_NO_WAIT)));
    expect(noWait).toBeInstanceOf(drmaa1.ExitTimeoutError);
    expect(drmaaNames(noWait)).toMatchObject({ drmaa1: 'EXIT_TIMEOUT', errno: 23 });
    expect(noWaitMs).toBeLessThan(900);
    const [finiteMs, finite] = await timed(() => rejection(s.wait(id, 1)));
    expect(finite).toBeInstanceOf(drmaa1.ExitTimeoutError);
    expect(finiteMs).toBeGreaterThanOrEqual(900);
    await expect(s.synchronize([id], 1)).rejects.toBeInstanceOf(drmaa1.ExitTimeoutError);
    await expect(s.synchronize([SESSION_ALL], TIMEOUT_NO_WAIT)).rejects.toBeInstanceOf(drmaa1.ExitTimeoutError);
    setTimeout(() => void s.control(id, 'RELEASE'), 500);
    expect((await s.wait(id, TIMEOUT_WAIT_FOREVER)).exitStatus).toBe(0);
  });

  it('jobPs names every state; exit codes other than 0, kills and time limits are FAILED', async () => {
    const s = await session();
    const long = await s.runJob({ remoteCommand: 'sleep', args: ['30'] });
    const limited = await s.runJob({ remoteCommand: 'sleep', args: ['30'], hardWallclockTimeLimit: '0:01' });
    const ok = await s.runJob({ remoteCommand: 'true' });
    const bad = await s.runJob({ remoteCommand: 'false' });
    const blocker = await s.runJob({ remoteCommand: 'true', jobSubmissionState: 'drmaa_hold' });
    const queued = await s.runJob({ remoteCommand: 'true', dependencies: [{ type: 'afterok', jobId: Number(blocker) }] });
    expect(await s.jobPs(queued)).toBe('QUEUED_ACTIVE');
    await client.wait(long, { for: 'started', timeout: 60 });
    expect(await s.jobPs(long)).toBe('RUNNING');
    await s.control(long, 'SUSPEND');
    expect(await s.jobPs(long)).toBe('USER_SUSPENDED');
    await s.control(long, 'RESUME');
    await s.control(long, 'TERMINATE');
    await s.synchronize([long, limited, ok, bad], 60, false);
    expect([await s.jobPs(ok), await s.jobPs(bad), await s.jobPs(long), await s.jobPs(limited)]).toEqual([
      'DONE',
      'FAILED',
      'FAILED',
      'FAILED',
    ]);
    expect((await client.getJob(limited)).status.reason).toMatch(/time limit/);
    const killed = await s.wait(long, 0);
    expect(killed).toMatchObject({ hasExited: false, hasSignaled: true, wasAborted: false });
    expect(killed.terminatingSignal).toMatch(/^SIG(TERM|KILL)$/);
    await expect(s.jobPs('999999')).rejects.toBeInstanceOf(drmaa1.InvalidJobError);
    await s.control(SESSION_ALL, 'TERMINATE');
  });

  it('a job whose input path does not exist never runs: aborted, FAILED; `exit 130` is an exit, not a signal', async () => {
    const s = await session();
    const missing = await s.runJob({ remoteCommand: 'cat', inputPath: ':/no/such/input' });
    const exited = await s.runJob({ remoteCommand: 'sh', args: ['-c', 'exit 130'] });
    expect(await s.wait(missing, 60)).toMatchObject({ wasAborted: true, hasExited: false, hasSignaled: false, exitStatus: 0 });
    expect(await s.jobPs(missing)).toBe('FAILED');
    expect((await client.getJob(missing)).status.reason).toBe(
      'could not start: cannot open input file /no/such/input: No such file or directory (ENOENT)',
    );
    expect(await s.wait(exited, 60)).toMatchObject({ hasExited: true, exitStatus: 130, hasSignaled: false, wasAborted: false });
  });

  it('control: hold, release, terminate, and the inconsistent states by their DRMAA names', async () => {
    const s = await session();
    const blocker = await s.runJob({ remoteCommand: 'true', jobSubmissionState: 'drmaa_hold' });
    const queued = await s.runJob({ remoteCommand: 'true', dependencies: [{ type: 'afterok', jobId: Number(blocker) }] });
    await s.control(queued, 'HOLD');
    expect(await s.jobPs(queued)).toBe('USER_ON_HOLD');
    // Holding a held job asks for what already is (as Grid Engine's qhold): no error, still held.
    await s.control(queued, 'HOLD');
    expect(await s.jobPs(queued)).toBe('USER_ON_HOLD');
    const cases: Array<[drmaa1.ControlAction, string]> = [
      ['SUSPEND', 'SUSPEND_INCONSISTENT_STATE'],
      ['RESUME', 'RESUME_INCONSISTENT_STATE'],
    ];
    for (const [action, name] of cases) {
      const e = await rejection(s.control(queued, action));
      expect(e).toBeInstanceOf(drmaa1.InconsistentStateError);
      expect(drmaaNames(e).drmaa1).toBe(name);
    }
    await s.control(queued, 'RELEASE');
    const released = await rejection(s.control(queued, 'RELEASE'));
    expect(drmaaNames(released)).toMatchObject({ drmaa1: 'RELEASE_INCONSISTENT_STATE', errno: 22 });
    await s.control(queued, 'TERMINATE');
    const info = await s.wait(queued, 60);
    // Killed before it ever ran: aborted, neither exited nor signalled.
    expect(info).toMatchObject({ wasAborted: true, hasExited: false, hasSignaled: false });
    await expect(s.control(queued, 'TERMINATE')).rejects.toBeInstanceOf(drmaa1.InvalidJobError);
    await expect(s.control('999999', 'HOLD')).rejects.toBeInstanceOf(drmaa1.InvalidJobError);
    await s.control(blocker, 'TERMINATE');
  });

  it('runs a bulk job; SESSION_ALL holds and releases all of it; synchronize without dispose leaves the jobs to wait', async () => {
    const s = await session();
    await s.control(SESSION_ALL, 'HOLD'); // an empty session: nothing to do, no error
    // Outside the session, so SESSION_ALL leaves it alone: it keeps the tasks queued until released.
    const blocker = (await client.submit({ command: { script: 'true' }, hold: true })).id;
    const ids = await s.runBulkJobs(
      { remoteCommand: 'sh', args: ['-c', 'exit $GODOCKER_TASK_ID'], dependencies: [{ type: 'afterany', jobId: blocker }] },
      1,
      5,
      2,
    );
    expect(ids).toHaveLength(3);
    await s.control(SESSION_ALL, 'HOLD');
    expect(await Promise.all(ids.map((id) => s.jobPs(id)))).toEqual(['USER_ON_HOLD', 'USER_ON_HOLD', 'USER_ON_HOLD']);
    await s.control(SESSION_ALL, 'RELEASE');
    expect(await Promise.all(ids.map((id) => s.jobPs(id)))).toEqual(['QUEUED_ACTIVE', 'QUEUED_ACTIVE', 'QUEUED_ACTIVE']);
    await client.release(blocker);
    await s.synchronize([SESSION_ALL], TIMEOUT_WAIT_FOREVER, false);
    const statuses = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const info = await s.wait(SESSION_ANY, TIMEOUT_NO_WAIT);
      statuses.set(info.jobId, info.exitStatus);
    }
    expect(Object.fromEntries(statuses)).toEqual({ [ids[0] as string]: 1, [ids[1] as string]: 3, [ids[2] as string]: 5 });
    await expect(s.wait(SESSION_ANY, TIMEOUT_NO_WAIT)).rejects.toBeInstanceOf(drmaa1.InvalidJobError);
  });

  it('synchronize with dispose reaps; unknown ids count as ended; an empty session synchronizes at once', async () => {
    const s = await session();
    await s.synchronize([SESSION_ALL], TIMEOUT_WAIT_FOREVER, true);
    await s.synchronize(['999999', 'junk'], TIMEOUT_WAIT_FOREVER, true);
    const ids = await s.runBulkJobs({ remoteCommand: 'true' }, 1, 2);
    const single = await s.runJob({ remoteCommand: 'true' });
    await s.synchronize([...ids, '999999'], TIMEOUT_WAIT_FOREVER, true);
    for (const id of ids) await expect(s.wait(id, 0)).rejects.toBeInstanceOf(drmaa1.InvalidJobError);
    // Reaped ids are unknown now: synchronizing on them again succeeds.
    await s.synchronize(ids, 0, true);
    expect((await s.wait(SESSION_ANY, 60)).jobId).toBe(single);
  });

  it('maps the native specification and refuses attributes it cannot honour', async () => {
    const s = await session();
    const id = await s.runJob({
      remoteCommand: 'true',
      nativeSpecification: "-c 0.5 -m 96M --time 2m --tag 'nightly' --priority 7",
      jobName: 'native',
    });
    const job = await client.getJob(id);
    expect(job.requirements).toMatchObject({ cpu: 0.5, ram: 96, timeLimit: 120 });
    expect(job.meta).toMatchObject({ name: 'native', tags: ['nightly'] });
    expect(job.priority).toBe(7);
    const unknown = await rejection(s.runJob({ remoteCommand: 'true', nativeSpecification: '--frobnicate 3' }));
    expect(unknown).toBeInstanceOf(drmaa1.UnsupportedAttributeError);
    expect((unknown as GodockerError).field).toBe('nativeSpecification');
    for (const jt of [{ jobCategory: 'x' }, { transferFiles: 'ieo' }, { softWallclockTimeLimit: 10 }, { colour: 'blue' }]) {
      await expect(s.runJob({ remoteCommand: 'true', ...jt } as drmaa1.JobTemplate)).rejects.toBeInstanceOf(
        drmaa1.UnsupportedAttributeError,
      );
    }
    await expect(
      s.runJob({ remoteCommand: 'true', hardWallclockTimeLimit: 60, nativeSpecification: '--time 1m' }),
    ).rejects.toThrow(/give it once/);
    await s.synchronize([SESSION_ALL], 60, true);
  });

  it('reattaches with the contact string after the client process that made the session has exited', async () => {
    assertBuilt('sdk');
    const { stdout } = await run(process.execPath, [`${REPO}packages/sdk/test/helpers/reattach-child.mjs`, 'drmaa1'], {
      env: { ...process.env, GODOCKER_URL: daemon.url, GODOCKER_TOKEN: daemon.token },
      timeout: 60_000,
    });
    const made = JSON.parse(stdout) as { contact: string; ids: string[] };
    expect(made.contact).toMatch(/\/api\/v1\/sessions\/session-/);
    const s = new drmaa1.Session({ token: daemon.token });
    await s.init(made.contact);
    open.push(s);
    expect(s.getContact()).toBe(made.contact);
    const slow = await s.wait(made.ids[0] as string, TIMEOUT_WAIT_FOREVER);
    expect(slow).toMatchObject({ hasExited: true, exitStatus: 4 });
    expect((await s.wait(SESSION_ANY, 60)).jobId).toBe(made.ids[1]);

    // The Grid Engine form, session=NAME, on the daemon the environment names.
    const name = made.contact.split('/').at(-1) as string;
    const ge = new drmaa1.Session({ env: { GODOCKER_URL: daemon.url, GODOCKER_TOKEN: daemon.token, HOME: '/nonexistent' } });
    await ge.init(`session=${name}`);
    open.push(ge);
    await expect(ge.wait(SESSION_ANY, 0)).rejects.toBeInstanceOf(drmaa1.InvalidJobError);
  });

  it('refuses a contact that names no session of the caller, or no daemon', async () => {
    const s = new drmaa1.Session({ token: daemon.token });
    const missing = await rejection(s.init(`${daemon.url}/api/v1/sessions/nope`));
    expect(missing).toBeInstanceOf(drmaa1.InvalidContactStringError);
    expect(drmaaNames(missing)).toMatchObject({ drmaa1: 'INVALID_CONTACT_STRING', errno: 7 });
    await expect(s.init('ftp://example.org/')).rejects.toBeInstanceOf(drmaa1.InvalidContactStringError);
    expect(s.sessionName).toBeNull();
  });
});
