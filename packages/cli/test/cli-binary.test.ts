/**
 * The built executable (package.json's bin): the bundle run from V8's code cache,
 * what a shell loop of `godocker submit` starts each time.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { GodockerClient, VERSION } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin } from './helpers/built-bin.js';
import { type CliHarness, startCliHarness } from './helpers/cli-harness.js';

let h: CliHarness;
let client: GodockerClient;
const bin = builtBin();

beforeAll(async () => {
  h = await startCliHarness('cli-binary');
  client = new GodockerClient({ url: h.daemon.url, token: h.daemon.adminToken ?? '' });
});

afterAll(async () => {
  await h?.stop();
});

/** Runs the executable with `stdin` piped in. */
async function godocker(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...h.adminEnv }, cwd: h.dir });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  child.stdin.end(stdin);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('the godocker executable', () => {
  it('is the bundle, without the TypeBox schemas, run from a code cache', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--version']);
    expect(stdout).toBe(`${VERSION}\n`);
    const dist = dirname(bin);
    expect(readdirSync(dist).filter((f) => f.endsWith('.v8cache'))).toHaveLength(1);
    const bundle = readFileSync(join(dist, 'cli.cjs'), 'utf8');
    expect(bundle).toContain('commander/lib/command.js');
    expect(bundle).not.toContain('@sinclair/typebox');
  });

  it('submits a job', async () => {
    const r = await godocker(['submit', '--cmd', 'true', '--hold', '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const job = await client.getJob(Number(r.stdout.trim()));
    expect(job.command.script).toBe('true');
    expect(job.status.state).toBe('held');
  });

  it('submits a file of jobs from stdin', async () => {
    const r = await godocker(['submit', '--file', '-', '--hold'], 'echo 1\n# not a job\necho 2\n');
    expect(r.code).toBe(0);
    const ids = r.stdout.trimEnd().split('\n').map(Number);
    expect((await Promise.all(ids.map((id) => client.getJob(id)))).map((j) => j.command.script)).toEqual(['echo 1', 'echo 2']);
  });

  it('says what is wrong when the daemon cannot be reached', async () => {
    const r = await godocker(['info', '--url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot reach the GoDocker daemon at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
  });

  it('runs the daemon: `godocker server` imports the scheduler from outside the cached bundle', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'godocker-bin-server-'));
    await mkdir(join(dir, 'data'), { mode: 0o711 });
    const child = spawn(process.execPath, [bin, 'server', '--quiet'], {
      env: {
        ...process.env,
        GODOCKER_DATA_DIR: join(dir, 'data'),
        GODOCKER_PORT: '0',
        GODOCKER_EXECUTOR: 'local',
        HOME: dir,
        XDG_CONFIG_HOME: join(dir, 'config'),
        GODOCKER_ADMIN_TOKEN: 'a-seeded-admin-token-0123456789',
      },
    });
    try {
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          stdout += c;
          const m = /listening on (\S+)/.exec(stdout);
          if (m) resolve(m[1] as string);
        });
        child.on('close', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
      });
      const info = await new GodockerClient({ url, token: 'a-seeded-admin-token-0123456789' }).info();
      expect(info.version).toBe(VERSION);
      child.kill('SIGINT');
      const [code] = (await once(child, 'close')) as [number | null];
      expect(code).toBe(0);
      expect(stderr).toContain('stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
