/**
 * Debian's unmodified Python `drmaa` package (python3-drmaa) drives GoDocker
 * through our libdrmaa.so, as an HPC user would: DRMAA_LIBRARY_PATH is all
 * that changes. The pytest suite in ./python runs once against a daemon with
 * the Docker executor; each of its tests is one test here, failing with
 * pytest's own report. The examples in examples/python run against the same
 * daemon.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../../scheduler/test/helpers/test-daemon.js';
import { buildLibrary, LIBRARY, REPO } from './helpers/library.js';

const exec = promisify(execFile);
const SUITE = join(REPO, 'packages/drmaa-bridge/test/python');
// Debian's interpreter, where python3-drmaa and pytest live (not a pyenv one earlier on PATH).
const PYTHON = '/usr/bin/python3';
const JOB_UID = 1000;

/** What a user of the drmaa package sets; the GODOCKER_* values are the daemon's, or stand-ins to list the tests. */
function pythonEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/bin:/bin',
    LC_ALL: 'C.UTF-8',
    // pytest and the examples must leave nothing in the repository.
    PYTHONDONTWRITEBYTECODE: '1',
    DRMAA_LIBRARY_PATH: LIBRARY,
    ...vars,
  };
}

// Built and listed while the file is collected, so each pytest test is a test
// here; listing imports drmaa, which loads the library.
buildLibrary();
const collected = execFileSync(PYTHON, ['-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider', '.'], {
  cwd: SUITE,
  encoding: 'utf8',
  env: pythonEnv({
    GODOCKER_URL: 'http://127.0.0.1:9',
    GODOCKER_TOKEN: 'listing-only',
    GODOCKER_SCRATCH: '/nonexistent',
    GODOCKER_JOB_UID: String(JOB_UID),
    HOME: '/nonexistent',
  }),
})
  .split('\n')
  .filter((line) => line.includes('::'));

interface Outcome {
  passed: boolean;
  report: string;
  seconds: number;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** pytest's JUnit report, by test id (`test_x.py::test_y`). */
function parseJunit(xml: string): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  for (const m of xml.matchAll(/<testcase ([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1], unescapeXml(a[2] ?? '')]));
    const body = m[2] ?? '';
    const id = `${(attrs.classname ?? '').replaceAll('.', '/')}.py::${attrs.name}`;
    // Anything but a clean pass fails here, a skip included: no test may be skipped.
    const problem = /<(failure|error|skipped)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    const report = problem
      ? `${problem[1]}: ${unescapeXml(/message="([^"]*)"/.exec(problem[2] ?? '')?.[1] ?? '')}\n${unescapeXml(problem[3] ?? '')}`
      : '';
    out.set(id, { passed: problem === null, report, seconds: Number(attrs.time ?? 0) });
  }
  return out;
}

let daemon: TestDaemon;
let scratch: string;
let env: NodeJS.ProcessEnv;
let outcomes = new Map<string, Outcome>();
let pytestOutput = '';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'godocker-drmaa-py-'));
  // Jobs run as the user's uid and write their files here.
  await chown(scratch, JOB_UID, JOB_UID);
  await chmod(scratch, 0o755);
  daemon = await startTestDaemon('docker', {
    volumes: [{ name: 'scratch', hostPath: scratch, mode: 'rw' }],
  });
  const alice = await daemon.addUser('alice', JOB_UID);
  const home = await mkdtemp(join(tmpdir(), 'godocker-drmaa-home-'));
  env = pythonEnv({
    GODOCKER_URL: daemon.url,
    GODOCKER_TOKEN: alice.token,
    GODOCKER_SCRATCH: scratch,
    GODOCKER_JOB_UID: String(JOB_UID),
    // No saved login of whoever runs the tests may answer instead.
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
  });
  await mkdir(join(home, 'config'));
  const junit = join(home, 'junit.xml');
  try {
    const r = await exec(
      PYTHON,
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', `--junitxml=${junit}`, '-o', 'junit_family=xunit1', '.'],
      { cwd: SUITE, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    pytestOutput = r.stdout + r.stderr;
  } catch (e) {
    // Failing tests make pytest exit 1: their reports are in the JUnit file.
    const failed = e as { stdout?: string; stderr?: string; message: string };
    pytestOutput = `${failed.stdout ?? ''}${failed.stderr ?? ''}\n${failed.message}`;
  }
  outcomes = parseJunit(await readFile(junit, 'utf8').catch(() => ''));
  await rm(home, { recursive: true, force: true });
}, 300_000);

afterAll(async () => {
  await daemon?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('python3-drmaa through libdrmaa.so (pytest)', () => {
  it('pytest ran every test it listed', () => {
    expect(collected.length, 'pytest listed no tests').toBeGreaterThan(30);
    const missing = collected.filter((id) => !outcomes.has(id));
    expect(missing, `not in pytest's report:\n${pytestOutput}`).toEqual([]);
  });

  for (const id of collected) {
    it(id, () => {
      const outcome = outcomes.get(id);
      if (outcome === undefined) throw new Error(`pytest did not report ${id}:\n${pytestOutput}`);
      if (!outcome.passed) throw new Error(outcome.report);
    });
  }
});

describe('examples/python', () => {
  async function runExample(name: string): Promise<string> {
    const { stdout } = await exec(PYTHON, [join(REPO, 'examples/python', name)], { env, timeout: 60_000 });
    return stdout;
  }

  it('submit_and_wait.py: submits one job and prints how it ended', async () => {
    const out = await runExample('submit_and_wait.py');
    expect(out).toMatch(/^connected to GoDocker \S+, contact \S+$/m);
    expect(out).toMatch(/^submitted job \d+$/m);
    expect(out).toMatch(/^job \d+ exited with status 3 \(failed\)$/m);
    expect(out).toMatch(/^wall clock: \d+(\.\d+)? s$/m);
  });

  it('bulk_synchronize.py: five tasks, synchronize, then every exit status once', async () => {
    const out = await runExample('bulk_synchronize.py');
    expect(out).toMatch(/^submitted tasks \d+, \d+, \d+, \d+, \d+$/m);
    expect(out).toContain('all tasks have ended');
    expect(out.match(/exit status 1 \(failed\)/g)).toHaveLength(3);
    expect(out.match(/exit status 0 \(done\)/g)).toHaveLength(2);
    expect(out).toContain('no job left in the session');
  });
});
