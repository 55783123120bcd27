/**
 * Embedded mode: the whole scheduler inside the calling process (tests,
 * notebooks, single-machine apps), behind the same DRMAA2 session manager as a
 * remote daemon. The daemon listens on a free loopback port only this process is
 * told about; `close()` stops it (and removes its data folder when it made one).
 *
 * ```ts
 * import { createEmbeddedScheduler } from '@godocker/scheduler';
 * const scheduler = await createEmbeddedScheduler();
 * const session = await scheduler.createJobSession();
 * const job = await session.runJob({ remoteCommand: 'echo', args: ['hi'] });
 * await job.waitTerminated();
 * await scheduler.close();
 * ```
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type SessionManager } from '@godocker/sdk';
import type { Logger as PinoLogger } from 'pino';
import { generateToken } from './auth/tokens.js';
import type { DeepPartial, GodockerConfig } from './config/config-schema.js';
import { mergeConfig } from './config/load-config.js';
import { type Daemon, startDaemon } from './daemon.js';

export interface EmbeddedOptions {
  /** Where the database and job logs live; a fresh temporary folder (removed on close) when not given. */
  dataDir?: string;
  /** Config overrides (executor, limits, images...); the listener is always a free loopback port. */
  config?: DeepPartial<GodockerConfig>;
  /** The admin token to seed; a random one when not given. */
  token?: string;
  /** false (default): silent; a pino logger to see the daemon's log. */
  logger?: false | PinoLogger;
}

/** The DRMAA2 session manager of an in-process daemon, as the admin. */
export type EmbeddedScheduler = SessionManager & {
  /** The daemon itself (its URL, config, executor). */
  readonly daemon: Daemon;
  /** The admin token the manager uses, for other clients of the same daemon. */
  readonly token: string;
};

export async function createEmbeddedScheduler(options: EmbeddedOptions = {}): Promise<EmbeddedScheduler> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'godocker-embedded-')));
  const token = options.token ?? generateToken();
  const config = mergeConfig((options.config ?? {}) as Record<string, unknown>, {
    dataDir,
    server: { host: '127.0.0.1', port: 0 },
  }) as DeepPartial<GodockerConfig>;
  // Only the seed token from the environment: the caller's GODOCKER_* variables are for
  // clients of some other daemon, not for this one.
  const daemon = await startDaemon({ config, env: { GODOCKER_ADMIN_TOKEN: token }, logger: options.logger ?? false });
  const stop = async () => {
    await daemon.stop();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const manager = await connect({ url: daemon.url, token, onClose: stop });
    return Object.assign(manager, { daemon, token });
  } catch (e) {
    await stop();
    throw e;
  }
}
