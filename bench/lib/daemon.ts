/**
 * Starts a GoDocker daemon for a benchmark in a child process (daemon-child.ts),
 * with its own temporary data folder, and a client for it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chown, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DeepPartial, type GodockerConfig, mergeConfig } from '@godocker/scheduler';
import { GodockerClient } from '@godocker/sdk';
import { CONFIG_ENV, type FromDaemon, type LoopDelay, TOKEN_ENV, type ToDaemon } from './daemon-protocol.js';
import { removeLabelled } from './docker.js';
import type { MemorySnapshot } from './report.js';

export interface BenchDaemon {
  url: string;
  /** The daemon's data folder (its SQLite file is godocker.db there). */
  dataDir: string;
  /** The daemon process's pid (its /proc/PID/status). */
  pid: number;
  token: string;
  clusterId: string;
  client: GodockerClient;
  memory(): Promise<MemorySnapshot>;
  /** CPU time the daemon process has used so far, in ms. */
  cpuMs(): Promise<number>;
  /** The daemon's event-loop delays since the last call (or its start). */
  loopDelay(): Promise<LoopDelay>;
  /** Stops the daemon, removes its data folder; returns how many of its containers were left behind. */
  stop(): Promise<number>;
}

export interface DaemonSetup {
  executor: 'docker' | 'local' | 'swarm' | 'kubernetes';
  /** Executor options besides the capacity (the swarm manager's socketPath). */
  options?: Record<string, unknown>;
  /**
   * What the one node offers the scheduler: cpu / job cpu = concurrent slots. Absent: what the
   * backend says (a Kubernetes node's allocatable resources; that executor takes no capacity).
   */
  capacity?: { cpu: number; ram: number };
  /** Config on top of the benchmark's own (e.g. limits.maxArraySize for a larger array). */
  config?: DeepPartial<GodockerConfig>;
  /** A SQLite store to start from (e.g. a deep queue, queue-store.ts): copied into the data folder, never changed. */
  store?: string;
}

const STOP_TIMEOUT_MS = 30_000;

function nextMessage(child: ChildProcess): Promise<FromDaemon> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromDaemon) => {
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`the benchmark daemon exited (code ${code}) before answering`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startBenchDaemon(setup: DaemonSetup): Promise<BenchDaemon> {
  const dataDir = await mkdtemp(join(tmpdir(), `godocker-bench-${setup.executor}-`));
  // The admin's jobs start in its home, which must exist: a folder beside the data folder, the admin's.
  const home = `${dataDir}-home`;
  await mkdir(home, { recursive: true });
  const removeFolders = async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  };
  if (process.getuid?.() === 0) await chown(home, 1000, 1000);
  if (setup.store) {
    try {
      await copyFile(setup.store, join(dataDir, 'godocker.db'));
    } catch (e) {
      await removeFolders();
      throw e;
    }
  }
  const token = randomBytes(24).toString('hex');
  // Product defaults otherwise (scheduler tick, reconcile period, limits): the daemon as an admin starts it.
  const config = mergeConfig(
    {
      dataDir,
      server: { host: '127.0.0.1', port: 0 },
      executor: { type: setup.executor, options: { ...setup.options, ...(setup.capacity ? { capacity: setup.capacity } : {}) } },
      limits: { killGraceSeconds: 1 },
      auth: { admin: { home } },
    },
    (setup.config ?? {}) as Record<string, unknown>,
  ) as DeepPartial<GodockerConfig>;
  const child = fork(new URL('./daemon-child.js', import.meta.url), [], {
    env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config), [TOKEN_ENV]: token },
    // GODOCKER_BENCH_DAEMON_ARGS adds node flags to the daemon only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    execArgv: ['--expose-gc', ...(process.env.GODOCKER_BENCH_DAEMON_ARGS ?? '').split(' ').filter(Boolean)],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await removeFolders();
  };
  let ready: FromDaemon;
  try {
    ready = await nextMessage(child);
  } catch (e) {
    await cleanup();
    throw e;
  }
  if (ready.type !== 'ready') {
    await cleanup();
    throw new Error(`the benchmark daemon did not start: ${ready.type === 'failed' ? ready.message : ready.type}`);
  }
  const { url, clusterId } = ready;
  const send = (m: ToDaemon) => child.send(m);
  const ask = (m: ToDaemon) => {
    const answer = nextMessage(child);
    send(m);
    return answer;
  };
  return {
    url,
    dataDir,
    pid: child.pid as number,
    token,
    clusterId,
    client: new GodockerClient({ url, token }),
    async memory() {
      const m = await ask({ type: 'memory' });
      if (m.type !== 'memory') throw new Error(`unexpected answer from the benchmark daemon: ${m.type}`);
      return m.memory;
    },
    async cpuMs() {
      const m = await ask({ type: 'cpu' });
      if (m.type !== 'cpu') throw new Error(`unexpected answer from the benchmark daemon: ${m.type}`);
      return m.cpuMs;
    },
    async loopDelay() {
      const m = await ask({ type: 'loop' });
      if (m.type !== 'loop') throw new Error(`unexpected answer from the benchmark daemon: ${m.type}`);
      return m.delay;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        if (child.connected) send({ type: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      const leftovers = setup.executor === 'docker' ? await removeLabelled(`godocker.cluster=${clusterId}`) : 0;
      await cleanup();
      return leftovers;
    },
  };
}

/** Stops the daemon and says so when it left containers behind (a product bug: collect removes them). */
export async function shutdown(daemon: BenchDaemon): Promise<void> {
  const left = await daemon.stop();
  if (left > 0) console.log(`  WARNING: ${left} container(s) of the daemon outlived their jobs (removed now)`);
}
