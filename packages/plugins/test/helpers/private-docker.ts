/**
 * A Docker engine of the test's own (own socket, data and exec roots), so a test may stop and
 * start it without touching the engine every other test uses. Same flags as scripts/docker-up.sh;
 * the busybox test image is copied over from the shared engine.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TEST_IMAGE } from './run-spec.js';

export interface PrivateEngine {
  socketPath: string;
  /** Stops the engine (SIGTERM, as systemctl stop does) and waits for it to be gone. */
  stop(): Promise<void>;
  /**
   * Kills the engine (SIGKILL, as a crash or the OOM killer would): its open connections are cut
   * mid-answer. Its containers go on under their shims until destroy(); start() after it is not reliable here.
   */
  crash(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its folders. */
  destroy(): Promise<void>;
}

function answers(socketPath: string): boolean {
  try {
    execFileSync('docker', ['-H', `unix://${socketPath}`, 'version'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Processes of this engine that outlive it (containerd, its shims, named by the engine's exec root on
 * their command line) and what runs under them (the containers' processes), children first.
 */
function leftoversOf(root: string): number[] {
  const parents = new Map<number, number>();
  const own = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the parent pid comes after the last ')'.
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`${root}/exec/`)) own.add(Number(entry));
    } catch {
      // Ended while we looked.
    }
  }
  const under = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (own.has(p)) return true;
    return false;
  };
  const children = [...parents.keys()].filter((pid) => !own.has(pid) && under(pid));
  return [...children, ...own];
}

/** What the engine left mounted under its folders (network namespaces of its containers), deepest first. */
function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((point) => point.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

export async function startPrivateEngine(): Promise<PrivateEngine> {
  const root = await mkdtemp(join(tmpdir(), 'godocker-engine-'));
  const socketPath = join(root, 'docker.sock');
  let child: ChildProcess | null = null;

  const logPath = join(root, 'dockerd.log');
  const start = async (): Promise<void> => {
    const log = openSync(logPath, 'a');
    const proc = spawn(
      'dockerd',
      [
        '--storage-driver=vfs',
        '--iptables=false',
        '--ip6tables=false',
        '--bridge=none',
        '--data-root',
        join(root, 'data'),
        '--exec-root',
        join(root, 'exec'),
        '-H',
        `unix://${socketPath}`,
        '--pidfile',
        join(root, 'dockerd.pid'),
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    child = proc;
    // A test run that ends early (a timeout, ^C) must not leave an engine behind: SIGTERM lets it stop its containers.
    const orphaned = (): void => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
    };
    process.once('exit', orphaned);
    proc.once('exit', () => process.off('exit', orphaned));
    for (let i = 0; i < 120; i++) {
      if (proc.exitCode !== null) {
        const said = readFileSync(logPath, 'utf8').split('\n').slice(-8).join('\n');
        throw new Error(`private dockerd exited with ${proc.exitCode} before answering; its log ends with:\n${said}`);
      }
      if (answers(socketPath)) return;
      await delay(250);
    }
    throw new Error(`private dockerd did not answer on ${socketPath} within 30 s`);
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await Promise.race([gone, delay(30_000).then(() => proc.kill('SIGKILL'))]);
    await gone;
  };

  await start();
  execFileSync('sh', ['-c', `docker save ${TEST_IMAGE} | docker -H unix://${socketPath} load`], { stdio: 'ignore' });
  return {
    socketPath,
    stop: () => stop('SIGTERM'),
    crash: () => stop('SIGKILL'),
    start,
    async destroy() {
      await stop();
      for (const pid of leftoversOf(root)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      for (const point of mountsUnder(root)) execFileSync('umount', ['-l', point]);
      await rm(root, { recursive: true, force: true });
    },
  };
}
