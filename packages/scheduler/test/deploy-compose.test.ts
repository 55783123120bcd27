/**
 * The site layout of deploy/compose.yaml on the real Docker engine (issue 12, part 4): the images
 * built here by scripts/build-daemon-image.sh (nothing is pulled), FerretDB, Redis and the daemon
 * in containers, the daemon running as a non-root user with the docker executor over the host's
 * socket. A job submitted through the daemon's REST API runs on the host's engine; a second daemon
 * on the same store answers for it.
 *
 * The images are built from the packages as `npm run build` left them: the test does not build
 * them itself (tsup cleans dist/ while other test files may be running what is in it), it runs the
 * script with --no-build. `npm test` builds first.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const composeFile = `${repo}deploy/compose.yaml`;
const SOCKET = process.env.GODOCKER_DOCKER_SOCKET ?? '/var/run/docker.sock';
const project = `gdtest${process.pid}${randomBytes(3).toString('hex')}`;
const token = randomBytes(24).toString('hex');

/** `docker compose` (the plugin) when this engine's CLI has it, else `docker-compose`. */
function composeCommand(): string[] {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    try {
      execFileSync(cmd[0] as string, [...cmd.slice(1), 'version'], { stdio: 'ignore', timeout: 15_000 });
      return cmd;
    } catch {
      // not this one
    }
  }
  throw new Error('neither `docker compose` nor `docker-compose` is installed: apt-get install docker-compose');
}

let compose: string[] = [];
let env: NodeJS.ProcessEnv = {};
let port1 = 0;
let port2 = 0;
let jobContainer: string | null = null;
/** The jobs' directories: one host folder both daemons mount at its own path, the daemon's uid's. */
const jobsDir = `/tmp/${project}-jobs`;

async function composeRun(args: string[], timeout = 180_000): Promise<string> {
  const [cmd, ...pre] = compose;
  const { stdout } = await run(cmd as string, [...pre, '-f', composeFile, '-p', project, ...args], {
    env,
    timeout,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function composeLogs(): Promise<string> {
  return composeRun(['logs', '--no-color', '--tail', '40'], 30_000).catch((e: Error) => `(no logs: ${e.message})`);
}

async function api(port: number, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    signal: AbortSignal.timeout(90_000),
  });
}

/** Until GET /healthz answers 200, at most `seconds`; the compose logs in the error otherwise. */
async function waitHealthy(port: number, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no answer on 127.0.0.1:${port}/healthz within ${seconds} s; the logs:\n${await composeLogs()}`);
}

describe('deploy/compose.yaml: the daemon in a container, on FerretDB and Redis', () => {
  beforeAll(async () => {
    try {
      execFileSync('docker', ['-H', `unix://${SOCKET}`, 'version'], { stdio: 'ignore', timeout: 15_000 });
    } catch {
      throw new Error(`no Docker engine answers on ${SOCKET}: start one with \`bash scripts/docker-up.sh\``);
    }
    if (!existsSync(`${repo}packages/cli/dist/godocker.cjs`)) throw new Error('the packages are not built: npm run build');
    compose = composeCommand();
    [port1, port2] = [await freePort(), await freePort()];
    env = {
      ...process.env,
      DOCKER_HOST: `unix://${SOCKET}`,
      GODOCKER_ADMIN_TOKEN: token,
      GODOCKER_DOCKER_GID: String(statSync(SOCKET).gid),
      GODOCKER_PORT1: String(port1),
      GODOCKER_PORT2: String(port2),
      GODOCKER_BIND: '127.0.0.1',
      GODOCKER_JOBS_DIR: jobsDir,
    };
    execFileSync('install', ['-d', '-o', '10001', '-m', '0711', jobsDir]);
    const scriptEnv = { ...process.env, GODOCKER_DOCKER_SOCKET: SOCKET };
    await run('bash', [`${repo}scripts/build-test-images.sh`], { env: scriptEnv, timeout: 120_000 });
    // Cold (debootstrap, every image) about 4 min on this 2-core machine, warm about 2.
    await run('bash', [`${repo}scripts/build-daemon-image.sh`, '--with-services', '--no-build'], {
      env: scriptEnv,
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }, 720_000);

  afterAll(async () => {
    if (compose.length > 0) {
      await composeRun(['down', '-v', '--remove-orphans', '--timeout', '5'], 120_000).catch((e: Error) => {
        console.error(`compose down -v of ${project}: ${e.message}`);
      });
    }
    // The executor removes a job's container once it has its end; if the test stopped before that.
    rmSync(jobsDir, { recursive: true, force: true });
    if (jobContainer) {
      try {
        execFileSync('docker', ['-H', `unix://${SOCKET}`, 'rm', '-f', jobContainer], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        // gone already
      }
    }
  }, 180_000);

  it('runs the site: two daemons elect one leader; a job submitted to either runs once on the host engine, and both answer for it', async () => {
    await composeRun(['up', '-d', 'ferretdb', 'redis', 'daemon1', 'daemon2']);
    await waitHealthy(port1, 90);
    await waitHealthy(port2, 90);
    // One leader, one follower, each saying so in the store.
    const roles = await until(30, async () => {
      const r = await api(port2, '/api/v1/status');
      const body = (await r.json()) as { daemons: { role: string; url: string; stale: boolean }[] };
      const live = body.daemons.filter((d) => !d.stale && d.role !== 'stopped');
      return live.length === 2 && live.some((d) => d.role === 'leader') ? live : undefined;
    });
    expect(roles.map((d) => d.role).sort()).toEqual(['follower', 'leader']);
    expect(roles.map((d) => d.url).sort()).toEqual(['http://daemon1:6543', 'http://daemon2:6543']);

    const submitted = await api(port2, '/api/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({ command: { script: 'echo hello' }, container: { image: 'local/busybox:latest' } }),
    });
    expect(submitted.status, await submitted.clone().text()).toBe(201);
    const job = (await submitted.json()) as { id: number };

    const waited = await api(port1, `/api/v1/jobs/${job.id}/wait?timeout=60&for=terminated`);
    const ended = (await waited.json()) as {
      timedOut: boolean;
      job: { id: number; status: { state: string; containerId?: string; submittedAt: string; endedAt: string } };
    };
    jobContainer = ended.job.status.containerId ?? null;
    expect(ended.timedOut, await composeLogs()).toBe(false);
    expect(ended.job.status.state, JSON.stringify(ended.job.status)).toBe('done');
    const stdout = await api(port1, `/api/v1/jobs/${job.id}/logs/stdout`);
    expect(stdout.status).toBe(200);
    expect(await stdout.text()).toBe('hello\n');

    const seen = await api(port2, `/api/v1/jobs/${job.id}`);
    expect(seen.status).toBe(200);
    const same = (await seen.json()) as { id: number; status: { state: string; submittedAt: string; endedAt: string } };
    expect(same.id).toBe(job.id);
    expect(same.status).toMatchObject({
      state: 'done',
      submittedAt: ended.job.status.submittedAt,
      endedAt: ended.job.status.endedAt,
    });
    // The logs are in the leader's data folder: the other daemon answers them all the same.
    const logs2 = await api(port2, `/api/v1/jobs/${job.id}/logs/stdout`);
    expect(logs2.status).toBe(200);
    expect(await logs2.text()).toBe('hello\n');
  }, 300_000);
});

async function until<T>(seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`not within ${seconds} s; the logs:\n${await composeLogs()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
