/**
 * Debian's Snakemake, with its DRMAA executor (`--drmaa`), runs a workflow
 * through our libdrmaa.so: every rule is a GoDocker job. Snakemake's job
 * script runs `python3 -m snakemake` on the host, so the daemon uses the local
 * executor; Snakemake runs as an ordinary user (uid 1000), whose jobs run as
 * that uid and write the workflow folder it owns.
 */
import { execFile } from 'node:child_process';
import { chown, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../scheduler/test/helpers/api-caller.js';
import { startTestDaemon, type TestDaemon } from '../../scheduler/test/helpers/test-daemon.js';
import { buildLibrary, LIBRARY, REPO } from './helpers/library.js';

const SNAKEFILE = join(REPO, 'packages/drmaa-bridge/test/snakemake/Snakefile');
const UID = 1000;

let daemon: TestDaemon;
let user: Caller;
let home: string;
const folders: string[] = [];

beforeAll(async () => {
  buildLibrary();
  daemon = await startTestDaemon('local');
  // Jobs get the GoDocker user's home as HOME, and Snakemake writes its cache
  // there: it must exist and be the user's, which addUser's default is not.
  home = await mkdtemp(join(tmpdir(), 'godocker-snakemake-home-'));
  await chown(home, UID, UID);
  user = await daemon.addUser('hpc', UID, UID, home);
});

afterAll(async () => {
  await daemon?.stop();
  for (const dir of [...folders, home]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fresh workflow folder with the Snakefile, owned by the user who runs Snakemake. */
async function workflow(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'godocker-snakemake-'));
  folders.push(dir);
  await copyFile(SNAKEFILE, join(dir, 'Snakefile'));
  for (const path of [dir, join(dir, 'Snakefile')]) await chown(path, UID, UID);
  return dir;
}

/** `snakemake --drmaa` as uid 1000, as an HPC user would type it; resolves with its exit code and output. */
function snakemake(dir: string, targets: string[]): Promise<{ code: number; output: string }> {
  const args = ['--drmaa', '', '--jobs', '3', '--snakefile', 'Snakefile', '--directory', dir];
  return new Promise((resolve) => {
    execFile(
      'setpriv',
      [
        `--reuid=${UID}`,
        `--regid=${UID}`,
        '--clear-groups',
        '/usr/bin/snakemake',
        ...args,
        '--drmaa-log-dir',
        join(dir, 'logs'),
        ...targets,
      ],
      {
        cwd: dir,
        timeout: 120_000,
        env: {
          PATH: '/usr/bin:/bin',
          HOME: home,
          XDG_CONFIG_HOME: join(home, '.config'),
          LC_ALL: 'C.UTF-8',
          DRMAA_LIBRARY_PATH: LIBRARY,
          GODOCKER_URL: daemon.url,
          GODOCKER_TOKEN: user.token,
          // Snakemake checks its DRMAA jobs every 10 s, or every second when CI=true.
          CI: 'true',
        },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, output: `${stdout}${stderr}${error && code === -1 ? `\n${error.message}` : ''}` });
      },
    );
  });
}

async function jobsOf(rules: readonly string[]): Promise<Map<string, Job>> {
  const r = await user.call<{ jobs: Job[] }>('GET', '/api/v1/jobs?limit=100');
  expect(r.status, r.text).toBe(200);
  const out = new Map<string, Job>();
  for (const job of r.body.jobs) {
    // Snakemake names each DRMAA job after its job script: snakejob.RULE.N.sh
    const rule = /^snakejob\.(\w+)\.\d+\.sh$/.exec(job.meta.name)?.[1];
    if (rule !== undefined && rules.includes(rule)) out.set(rule, job);
  }
  return out;
}

describe('snakemake --drmaa through libdrmaa.so', () => {
  it('runs two producers and a merge, each rule a GoDocker job', async () => {
    const dir = await workflow();
    const { code, output } = await snakemake(dir, []);
    expect(code, output).toBe(0);
    expect(await readFile(join(dir, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect(await readFile(join(dir, 'world.txt'), 'utf8')).toBe('world\n');
    expect(await readFile(join(dir, 'merged.txt'), 'utf8')).toBe('hello\nworld\n');

    const jobs = await jobsOf(['hello', 'world', 'merge']);
    expect([...jobs.keys()].sort()).toEqual(['hello', 'merge', 'world']);
    for (const job of jobs.values()) {
      expect(job.status.state, JSON.stringify(job.status)).toBe('done');
      expect(job.user.uid).toBe(UID);
    }
    // The merge was submitted only once both producers had ended.
    const merge = jobs.get('merge') as Job;
    for (const rule of ['hello', 'world']) {
      const producer = jobs.get(rule) as Job;
      expect(Date.parse(merge.status.submittedAt)).toBeGreaterThanOrEqual(Date.parse(producer.status.endedAt ?? ''));
    }
  }, 120_000);

  it('reports a rule that fails as failed, and so does GoDocker', async () => {
    const dir = await workflow();
    const { code, output } = await snakemake(dir, ['broken.txt']);
    expect(code, output).not.toBe(0);
    expect(output).toContain('Error in rule broken');
    const broken = (await jobsOf(['broken'])).get('broken');
    expect(broken, 'no GoDocker job for the rule').toBeDefined();
    expect(broken?.status.state).toBe('failed');
    expect(broken?.status.exitCode).toBe(1);
  }, 120_000);
});
