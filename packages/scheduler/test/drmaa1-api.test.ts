/**
 * The daemon side of libdrmaa.so (packages/drmaa-bridge/PROTOCOL.md), as raw HTTP
 * against a daemon running its jobs on the real Docker engine: C attribute
 * templates, idempotent submits, host paths mounted at the same path through the
 * volume catalogue, Grid Engine's output files in a folder, bulk jobs, session-wide
 * control, DRMAA states and the wait's job info.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Drmaa1JobsBody,
  drmaa1,
  type Job,
  type JobList,
  type SessionActionResult,
  type SessionWaitResult,
} from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller, Reply } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

let t: TestDaemon;
let alice: Caller;
let bob: Caller;
let shared: string;
let readOnly: string;
let outside: string;
let base: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'godocker-drmaa1-'));
  await chmod(base, 0o755);
  shared = join(base, 'shared');
  readOnly = join(base, 'reference');
  outside = join(base, 'outside');
  for (const dir of [shared, readOnly, outside]) {
    await mkdir(dir);
    // Jobs run as alice's uid and write here.
    await chmod(dir, 0o777);
  }
  t = await startTestDaemon('docker', {
    scheduler: { tickSeconds: 0.5 },
    volumes: [
      { name: 'shared', hostPath: shared, mode: 'rw' },
      { name: 'reference', hostPath: readOnly, mode: 'ro' },
      // Mounted elsewhere in the container: no use for host paths.
      { name: 'elsewhere', hostPath: outside, containerPath: '/data', mode: 'rw' },
    ],
    // DRMAA jobs get their own default image; plain jobs would get one that does not exist.
    images: { default: 'local/not-for-drmaa:latest', catalogue: ['local/busybox:latest', 'local/not-for-drmaa:latest'] },
    drmaa: {
      image: 'local/busybox:latest',
      categories: { small: '-c 0.25 -m 64M', tagged: '--tag from-category -c 0.5' },
    },
  });
  alice = await t.addUser('alice', 2101, 2102);
  bob = await t.addUser('bob', 2103, 2103);
});

afterAll(async () => {
  await t?.stop();
  if (base) await rm(base, { recursive: true, force: true });
});

let counter = 0;
async function newSession(who: Caller = alice): Promise<string> {
  const r = await who.call<{ name: string }>('POST', '/api/v1/sessions', {
    name: `d1-${Date.now() % 1e7}-${++counter}`,
    kind: 'drmaa1',
  });
  expect(r.status).toBe(201);
  return r.body.name;
}

function run(session: string, body: Partial<Drmaa1JobsBody>, key?: string, who: Caller = alice) {
  return who.call<{ jobIds: string[] }>(
    'POST',
    `/api/v1/sessions/${session}/drmaa1/jobs`,
    { attributes: {}, ...body },
    key ? { 'idempotency-key': key } : {},
  );
}

async function runOk(session: string, body: Partial<Drmaa1JobsBody>): Promise<string[]> {
  const r = await run(session, body);
  if (r.status !== 201) throw new Error(`drmaa1 submit failed: ${r.status} ${r.text}`);
  return r.body.jobIds;
}

function wait(session: string, body: Record<string, unknown>): Promise<Reply<SessionWaitResult>> {
  return alice.call<SessionWaitResult>('POST', `/api/v1/sessions/${session}/wait`, { timeout: 60, ...body });
}

function act(session: string, action: string): Promise<Reply<SessionActionResult>> {
  return alice.call<SessionActionResult>('POST', `/api/v1/sessions/${session}/actions`, { action });
}

async function stateOf(id: string, who: Caller = alice): Promise<string> {
  const r = await who.call<{ jobId: string; state: string }>('GET', `/api/v1/jobs/${id}/drmaa1`);
  expect(r.status).toBe(200);
  expect(r.body.jobId).toBe(id);
  return r.body.state;
}

async function job(id: string): Promise<Job> {
  const r = await alice.call<Job>('GET', `/api/v1/jobs/${id}`);
  expect(r.status).toBe(200);
  return r.body;
}

function errorOf(r: Reply): { code: string; message: string; field?: string } {
  return (r.body as { error: { code: string; message: string; field?: string } }).error;
}

const sh = (script: string) => ({
  attributes: { drmaa_remote_command: '/bin/sh' },
  vectors: { drmaa_v_argv: ['-c', script] },
});

describe('DRMAA 1 routes of libdrmaa', () => {
  it('runs a job from C attributes; the wait (omitJobs) reaps it with its job info, and its DRMAA state is FAILED for exit 3', async () => {
    const s = await newSession();
    const [id] = await runOk(s, {
      attributes: { drmaa_remote_command: '/bin/sh', drmaa_job_name: 'three', drmaa_wct_hlimit: '1:00', drmaa_start_time: '' },
      vectors: {
        drmaa_v_argv: ['-c', 'echo "$GREETING" "$1"; exit 3', 'sh', 'x'],
        drmaa_v_env: ['GREETING=a=b c'],
        drmaa_v_email: [],
      },
    });
    expect(id).toMatch(/^\d+$/);
    const r = await wait(s, { ids: [Number(id)], mode: 'any', for: 'terminated', reap: true, omitJobs: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ready: [], readyIds: [Number(id)], timedOut: false, reaped: [Number(id)], unknown: [] });
    expect(r.body.info).toHaveLength(1);
    expect(r.body.info[0]).toMatchObject({
      jobId: id,
      hasExited: true,
      exitStatus: 3,
      hasSignaled: false,
      terminatingSignal: '',
      hasCoreDump: false,
      wasAborted: false,
    });
    expect(r.body.info[0]?.resourceUsage).toMatchObject({ exit_status: '3', submission_time: expect.stringMatching(/^\d+$/) });
    expect(await stateOf(id as string)).toBe('FAILED');
    const j = await job(id as string);
    expect(j).toMatchObject({
      session: s,
      meta: { name: 'three' },
      requirements: { timeLimit: 60 },
      container: { image: 'local/busybox:latest' },
    });
    expect((await alice.call('GET', `/api/v1/jobs/${id}/logs/stdout`)).text).toBe('a=b c x\n');
    // Reaped: a second wait on it is 404, which libdrmaa reports as INVALID_JOB.
    const again = await wait(s, { ids: [Number(id)], mode: 'any', reap: true, omitJobs: true });
    expect(again.status).toBe(404);
    // drmaa_job_ps: any job the caller may see; another user's is 404 like a missing one.
    expect((await bob.call('GET', `/api/v1/jobs/${id}/drmaa1`)).status).toBe(404);
    expect((await alice.call('GET', '/api/v1/jobs/999999/drmaa1')).status).toBe(404);
  });

  it('a retry with the same Idempotency-Key answers the same ids and creates nothing', async () => {
    const s = await newSession();
    const key = 'a'.repeat(31) + String(counter);
    const first = await run(s, { ...sh('true'), bulk: { start: 1, end: 3, incr: 1 } }, key);
    const second = await run(s, { ...sh('true'), bulk: { start: 1, end: 3, incr: 1 } }, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.jobIds).toEqual(first.body.jobIds);
    const single = await run(s, sh('true'), `${key}-single`);
    const singleAgain = await run(s, sh('true'), `${key}-single`);
    expect(singleAgain.body.jobIds).toEqual(single.body.jobIds);
    const list = await alice.call<JobList>('GET', `/api/v1/jobs?session=${s}&arrayParents=false`);
    expect(list.body.jobs).toHaveLength(4);
    const bad = await run(s, sh('true'), 'bad key with spaces');
    expect(bad.status).toBe(400);
    expect(errorOf(bad).field).toBe('header.idempotency-key');
  });

  it('refuses unknown attribute names, bad values and bad native specifications, naming the C attribute', async () => {
    const s = await newSession();
    const unknown = await run(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_bogus: 'x' } });
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown)).toMatchObject({ code: 'GOD_INVALID_REQUEST', field: 'drmaa_bogus' });
    expect(errorOf(unknown).message).toContain('"drmaa_bogus" is not a DRMAA job template attribute');
    const vector = await run(s, { attributes: { drmaa_remote_command: '/bin/true' }, vectors: { drmaa_v_bogus: ['x'] } });
    expect(errorOf(vector)).toMatchObject({ code: 'GOD_INVALID_REQUEST', field: 'drmaa_v_bogus' });
    const join = await run(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_join_files: 'yes' } });
    expect(errorOf(join)).toMatchObject({ field: 'drmaa_join_files', message: 'drmaa_join_files must be "y" or "n", not "yes"' });
    const env = await run(s, { attributes: { drmaa_remote_command: '/bin/true' }, vectors: { drmaa_v_env: ['NOEQUALS'] } });
    expect(errorOf(env).message).toBe('drmaa_v_env entry "NOEQUALS" must be NAME=value');
    const native = await run(s, {
      attributes: { drmaa_remote_command: '/bin/true', drmaa_native_specification: '-c 2 --frobnicate' },
    });
    expect(native.status).toBe(400);
    expect(errorOf(native).field).toBe('drmaa_native_specification');
    expect(errorOf(native).message).toMatch(/unknown option "--frobnicate".*takes -c\/--cpu/);
    const limit = await run(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_wct_hlimit: 'soon' } });
    expect(errorOf(limit)).toMatchObject({ field: 'drmaa_wct_hlimit' });
    expect(errorOf(limit).message).toMatch(/^drmaa_wct_hlimit: invalid duration "soon"/);
    const soft = await run(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_wct_slimit: '60' } });
    expect(errorOf(soft)).toMatchObject({ code: 'GOD_UNSUPPORTED_ATTRIBUTE', field: 'drmaa_wct_slimit' });
    const host = await run(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_output_path: 'far-away-host:/tmp/x' } });
    expect(errorOf(host)).toMatchObject({ code: 'GOD_UNSUPPORTED_ATTRIBUTE', field: 'drmaa_output_path' });
    expect(errorOf(host).message).toContain('names the host "far-away-host"');
    const nothing = await run(s, { attributes: { drmaa_remote_command: '' } });
    expect(errorOf(nothing)).toMatchObject({ field: 'drmaa_remote_command' });
    expect((await run('no-such-session', sh('true'))).status).toBe(404);
    const bulk = await run(s, { ...sh('true'), bulk: { start: 5, end: 2, incr: 1 } });
    expect(errorOf(bulk).field).toBe('bulk.end');
  });

  it('a job category is the admin’s native specification, the template’s own options winning; an unknown one is refused', async () => {
    const s = await newSession();
    const [small] = await runOk(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_job_category: 'small' } });
    expect((await job(small as string)).requirements).toMatchObject({ cpu: 0.25, ram: 64 });
    const [mixed] = await runOk(s, {
      attributes: { drmaa_remote_command: '/bin/true', drmaa_job_category: 'tagged', drmaa_native_specification: '-c 1' },
    });
    const j = await job(mixed as string);
    expect(j.requirements.cpu).toBe(1);
    expect(j.meta.tags).toEqual(['from-category']);
    // The native specification's --image wins over the admin's DRMAA image.
    const [imaged] = await runOk(s, {
      attributes: {
        drmaa_remote_command: '/bin/true',
        drmaa_js_state: 'drmaa_hold',
        drmaa_native_specification: '--image local/not-for-drmaa:latest',
      },
    });
    expect((await job(imaged as string)).container.image).toBe('local/not-for-drmaa:latest');
    const unknown = await run(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_job_category: 'huge' } });
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown)).toMatchObject({ code: 'GOD_INVALID_REQUEST', field: 'drmaa_job_category' });
    expect(errorOf(unknown).message).toBe('drmaa_job_category "huge" is not a category of this GoDocker; known: small, tagged');
  });

  it('mounts the working directory and output path at their host paths from the catalogue: the file lands on the host, owned by the user', async () => {
    const s = await newSession();
    const wd = join(shared, 'work');
    await mkdir(wd);
    await chmod(wd, 0o777);
    const [id] = await runOk(s, {
      attributes: {
        drmaa_remote_command: '/bin/sh',
        drmaa_wd: wd,
        drmaa_output_path: `:${shared}/out.txt`,
        drmaa_join_files: 'y',
      },
      vectors: { drmaa_v_argv: ['-c', 'echo "in $PWD as $(id -u)"; echo oops >&2; echo made > here.txt'] },
    });
    const done = await waitJob(alice, Number(id));
    expect(done.status).toMatchObject({ state: 'done', exitCode: 0 });
    expect(done.container.volumes).toEqual([{ name: 'shared', mode: 'rw' }]);
    const out = join(shared, 'out.txt');
    expect(await readFile(out, 'utf8')).toBe(`in ${wd} as 2101\noops\n`);
    expect((await stat(out)).uid).toBe(2101);
    expect(await readFile(join(wd, 'here.txt'), 'utf8')).toBe('made\n');
  });

  it('refuses a host path no same-path volume covers, or one it must write in a read-only volume, saying which volumes would do', async () => {
    const s = await newSession();
    const notCovered = await run(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_output_path: `:${outside}/out` } });
    expect(notCovered.status).toBe(400);
    expect(errorOf(notCovered)).toMatchObject({ code: 'GOD_VOLUME_NOT_ALLOWED', field: 'drmaa_output_path' });
    expect(errorOf(notCovered).message).toContain(`${outside}/out is not inside a volume mounted at the same path`);
    expect(errorOf(notCovered).message).toContain(`${shared} (shared, rw), ${readOnly} (reference, ro)`);
    const wd = await run(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_wd: '/var/lib/nowhere' } });
    expect(errorOf(wd)).toMatchObject({ code: 'GOD_VOLUME_NOT_ALLOWED', field: 'drmaa_wd' });
    const ro = await run(s, { attributes: { drmaa_remote_command: '/bin/true', drmaa_error_path: `:${readOnly}/err` } });
    expect(errorOf(ro)).toMatchObject({ code: 'GOD_VOLUME_NOT_ALLOWED', field: 'drmaa_error_path' });
    expect(errorOf(ro).message).toContain('which the admin mounts read-only');
    // Reading from a read-only volume is fine; a command not under any volume is taken to be in the image.
    const [id] = await runOk(s, {
      attributes: { drmaa_remote_command: '/bin/cat', drmaa_input_path: `:${readOnly}/missing`, drmaa_wd: readOnly },
    });
    expect((await job(id as string)).container.volumes).toEqual([{ name: 'reference', mode: 'ro' }]);
  });

  it('an output or error path naming a folder gets JOBNAME.oJOBID and JOBNAME.eJOBID in it, as Grid Engine writes them', async () => {
    const s = await newSession();
    const dir = join(shared, 'logs');
    await mkdir(dir);
    await chmod(dir, 0o777);
    const [id] = await runOk(s, {
      attributes: {
        drmaa_remote_command: '/bin/sh',
        drmaa_job_name: 'named',
        drmaa_output_path: `:${dir}`,
        drmaa_error_path: `localhost:${dir}`,
      },
      vectors: { drmaa_v_argv: ['-c', 'echo to-out; echo to-err >&2'] },
    });
    expect((await waitJob(alice, Number(id))).status.state).toBe('done');
    expect(await readFile(join(dir, `named.o${id}`), 'utf8')).toBe('to-out\n');
    expect(await readFile(join(dir, `named.e${id}`), 'utf8')).toBe('to-err\n');
  });

  it('runs a bulk job: task ids in index order, $drmaa_incr_ph$ in the output path names each task’s file', async () => {
    const s = await newSession();
    const ids = await runOk(s, {
      attributes: { drmaa_remote_command: '/bin/sh', drmaa_output_path: `:${shared}/task.$drmaa_incr_ph$.out` },
      vectors: { drmaa_v_argv: ['-c', 'echo "task $GODOCKER_TASK_ID"'] },
      bulk: { start: 2, end: 6, incr: 2 },
    });
    expect(ids).toHaveLength(3);
    const jobs = await Promise.all(ids.map((id) => job(id)));
    expect(jobs.map((j) => j.taskIndex)).toEqual([2, 4, 6]);
    const r = await wait(s, { ids: ids.map(Number), mode: 'all', reap: true, omitJobs: true });
    expect(r.body.readyIds.sort()).toEqual(ids.map(Number).sort());
    expect(r.body.info.map((i) => i.exitStatus)).toEqual([0, 0, 0]);
    for (const i of [2, 4, 6]) expect(await readFile(join(shared, `task.${i}.out`), 'utf8')).toBe(`task ${i}\n`);
  });

  it('holds and releases the pending tasks of a bulk job through the session, once through their parent', async () => {
    const s = await newSession();
    // A begin time far ahead keeps the tasks pending, where hold applies.
    const tasks = await runOk(s, {
      attributes: { drmaa_remote_command: '/bin/true', drmaa_start_time: '2099/01/01 00:00' },
      bulk: { start: 1, end: 3, incr: 1 },
    });
    for (const id of tasks) expect(await stateOf(id)).toBe('QUEUED_ACTIVE');
    const held = await act(s, 'hold');
    expect(held.status).toBe(200);
    expect([...held.body.jobIds].sort()).toEqual([...tasks].sort());
    for (const id of tasks) expect(await stateOf(id)).toBe('USER_ON_HOLD');
    expect([...(await act(s, 'release')).body.jobIds].sort()).toEqual([...tasks].sort());
    for (const id of tasks) expect(await stateOf(id)).toBe('QUEUED_ACTIVE');
    await act(s, 'kill');
    const r = await wait(s, { mode: 'all', reap: true, omitJobs: true });
    expect(r.body.info.map((i) => i.wasAborted)).toEqual([true, true, true]);
  });

  it('acts on every active job of a session: nothing on an empty session, a held bulk job released once through its parent, others left alone', async () => {
    const s = await newSession();
    expect((await act(s, 'hold')).body).toEqual({ jobIds: [] });
    expect((await act(s, 'kill')).status).toBe(200);
    const tasks = await runOk(s, {
      attributes: { drmaa_remote_command: '/bin/sleep', drmaa_js_state: 'drmaa_hold' },
      vectors: { drmaa_v_argv: ['30'] },
      bulk: { start: 1, end: 3, incr: 1 },
    });
    const [running] = await runOk(s, { attributes: { drmaa_remote_command: '/bin/sleep' }, vectors: { drmaa_v_argv: ['30'] } });
    await waitJob(alice, Number(running), 'started');
    for (const id of tasks) expect(await stateOf(id)).toBe('USER_ON_HOLD');
    // Nothing is pending: hold applies to no job, and the held and running ones stay as they are.
    expect((await act(s, 'hold')).body).toEqual({ jobIds: [] });
    expect(await stateOf(running as string)).toBe('RUNNING');
    const released = await act(s, 'release');
    expect(released.status).toBe(200);
    expect(released.body.jobIds).toEqual(tasks);
    for (const id of tasks) expect(await stateOf(id)).not.toBe('USER_ON_HOLD');
    const killed = await act(s, 'kill');
    expect([...killed.body.jobIds].sort()).toEqual([...tasks, running].sort());
    const r = await wait(s, { mode: 'all', reap: true, omitJobs: true });
    expect(r.body.reaped).toHaveLength(4);
    for (const id of [...tasks, running as string]) expect(await stateOf(id)).toBe('FAILED');
    // Reaped jobs are no longer the session's to act on.
    expect((await act(s, 'kill')).body).toEqual({ jobIds: [] });
    expect((await alice.call('POST', '/api/v1/sessions/nope/actions', { action: 'kill' })).status).toBe(404);
    expect((await alice.call('POST', `/api/v1/sessions/${s}/actions`, { action: 'explode' })).status).toBe(400);
  });

  it('the wait’s job info tells a signal from an abort: a killed running job was signaled, a killed held job never ran', async () => {
    const s = await newSession();
    const [running] = await runOk(s, { attributes: { drmaa_remote_command: '/bin/sleep' }, vectors: { drmaa_v_argv: ['30'] } });
    const [held] = await runOk(s, {
      attributes: { drmaa_remote_command: '/bin/true', drmaa_js_state: 'drmaa_hold' },
    });
    expect(await stateOf(held as string)).toBe('USER_ON_HOLD');
    await waitJob(alice, Number(running), 'started');
    for (const id of [running, held])
      expect((await alice.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'kill' })).status).toBe(200);
    const r = await wait(s, { mode: 'all', reap: true, omitJobs: true });
    const info = new Map(r.body.info.map((i) => [i.jobId, i]));
    expect(info.get(running as string)).toMatchObject({
      hasExited: false,
      hasSignaled: true,
      terminatingSignal: expect.stringMatching(/^SIG(KILL|TERM)$/),
      wasAborted: false,
    });
    expect(info.get(held as string)).toMatchObject({
      hasExited: false,
      hasSignaled: false,
      terminatingSignal: '',
      wasAborted: true,
    });
    expect(info.get(held as string)?.resourceUsage.start_time).toBeUndefined();
  });

  it('on the local executor host paths are the job’s own: no volume is needed for a working directory or an output path', async () => {
    const local = await startTestDaemon('local');
    try {
      const carol = await local.addUser('carol', 2105, 2105);
      const made = await carol.call<{ name: string }>('POST', '/api/v1/sessions', { kind: 'drmaa1' });
      const r = await carol.call<{ jobIds: string[] }>('POST', `/api/v1/sessions/${made.body.name}/drmaa1/jobs`, {
        attributes: { drmaa_remote_command: '/bin/sh', drmaa_wd: outside, drmaa_output_path: `:${outside}` },
        vectors: { drmaa_v_argv: ['-c', 'echo "local in $PWD"'] },
      });
      expect(r.status).toBe(201);
      const [id] = r.body.jobIds;
      const done = await waitJob(carol, Number(id));
      expect(done.status.state).toBe('done');
      expect(done.container.volumes).toEqual([]);
      expect(await readFile(join(outside, `job.o${id}`), 'utf8')).toBe(`local in ${outside}\n`);
    } finally {
      await local.stop();
    }
  });

  it('C attributes and the SDK’s DRMAA1 template convert both ways without loss', () => {
    const attributes = {
      drmaa_remote_command: '/bin/echo',
      drmaa_js_state: 'drmaa_hold',
      drmaa_wd: '$drmaa_hd_ph$/w',
      drmaa_join_files: 'y',
      drmaa_block_email: '0',
      drmaa_output_path: ':/o/$drmaa_incr_ph$',
      drmaa_native_specification: "-c 2 --tag 'a b'",
    };
    const vectors = { drmaa_v_argv: ['x', ''], drmaa_v_env: ['A=1=2', 'B='] };
    const jt = drmaa1.fromCAttributes(attributes, vectors);
    expect(jt).toMatchObject({ jobSubmissionState: 'drmaa_hold', joinFiles: true, jobEnvironment: { A: '1=2', B: '' } });
    expect(drmaa1.toCAttributes(jt)).toEqual({ attributes, vectors });
    expect(() => drmaa1.toCAttributes({ script: 'echo' })).toThrow(/script has no DRMAA 1.0 C attribute/);
  });

  it('documents the DRMAA routes in the OpenAPI document', async () => {
    const doc = await alice.call<{ paths: Record<string, unknown> }>('GET', '/api/v1/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/sessions/{name}/drmaa1/jobs',
        '/api/v1/sessions/{name}/actions',
        '/api/v1/jobs/{id}/drmaa1',
      ]),
    );
  });
});
