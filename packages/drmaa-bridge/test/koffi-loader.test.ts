import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AlreadyActiveSessionError,
  drmaaNames,
  InconsistentStateError,
  InvalidJobError,
  NoActiveSessionError,
  WaitTimeoutError,
} from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../../scheduler/test/helpers/test-daemon.js';
import {
  type DrmaaLibrary,
  DrmaaLibraryError,
  DrmaaLoadError,
  isDrmaaCallError,
  JOB_IDS_SESSION_ALL,
  JOB_IDS_SESSION_ANY,
  type JobTemplate,
  loadDrmaa,
} from '../src/index.js';
import { BRIDGE, buildLibrary, LIBRARY } from './helpers/library.js';

const FOREVER = -1;

buildLibrary();

let daemon: TestDaemon;
let home: string;
let lib: DrmaaLibrary;

beforeAll(async () => {
  daemon = await startTestDaemon('docker');
  const user = await daemon.addUser('koffi', 1000);
  home = await mkdtemp(join(tmpdir(), 'godocker-koffi-home-'));
  // What the library reads at drmaa_init; no saved login of whoever runs the tests may answer instead.
  process.env.GODOCKER_URL = daemon.url;
  process.env.GODOCKER_TOKEN = user.token;
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = join(home, 'config');
  lib = loadDrmaa(LIBRARY);
});

