/**
 * How jobs end, through libdrmaa.so from C (c/test/drmaa_ends.c), once per
 * executor: `exit N` for all 256 codes is wifexited with status N and never a
 * signal; TERMINATE is a signal for a running job and an abort for one that never
 * ran; a job whose files cannot be opened or whose working directory does not
 * exist never runs (wifaborted, FAILED) and its reason names the path and why.
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../scheduler/test/helpers/api-caller.js';
import { type ExecutorKind, startTestDaemon, type TestDaemon } from '../../scheduler/test/helpers/test-daemon.js';
import { BRIDGE, buildLibrary } from './helpers/library.js';
import { clientEnv, parseTap, run, type Tap } from './helpers/tap.js';

/**
 * The executors this runs on. The local executor joins ('local') once it opens
 * RunSpec.files and reports waitpid's exact status (issue 9, section 1).
 */
const EXECUTORS: ExecutorKind[] = ['docker', 'local'];
const JOB_UID = 1000;

describe.each(EXECUTORS)('libdrmaa.so: how jobs end (c/test/drmaa_ends.c, %s executor)', (kind) => {
  let daemon: TestDaemon;
  let user: Caller;
  let work: string;
  let scratch: string;
  let tap: Tap;
  let output: string;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    buildLibrary();
    execFileSync('make', ['-s', '-C', join(BRIDGE, 'c'), 'ends'], { stdio: 'pipe' });
    work = await mkdtemp(join(tmpdir(), 'godocker-drmaa-ends-'));
    await chmod(work, 0o755);
    scratch = join(work, 'scratch');
    for (const dir of ['', 'rel', 'rel/relative', 'dir']) {
      await mkdir(join(scratch, dir), { recursive: true });
      await chown(join(scratch, dir), JOB_UID, JOB_UID);
    }
    // Root's, 0755: the job's user may not write in it.
    await mkdir(join(scratch, 'locked'), { mode: 0o755 });
    // At most 32 jobs at once (16 cpu of 0.5): the Docker engine is shared with the other test files.
    daemon = await startTestDaemon(kind, { volumes: [{ name: 'scratch', hostPath: scratch, mode: 'rw' }] });
    user = await daemon.addUser('ends', JOB_UID);
    const env = { ...(await clientEnv(work, daemon.url, user.token)), ENDS_SCRATCH: scratch };
    const r = await run(join(BRIDGE, 'build', 'drmaa_ends'), [], env, 900_000);
    output = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    tap = parseTap(r.stdout);
    for (const m of r.stdout.matchAll(/^# job (\S+) (\d+)$/gm)) ids.set(m[1] ?? '', m[2] ?? '');
  }, 1_000_000);

  afterAll(async () => {
    await daemon?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('runs every planned test', () => {
    expect(tap.bailOut, output).toBeNull();
    expect(tap.plan, output).toBeGreaterThan(256);
    expect(tap.tests.length, output).toBe(tap.plan);
  });

  it('passes every TAP test', () => {
    for (const t of tap.tests) {
      expect.soft(t.ok, `not ok ${t.number} - ${t.description}\n${t.diagnostics.join('\n')}`).toBe(true);
    }
  });

  it('each exit code 0..255 is its own TAP test', () => {
    const codes = tap.tests.filter((t) => /^exit \d+: /.test(t.description));
    expect(codes.map((t) => Number(/^exit (\d+)/.exec(t.description)?.[1]))).toEqual(Array.from({ length: 256 }, (_, i) => i));
  });

  async function job(label: string): Promise<Job> {
    const id = ids.get(label);
    if (id === undefined) throw new Error(`drmaa_ends printed no id for ${label}:\n${output}`);
    const r = await user.call<Job>('GET', `/api/v1/jobs/${id}`);
    expect(r.status).toBe(200);
    return r.body;
  }

  it.each([
    ['output-denied', () => `${scratch}/locked/out`, /Permission denied/],
    ['error-folder-denied', (id: number) => `${scratch}/locked/denied.e${id}`, /Permission denied/],
    ['input-missing', () => `${scratch}/no-such-input`, /No such file or directory/],
    ['workdir-missing', () => `working directory ${scratch}/missing-wd does not exist`, /$/],
    ['workdir-missing-relative', () => `working directory ${scratch}/missing-wd does not exist`, /$/],
  ] as const)(
    '%s: failed, never started, no exit code or signal; the reason names the path and why',
    async (label, path, why) => {
      const j = await job(label);
      expect(j.status).toMatchObject({ state: 'failed', exitCode: null, signal: null, startedAt: null });
      expect(j.status.reason).toMatch(/^could not start: /);
      expect(j.status.reason).toContain(path(j.id));
      expect(j.status.reason).toMatch(why);
    },
  );
});
