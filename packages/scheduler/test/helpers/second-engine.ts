/**
 * A second, real Docker engine on this machine for the many-hosts tests: its own socket,
 * data-root and exec-root (scripts/docker-up.sh), served over TCP with TLS and client
 * certificates (scripts/docker-tls-certs.sh), with the test image built into it. A test
 * stops it mid-run and starts it again, as an admin would a host.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../../..');
const STATE = '/var/lib/godocker-ci/engine2';

export interface SecondEngine {
  socketPath: string;
  /** tcp://127.0.0.1:PORT */
  host: string;
  tls: { ca: string; cert: string; key: string };
  start(): Promise<void>;
  /** SIGTERM, as `systemctl stop docker`: with live-restore its containers go on running. */
  stop(): Promise<void>;
  /** `docker` against it, over its unix socket. */
  docker(...args: string[]): Promise<string>;
}

export function secondEngine(port = 23761): SecondEngine {
  const socketPath = '/run/godocker-engine2.sock';
  const tlsDir = join(STATE, 'tls');
  const env = {
    ...process.env,
    GODOCKER_DOCKER_SOCKET: socketPath,
    GODOCKER_DOCKER_TCP: `127.0.0.1:${port}`,
    GODOCKER_DOCKER_TLS_DIR: tlsDir,
    // As a site running jobs over many hosts would: a stopped engine leaves its containers running.
    GODOCKER_DOCKERD_ARGS: '--live-restore',
  };
  const docker = async (...args: string[]) => (await run('docker', ['-H', `unix://${socketPath}`, ...args])).stdout;
  return {
    socketPath,
    host: `tcp://127.0.0.1:${port}`,
    tls: { ca: join(tlsDir, 'ca.pem'), cert: join(tlsDir, 'cert.pem'), key: join(tlsDir, 'key.pem') },
    docker,
    async start() {
      await run('bash', [join(ROOT, 'scripts/docker-tls-certs.sh'), tlsDir]);
      await run('bash', [join(ROOT, 'scripts/docker-up.sh'), STATE], { env });
      await run('bash', [join(ROOT, 'scripts/build-test-images.sh')], { env });
    },
    async stop() {
      let pid: number;
      try {
        pid = Number(readFileSync(join(STATE, 'dockerd.pid'), 'utf8'));
      } catch {
        return;
      }
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 300; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await delay(100);
      }
      throw new Error(`the second Docker engine (pid ${pid}) did not stop within 30 s`);
    },
  };
}
