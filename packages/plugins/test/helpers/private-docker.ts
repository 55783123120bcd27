/**
 * A Docker engine of the test's own (own socket, data and exec roots), so a test may stop and
 * start it without touching the engine every other test uses. Same flags as scripts/docker-up.sh;
 * the busybox test image is copied over from the shared engine.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TEST_IMAGE } from './run-spec.js';

export interface PrivateEngine {
  socketPath: string;
  /** Stops the engine (SIGTERM, as systemctl stop does) and waits for it to be gone. */
  stop(): Promise<void>;
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

  const start = async (): Promise<void> => {
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
      { stdio: 'ignore' },
    );
    child = proc;
    // A test run that ends early (a timeout, ^C) must not leave an engine behind: SIGTERM lets it stop its containers.
    const orphaned = (): void => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
    };
    process.once('exit', orphaned);
    proc.once('exit', () => process.off('exit', orphaned));
    for (let i = 0; i < 120; i++) {
      if (proc.exitCode !== null) throw new Error(`private dockerd exited with ${proc.exitCode} before answering`);
      if (answers(socketPath)) return;
      await delay(250);
    }
    throw new Error(`private dockerd did not answer on ${socketPath} within 30 s`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await Promise.race([gone, delay(30_000).then(() => proc.kill('SIGKILL'))]);
    await gone;
  };

  await start();
  execFileSync('sh', ['-c', `docker save ${TEST_IMAGE} | docker -H unix://${socketPath} load`], { stdio: 'ignore' });
  return {
    socketPath,
    stop,
    start,
    async destroy() {
      await stop();
      for (const point of mountsUnder(root)) execFileSync('umount', ['-l', point]);
      await rm(root, { recursive: true, force: true });
    },
  };
}