afterAll(async () => {
  await lib?.exit().catch(() => undefined);
  await daemon?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

/** Runs `use` on a fresh template, deleted afterwards whatever happens. */
async function withTemplate<T>(use: (jt: JobTemplate) => Promise<T>): Promise<T> {
  const jt = lib.allocateJobTemplate();
  try {
    return await use(jt);
  } finally {
    jt.delete();
  }
}

function shell(script: string, attributes: Record<string, string> = {}): Promise<string> {
  return withTemplate(async (jt) => {
    jt.set('drmaa_remote_command', '/bin/sh');
    jt.setVector('drmaa_v_argv', ['-c', script]);
    for (const [name, value] of Object.entries(attributes)) jt.set(name, value);
    return lib.runJob(jt);
  });
}

async function untilState(id: string, states: string[], timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await lib.jobPs(id);
    if (states.includes(state) || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected an exception');
}

describe('loading', () => {
  it('refuses a missing path and a file that is not a library, naming DRMAA_LIBRARY_PATH', () => {
    const none = thrown(() => loadDrmaa(undefined, {}));
    expect(none).toBeInstanceOf(DrmaaLoadError);
    expect((none as Error).message).toContain('DRMAA_LIBRARY_PATH');
    const bad = thrown(() => loadDrmaa(join(BRIDGE, 'package.json')));
    expect(bad).toBeInstanceOf(DrmaaLoadError);
    expect((bad as DrmaaLoadError).path).toBe(join(BRIDGE, 'package.json'));
  });

  it('takes DRMAA_LIBRARY_PATH when no path is given', () => {
    expect(loadDrmaa(undefined, { DRMAA_LIBRARY_PATH: LIBRARY }).path).toBe(LIBRARY);
  });
});

describe('before init', () => {
  it('version, implementation, DRM system and contact answer', async () => {
    expect(lib.version()).toEqual({ major: 1, minor: 0 });
    expect(lib.drmaaImplementation()).toMatch(/^GoDocker libdrmaa \d+\.\d+\.\d+/);
    expect(await lib.drmSystem()).toBe('GoDocker');
    expect(lib.contact()).toBe(daemon.url.replace(/\/$/, ''));
  });

  it('a call that needs a session fails with NoActiveSessionError', async () => {
    const e = await rejection(lib.jobPs('1'));
    expect(e).toBeInstanceOf(NoActiveSessionError);
    expect(isDrmaaCallError(e) && e.drmaa1Name).toBe('NO_ACTIVE_SESSION');
  });
});

describe('a session', () => {
  beforeAll(async () => {
    await lib.init();
  });

  it('names the daemon and its version, and a contact that names the server-side session', async () => {
    expect(await lib.drmSystem()).toMatch(/^GoDocker \d+\.\d+\.\d+/);
    expect(lib.contact()).toMatch(new RegExp(`^${daemon.url.replace(/\/$/, '')}/api/v1/sessions/[^/]+$`));
  });

  it('a second init fails with AlreadyActiveSessionError, its errno, name and diagnosis', async () => {
    const e = await rejection(lib.init());
    expect(e).toBeInstanceOf(AlreadyActiveSessionError);
    if (!isDrmaaCallError(e)) throw new Error('not a DRMAA call error');
    expect(e.call).toBe('drmaa_init');
    expect(e.errno).toBe(11);
    expect(e.drmaa1Name).toBe('ALREADY_ACTIVE_SESSION');
    expect(e.diagnosis).not.toBe('');
    expect(e.message).toContain('DRMAA_ERRNO_ALREADY_ACTIVE_SESSION');
    expect(drmaaNames(e).drmaa1).toBe('ALREADY_ACTIVE_SESSION');
  });
});

describe('job templates', () => {
  it('lists the standard attribute names, scalar and vector', () => {
    const names = lib.attributeNames();
    for (const name of ['drmaa_remote_command', 'drmaa_wd', 'drmaa_output_path', 'drmaa_native_specification']) {
      expect(names).toContain(name);
    }
    expect(new Set(lib.vectorAttributeNames())).toEqual(new Set(['drmaa_v_argv', 'drmaa_v_env', 'drmaa_v_email']));
    const jt = lib.allocateJobTemplate();
    expect(jt.attributeNames()).toEqual(names);
    jt.delete();
  });

  it('values round-trip whole: unicode, quotes, and a value longer than any fixed buffer', () => {
    const jt = lib.allocateJobTemplate();
    try {
      const long = 'x'.repeat(5000);
      const odd = 'héllo "wörld" $HOME \\n \' ; 日本';
      jt.set('drmaa_job_name', odd);
      jt.set('drmaa_native_specification', long);
      expect(jt.get('drmaa_job_name')).toBe(odd);
      expect(jt.get('drmaa_native_specification')).toBe(long);
      jt.setVector('drmaa_v_argv', ['a b', '', long, odd]);
      expect(jt.getVector('drmaa_v_argv')).toEqual(['a b', '', long, odd]);
      jt.setVector('drmaa_v_env', []);
      expect(jt.getVector('drmaa_v_env')).toEqual([]);
    } finally {
      jt.delete();
    }
  });

  it('an unknown attribute fails with INVALID_ARGUMENT and says which', () => {
    const jt = lib.allocateJobTemplate();
    try {
      const e = thrown(() => jt.set('drmaa_bogus', 'x'));
      expect(e).toBeInstanceOf(DrmaaLibraryError);
      expect((e as DrmaaLibraryError).drmaa1Name).toBe('INVALID_ARGUMENT');
      expect((e as DrmaaLibraryError).diagnosis).toContain('drmaa_bogus');
    } finally {
      jt.delete();
    }
  });

  it('a deleted template is refused instead of reaching freed memory', () => {
    const jt = lib.allocateJobTemplate();
    jt.delete();
    jt.delete();
    const e = thrown(() => jt.get('drmaa_job_name'));
    expect(e).toBeInstanceOf(DrmaaLibraryError);
    expect((e as Error).message).toContain('deleted');
  });
});

describe('jobs', () => {
  it('runJob and wait: the exit status and rusage; a second wait on the reaped job fails with InvalidJobError', async () => {
    const id = await shell('exit 3');
    expect(id).toMatch(/^\d+$/);
    const end = await lib.wait(id, 60);
    expect(end).toMatchObject({ jobId: id, exited: true, exitStatus: 3, signaled: false, aborted: false, termSignal: null });
    expect(Number(end.rusage.ru_wallclock)).toBeGreaterThanOrEqual(0);
    expect(end.rusage.exit_status).toBe('3');
    expect(await lib.jobPs(id)).toBe('FAILED');
    const again = await rejection(lib.wait(id, 0));
    expect(again).toBeInstanceOf(InvalidJobError);
    expect((again as InvalidJobError).jobId).toBe(id);
  });

  it('the event loop goes on while a wait blocks in the library', async () => {
    const id = await shell('sleep 2');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const started = Date.now();
    try {
      const end = await lib.wait(id, 60);
      expect(end.exitStatus).toBe(0);
    } finally {
      clearInterval(timer);
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(1500);
    // A frozen loop would tick at most once, after the call.
    expect(ticks).toBeGreaterThan(elapsed / 50 / 3);
  });

  it('terminate: the job ends by a signal with its POSIX name, and job_ps says FAILED', async () => {
    const id = await shell('sleep 30');
    expect(await untilState(id, ['RUNNING'])).toBe('RUNNING');
    await lib.control(id, 'TERMINATE');
    const end = await lib.wait(id, 60);
    expect(end.signaled).toBe(true);
    expect(end.exited).toBe(false);
    expect(end.termSignal).toMatch(/^SIG(TERM|KILL)$/);
    expect(await lib.jobPs(id)).toBe('FAILED');
  });

  it('suspend and resume a running job; resuming a running one is RESUME_INCONSISTENT_STATE', async () => {
    const id = await shell('sleep 30');
    expect(await untilState(id, ['RUNNING'])).toBe('RUNNING');
    const inconsistent = await rejection(lib.control(id, 'RESUME'));
    expect(inconsistent).toBeInstanceOf(InconsistentStateError);
    expect((inconsistent as InconsistentStateError).drmaa1Name).toBe('RESUME_INCONSISTENT_STATE');
    await lib.control(id, 'SUSPEND');
    expect(await untilState(id, ['USER_SUSPENDED'])).toBe('USER_SUSPENDED');
    await lib.control(id, 'RESUME');
    expect(await untilState(id, ['RUNNING'])).toBe('RUNNING');
    await lib.control(id, 'TERMINATE');
    await lib.wait(id, 60);
  });

  it('hold and release: a job submitted on hold runs once released', async () => {
    const id = await shell('exit 0', { drmaa_js_state: 'drmaa_hold' });
    expect(await lib.jobPs(id)).toBe('USER_ON_HOLD');
    expect(await rejection(lib.wait(id, 1))).toBeInstanceOf(WaitTimeoutError);
    await lib.control(id, 'RELEASE');
    const end = await lib.wait(id, 60);
    expect(end.exitStatus).toBe(0);
    expect(await lib.jobPs(id)).toBe('DONE');
  });

  it('bulk jobs: task ids in order, synchronize without dispose, then each wait reaps its own', async () => {
    const ids = await withTemplate(async (jt) => {
      jt.set('drmaa_remote_command', '/bin/sh');
      jt.setVector('drmaa_v_argv', ['-c', 'exit $((GODOCKER_TASK_ID + 10))']);
      return lib.runBulkJobs(jt, 1, 3, 1);
    });
    expect(ids).toHaveLength(3);
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
    await lib.synchronize(ids, 60, false);
    const statuses = [];
    for (const id of ids) statuses.push((await lib.wait(id, 0)).exitStatus);
    expect(statuses).toEqual([11, 12, 13]);
  });

  it('synchronize with a timeout fails with EXIT_TIMEOUT; with dispose it reaps; an empty session succeeds', async () => {
    const id = await shell('sleep 30');
    const e = await rejection(lib.synchronize([id], 1, true));
    expect(e).toBeInstanceOf(WaitTimeoutError);
    expect(isDrmaaCallError(e) && e.drmaa1Name).toBe('EXIT_TIMEOUT');
    await lib.control(JOB_IDS_SESSION_ALL, 'TERMINATE');
    await lib.synchronize([JOB_IDS_SESSION_ALL], 60, true);
    expect(await rejection(lib.wait(id, 0))).toBeInstanceOf(InvalidJobError);
    // Nothing left: SESSION_ALL succeeds, and a wait on SESSION_ANY fails at once.
    await lib.synchronize([JOB_IDS_SESSION_ALL], FOREVER, true);
    await lib.control(JOB_IDS_SESSION_ALL, 'SUSPEND');
    const started = Date.now();
    expect(await rejection(lib.wait(JOB_IDS_SESSION_ANY, FOREVER))).toBeInstanceOf(InvalidJobError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('unknown job ids: wait and job_ps fail with InvalidJobError naming the id', async () => {
    const waited = await rejection(lib.wait('999999', 0));
    expect(waited).toBeInstanceOf(InvalidJobError);
    expect((waited as InvalidJobError).jobId).toBe('999999');
    expect(await rejection(lib.jobPs('999999'))).toBeInstanceOf(InvalidJobError);
  });

  it("a refused native specification is INVALID_ATTRIBUTE_VALUE with the daemon's reason", async () => {
    const e = await rejection(shell('exit 0', { drmaa_native_specification: '-c 1 --frobnicate 3' }));
    expect(e).toBeInstanceOf(DrmaaLibraryError);
    expect((e as DrmaaLibraryError).drmaa1Name).toBe('INVALID_ATTRIBUTE_VALUE');
    expect((e as DrmaaLibraryError).diagnosis).toContain('--frobnicate');
  });
});

describe('exit and reattach', () => {
  it('after exit the jobs go on; init with the contact reattaches and waits on them', async () => {
    const id = await shell('sleep 1; exit 7');
    const contact = lib.contact();
    await lib.exit();
    expect(await rejection(lib.wait(id, 0))).toBeInstanceOf(NoActiveSessionError);
    await lib.init(contact);
    expect(lib.contact()).toBe(contact);
    const end = await lib.wait(JOB_IDS_SESSION_ANY, 60);
    expect(end).toMatchObject({ jobId: id, exited: true, exitStatus: 7 });
  });
});
