/**
 * libdrmaa.so from C, as an HPC program uses it: c/test/drmaa_tap.c checks the
 * behaviour DRMAA clients depend on against a real daemon (Docker executor),
 * under valgrind memcheck, three threads at once included. Every TAP line is
 * its own assertion; valgrind must report no error and no definite or
 * indirect leak. examples/c runs against the same daemon.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../../scheduler/test/helpers/test-daemon.js';
import { BRIDGE, buildLibrary, REPO } from './helpers/library.js';
import { clientEnv, parseTap, type Run, run, type Tap } from './helpers/tap.js';

const LIBRARY_DIR = join(BRIDGE, 'build');
const JOB_UID = 1000;

interface Memcheck {
  errors: number;
  definitelyLost: number;
  indirectlyLost: number;
  log: string;
}

function parseMemcheck(log: string): Memcheck {
  const bytes = (kind: string): number => {
    const m = new RegExp(`${kind} lost: ([\\d,]+) bytes`).exec(log);
    // No LEAK SUMMARY at all means "All heap blocks were freed".
    return m ? Number((m[1] ?? '0').replaceAll(',', '')) : 0;
  };
  const summary = /ERROR SUMMARY: ([\d,]+) errors/.exec(log);
  return {
    errors: summary ? Number((summary[1] ?? '').replaceAll(',', '')) : Number.NaN,
    definitelyLost: bytes('definitely'),
    indirectlyLost: bytes('indirectly'),
    log,
  };
}

let daemon: TestDaemon;
let work: string;
let env: NodeJS.ProcessEnv;
let tap: Tap;
let tapRun: Run;
let memcheck: Memcheck;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'godocker-drmaa-c-'));
  buildLibrary();
  const tapProgram = join(work, 'drmaa_tap');
  execFileSync(
    'cc',
    [
      ...['-std=c11', '-D_POSIX_C_SOURCE=200809L', '-Wall', '-Wextra', '-Werror', '-g', '-pthread'],
      ...['-I', join(BRIDGE, 'c/include'), join(BRIDGE, 'c/test/drmaa_tap.c'), join(BRIDGE, 'c/test/tap.c')],
      ...['-o', tapProgram],
      ...[`-L${LIBRARY_DIR}`, '-ldrmaa', `-Wl,-rpath,${LIBRARY_DIR}`],
    ],
    { stdio: 'pipe' },
  );
  execFileSync('make', ['-s', '-C', join(REPO, 'examples/c'), `BUILD=${join(work, 'example')}`], { stdio: 'pipe' });

  daemon = await startTestDaemon('docker');
  const user = await daemon.addUser('hpc', JOB_UID);
  // Job ids of three digits and more, as on any cluster that has run a while,
  // so a 3-byte job id buffer really truncates: 101 ids taken by a held array, then killed.
  const array = await daemon.admin.call<{ id: number }>('POST', '/api/v1/jobs', {
    command: { script: 'true' },
    array: '1-100',
    hold: true,
  });
  if (array.status !== 201) throw new Error(`could not take job ids: ${array.text}`);
  const killed = await daemon.admin.call('POST', `/api/v1/jobs/${array.body.id}/actions`, { action: 'kill' });
  if (killed.status !== 200) throw new Error(`could not kill the held array: ${killed.text}`);

  env = await clientEnv(work, daemon.url, user.token);
  const valgrindLog = join(work, 'valgrind.log');
  tapRun = await run(
    'valgrind',
    [
      '--error-exitcode=99',
      '--leak-check=full',
      '--errors-for-leak-kinds=definite,indirect',
      '--show-leak-kinds=definite,indirect',
      `--log-file=${valgrindLog}`,
      tapProgram,
    ],
    env,
    150_000,
  );
  tap = parseTap(tapRun.stdout);
  memcheck = parseMemcheck(await readFile(valgrindLog, 'utf8').catch(() => ''));
}, 200_000);

afterAll(async () => {
  await daemon?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('libdrmaa.so from C (c/test/drmaa_tap.c under valgrind)', () => {
  it('runs every planned test and exits 0', () => {
    const context = `stdout:\n${tapRun.stdout}\nstderr:\n${tapRun.stderr}`;
    expect(tap.bailOut, context).toBeNull();
    expect(tap.plan, `no TAP plan; ${context}`).toBeGreaterThan(50);
    expect(
      tap.tests.map((t) => t.number),
      `test numbers should run 1..${tap.plan}`,
    ).toEqual(Array.from({ length: tap.plan ?? 0 }, (_, i) => i + 1));
    expect(tapRun.code, context).toBe(0);
  });

  it('passes every TAP test', () => {
    expect(tap.tests.length).toBeGreaterThan(0);
    for (const t of tap.tests) {
      expect.soft(t.ok, `not ok ${t.number} - ${t.description}\n${t.diagnostics.join('\n')}`).toBe(true);
    }
  });

  it('valgrind memcheck: no invalid access, no definite or indirect leak', () => {
    expect(memcheck.errors, memcheck.log).toBe(0);
    expect(memcheck.definitelyLost, memcheck.log).toBe(0);
    expect(memcheck.indirectlyLost, memcheck.log).toBe(0);
    expect(tapRun.code, 'valgrind exits 99 when it found errors').not.toBe(99);
  });
});

describe('examples/c', () => {
  it('submit_and_wait: submits one job, waits, prints its exit status and wall clock', async () => {
    const r = await run(join(work, 'example/submit_and_wait'), [], env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^connected to GoDocker \S+, contact \S+$/m);
    expect(r.stdout).toMatch(/^submitted job \d+$/m);
    const id = /^submitted job (\d+)$/m.exec(r.stdout)?.[1];
    expect(r.stdout).toContain(`job ${id} exited with status 3\n`);
    expect(r.stdout).toMatch(/^wall clock: \d+(\.\d+)? s$/m);
  });

  it('submit_and_wait: a refused login is a clear error, exit 1', async () => {
    const r = await run(join(work, 'example/submit_and_wait'), [], { ...env, GODOCKER_TOKEN: 'not-a-token' }, 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^drmaa_init failed: .+ \(.+\)$/m);
  });
});
