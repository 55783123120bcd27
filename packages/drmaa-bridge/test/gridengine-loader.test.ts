import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DrmaaLibrary, JOB_IDS_SESSION_ANY, type JobTemplate, loadDrmaa } from '../src/index.js';
import { accounting, GE_ENV, GE_LIBRARY, requireGridEngine } from './helpers/gridengine.js';

let lib: DrmaaLibrary;
let out: string;

async function shell(script: string, name: string): Promise<string> {
  const jt: JobTemplate = lib.allocateJobTemplate();
  try {
    jt.set('drmaa_remote_command', '/bin/sh');
    jt.setVector('drmaa_v_argv', ['-c', script]);
    jt.set('drmaa_job_name', name);
    jt.set('drmaa_output_path', `:${join(out, `${name}.stdout`)}`);
    jt.set('drmaa_error_path', `:${join(out, `${name}.stderr`)}`);
    return await lib.runJob(jt);
  } finally {
    jt.delete();
  }
}

/** Waits until the job named `name` has written `text` to its stdout: it runs on the host. */
async function untilWritten(name: string, text: string, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const written = await readFile(join(out, `${name}.stdout`), 'utf8').catch(() => '');
    if (written === text) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  requireGridEngine();
  Object.assign(process.env, GE_ENV);
  out = await mkdtemp(join(tmpdir(), 'godocker-ge-loader-'));
  await chmod(out, 0o755);
  lib = loadDrmaa(GE_LIBRARY);
  await lib.init();
});

afterAll(async () => {
  await lib?.exit().catch(() => undefined);
  if (out) await rm(out, { recursive: true, force: true });
});

describe("loadDrmaa on Grid Engine's libdrmaa.so", () => {
  it('is DRMAA 1.0 of Grid Engine, with a session contact of its own', async () => {
    expect(lib.version()).toEqual({ major: 1, minor: 0 });
    // Grid Engine's version. Its product name ("SGE") is there only once the library has read
    // the qmaster's feature set, which Grid Engine does at a time of its own (CI saw it missing
    // even after a job was submitted and waited for), so the name is optional here.
    expect(await lib.drmSystem()).toMatch(/^(SGE)? ?8\.1\.9$/);
    expect(lib.drmaaImplementation()).toMatch(/^(SGE)? ?8\.1\.9$/);
    expect(lib.contact()).toMatch(/^session=/);
  });

  it('runs /bin/sh -c "exit 3" on Grid Engine: wait gives exit 3, and qacct knows the job', async () => {
    const id = await shell('echo on-grid-engine; exit 3', 'exit3');
    expect(id).toMatch(/^\d+$/);
    const end = await lib.wait(id, 60);
    expect(end.jobId).toBe(id);
    expect(end.aborted).toBe(false);
    expect(end.exited).toBe(true);
    expect(end.exitStatus).toBe(3);
    expect(Number(end.rusage.end_time)).toBeGreaterThan(0);
    expect(await readFile(join(out, 'exit3.stdout'), 'utf8')).toBe('on-grid-engine\n');
    const acct = await accounting(id);
    expect(acct.jobname).toBe('exit3');
    expect(acct.exit_status).toBe('3');
    expect(acct.qname).toBe('all.q');
    expect(await lib.drmSystem()).toMatch(/^(SGE)? ?8\.1\.9$/);
  });

  it('terminate kills a running job: Grid Engine reports it aborted, its rusage has SIGKILL as exit status 137', async () => {
    const id = await shell('echo started; exec sleep 60', 'killed');
    // A terminate while Grid Engine still sends the job to the host takes up to its load report interval (10 s).
    expect(await untilWritten('killed', 'started\n')).toBe(true);
    expect(await lib.jobPs(id)).toBe('RUNNING');
    await lib.control(id, 'TERMINATE');
    const end = await lib.wait(JOB_IDS_SESSION_ANY, 30);
    expect(end.jobId).toBe(id);
    // Not "signaled": Grid Engine's DRMAA says aborted for a job deleted while it ran,
    // though it started (start_time) and was killed (exit_status 128 + 9).
    expect(end.exited).toBe(false);
    expect(end.signaled).toBe(false);
    expect(end.aborted).toBe(true);
    expect(Number(end.rusage.start_time)).toBeGreaterThan(0);
    expect(Number(end.rusage.exit_status)).toBe(137);
  });
});
