/**
 * A real daemon for the SDK's tests, running its jobs on the Docker engine: in
 * this process (the "HTTP" mode, talked to over its port), or behind
 * `createEmbeddedScheduler` (the embedded mode).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEmbeddedScheduler,
  type DeepPartial,
  type EmbeddedScheduler,
  type GodockerConfig,
  startDaemon,
} from '@godocker/scheduler';

export const TEST_IMAGE = 'local/busybox:latest';
export const ADMIN_TOKEN = 'sdk-test-admin-token-0123456789';

/** Room for many small jobs at once on a 2-core machine; passes often, kills fast. */
export const DOCKER_CONFIG: DeepPartial<GodockerConfig> = {
  executor: { type: 'docker', options: { capacity: { cpu: 16, ram: 16384 } } },
  images: { default: TEST_IMAGE, catalogue: [TEST_IMAGE] },
  limits: { defaultCpu: 0.25, defaultRam: 64, killGraceSeconds: 1 },
  scheduler: { tickSeconds: 0.5, reconcileSeconds: 2 },
};

export interface RunningDaemon {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** A daemon started on its own (not through the SDK), on a free loopback port. */
export async function startDockerDaemon(): Promise<RunningDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'godocker-sdk-'));
  await chmod(dir, 0o711);
  const daemon = await startDaemon({
    config: { ...DOCKER_CONFIG, dataDir: dir, server: { host: '127.0.0.1', port: 0 } },
    env: { GODOCKER_ADMIN_TOKEN: ADMIN_TOKEN, HOME: dir },
    logger: false,
  });
  return {
    url: daemon.url,
    token: ADMIN_TOKEN,
    async stop() {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function startEmbedded(): Promise<EmbeddedScheduler> {
  return createEmbeddedScheduler({ config: DOCKER_CONFIG });
}
