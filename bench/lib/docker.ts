/** The Docker engine the docker executor uses, for baselines and clean-up. */
import { spawn } from 'node:child_process';
import Docker from 'dockerode';

export const IMAGE = 'local/busybox:latest';
/** Put on every container a benchmark creates itself, so a crashed run can be swept. */
export const BENCH_LABEL = 'godocker.bench';

function socketPath(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

let shared: Docker | undefined;

export function engine(): Docker {
  shared ??= new Docker({ socketPath: socketPath() });
  return shared;
}

/** Force-removes every container with the label (`key=value`); returns how many there were. */
export async function removeLabelled(label: string): Promise<number> {
  const docker = engine();
  const found = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    found.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  return found.length;
}

/** Runs a command to its end; rejects on a non-zero exit, with its stderr. */
export function run(command: string, args: readonly string[], input = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`)),
    );
    child.stdin.end(input);
  });
}

/** `count` × `docker run --rm --network none IMAGE true`, `width` at a time through xargs -P. */
export function dockerRuns(count: number, width: number, label: string): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `${i}\n`).join('');
  const args = ['-P', String(width), '-I{}', 'docker', 'run', '--rm', '--network', 'none', '--label', label, IMAGE, 'true'];
  return run('xargs', args, lines);
}

/** ms from the create call to the start call's answer; the container is then awaited and removed (untimed). */
export async function rawStartMs(label: string): Promise<number> {
  const docker = engine();
  const [key, value] = label.split('=') as [string, string];
  const t0 = performance.now();
  const container = await docker.createContainer({
    Image: IMAGE,
    Cmd: ['true'],
    User: '1000:1000',
    Labels: { [key]: value },
    HostConfig: { NetworkMode: 'none', NanoCpus: 1e9, Memory: 64 * 2 ** 20, MemorySwap: 64 * 2 ** 20 },
  });
  await container.start();
  const ms = performance.now() - t0;
  await container.wait();
  await container.remove({ force: true });
  return ms;
}
