/**
 * A private redis-server for a benchmark (Debian's /usr/bin/redis-server, or
 * GODOCKER_BENCH_REDIS_SERVER), on a free port of 127.0.0.1, without persistence:
 * never the system one on 6379, which other things may use. Killed when the
 * benchmark exits, even if it never calls close().
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const REDIS_SERVER = process.env.GODOCKER_BENCH_REDIS_SERVER ?? '/usr/bin/redis-server';

export interface BenchRedis {
  url: string;
  /** SIGKILL, and removes its folder. */
  close(): Promise<void>;
}

/** A TCP port on loopback nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

/** One raw PING, so the check needs no client. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d: Buffer) => done(d.toString().startsWith('+PONG')));
  });
}

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'godocker-bench-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const child = spawn(REDIS_SERVER, [...args, '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'pipe'] });
  alive.add(child);
  let stderr = '';
  let failed = false;
  child.once('error', (e) => {
    failed = true;
    stderr += e.message;
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => alive.delete(child));
  const close = async () => {
    if (!failed && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 10_000;
  while (!(await pings(port))) {
    if (failed || child.exitCode !== null || Date.now() > until) {
      await close();
      throw new Error(`redis-server on port ${port} did not answer PING within 10 s: ${stderr.trim()}`);
    }
    await delay(25);
  }
  return { url: `redis://127.0.0.1:${port}`, close };
}
