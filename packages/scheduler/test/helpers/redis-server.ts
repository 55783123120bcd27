/**
 * A private redis-server for a test file (Debian's /usr/bin/redis-server), on a free port
 * of 127.0.0.1, without persistence, so a test can stop it, kill -9 it, freeze it
 * (SIGSTOP) and start it again on the same port: the outages the coordination layer
 * must live through. Never the system one on 6379, which other things may use.
 *
 * ```ts
 * const server = await startRedisServer();
 * afterAll(() => server.close());
 * await server.restart();
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port.js';

export const REDIS_SERVER = process.env.GODOCKER_TEST_REDIS_SERVER ?? '/usr/bin/redis-server';

export interface TestRedisServer {
  readonly port: number;
  readonly url: string;
  /** Whether a redis-server process of ours is alive (it may be frozen). */
  running(): boolean;
  /** SIGTERM, and waits for the process to end. */
  stop(): Promise<void>;
  /** SIGKILL, and waits for the process to end; safe to call when already stopped. */
  kill(): Promise<void>;
  /** kill() and removes its folder: the afterAll of the test file. */
  close(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Starts a fresh server (empty: no persistence) on the same port. */
  start(): Promise<void>;
  restart(): Promise<void>;
}

// Every server any test file started, killed when the worker exits even if afterAll never ran.
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** One raw PING, so the check does not depend on the client under test. */
async function pings(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
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

export async function startRedisServer(options: { port?: number } = {}): Promise<TestRedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'godocker-redis-'));
  let child: ChildProcess | undefined;
  let stderr = '';

  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));

  const start = async () => {
    if (child) throw new Error(`redis-server on port ${port} is already running`);
    const c = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = c;
    alive.add(c);
    c.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    c.once('exit', () => {
      alive.delete(c);
      if (child === c) child = undefined;
    });
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}: ${stderr}`);
      if (await pings(port)) return;
      await delay(25);
    }
    c.kill('SIGKILL');
    throw new Error(`redis-server on port ${port} did not answer PING within 10 s: ${stderr}`);
  };

  const signalAndWait = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c) return;
    if (signal === 'SIGTERM') c.kill('SIGCONT'); // a frozen server cannot act on SIGTERM
    c.kill(signal);
    await exited(c);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    running: () => child !== undefined,
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    async close() {
      await signalAndWait('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    start,
    async restart() {
      await signalAndWait('SIGTERM');
      await start();
    },
  };
}
