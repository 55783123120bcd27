/**
 * Runs a Python package's pytest suite from vitest: in its cached venv (scripts/python-venvs.sh),
 * with the checkout's packages installed into a fresh temporary folder (so the cached venv never
 * holds stale code), against live daemons the suite starts itself (godocker_testing).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// Never the sync forms: a venv build takes a minute, and a blocked vitest worker misses its RPC deadlines.
const run = promisify(execFile);

/** The root of the checkout. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const INTEGRATIONS = join(REPO, 'packages/integrations');

export interface PytestRun {
  code: number;
  /** pytest's stdout and stderr, for the failure message. */
  output: string;
}

export interface PytestOptions {
  /** Name of the venv (packages/integrations/requirements/NAME.txt). */
  venv: string;
  /** Folders under packages/integrations to install (without their dependencies: the venv has them). */
  packages: readonly string[];
  /** The package whose tests run (its folder is pytest's working directory). */
  testsOf: string;
  /** More pytest arguments (`-k`, a file). */
  args?: readonly string[];
  env?: Record<string, string>;
  timeoutMs: number;
}

/** The venv's folder, built the first time (a minute or two), reused after. */
export async function venvPath(name: string): Promise<string> {
  const { stdout, stderr } = await run('bash', [join(REPO, 'scripts/python-venvs.sh'), name], { timeout: 900_000 });
  if (stderr) process.stderr.write(stderr);
  return stdout.trim();
}

export async function runPytest(options: PytestOptions): Promise<PytestRun> {
  const python = join(await venvPath(options.venv), 'bin/python');
  const work = mkdtempSync(join(tmpdir(), 'godocker-pytest-'));
  try {
    const site = join(work, 'site');
    // Built from copies: setuptools writes build/ and *.egg-info beside the sources it builds.
    const sources = options.packages.map((p) => {
      const copy = join(work, 'src', p);
      cpSync(join(INTEGRATIONS, p), copy, {
        recursive: true,
        filter: (s) => !/(__pycache__|\.egg-info|\/build)$/.test(s),
      });
      return copy;
    });
    await run(
      python,
      ['-m', 'pip', 'install', '-q', '--no-deps', '--no-build-isolation', '--no-index', '--target', site, ...sources],
      { timeout: 300_000 },
    );
    return await new Promise<PytestRun>((done) => {
      execFile(
        python,
        ['-m', 'pytest', '-p', 'no:cacheprovider', '-v', '--tb=short', '--color=no', ...(options.args ?? [])],
        {
          cwd: join(INTEGRATIONS, options.testsOf),
          env: { ...process.env, PYTHONPATH: site, PYTHONDONTWRITEBYTECODE: '1', GODOCKER_REPO: REPO, ...options.env },
          timeout: options.timeoutMs,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          done({ code, output: `${stdout}${stderr}${error && code === 1 && error.killed ? '\n(killed: timed out)' : ''}` });
        },
      );
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
