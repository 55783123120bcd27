/**
 * Runs the CLI in-process (`run(argv, io)`) with captured output, against a
 * real daemon started in this process with the local executor.
 */
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo, run } from '@godocker/cli';
import { type Daemon, startDaemon } from '@godocker/scheduler';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  daemon: Daemon;
  dir: string;
  adminEnv: Record<string, string>;
  cli(args: string[], env?: Record<string, string>, extra?: Pick<Partial<CliIo>, 'readStdin' | 'fetch'>): Promise<CliResult>;
  stop(): Promise<void>;
}

/** The CLI in-process against any daemon `env` names (GODOCKER_URL, GODOCKER_TOKEN), output captured. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  extra: Pick<Partial<CliIo>, 'readStdin' | 'fetch'> = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    readStdin: async () => '',
    env,
    cwd,
    interrupted: () => new AbortController().signal,
    ...extra,
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

export async function startCliHarness(name: string): Promise<CliHarness> {
  const dir = await mkdtemp(join(tmpdir(), `godocker-${name}-`));
  await chmod(dir, 0o711);
  // The admin's jobs start in its home, which must exist.
  const home = join(dir, 'admin-home');
  await mkdir(home);
  if (process.getuid?.() === 0) await chown(home, 1000, 1000);
  const daemon = await startDaemon({
    config: {
      dataDir: join(dir, 'data'),
      server: { port: 0 },
      // A label, so that `submit --constraint` has one to match.
      executor: { type: 'local', options: { labels: { disk: 'ssd' } } },
      auth: { admin: { home } },
    },
    env: {},
    logger: false,
  });
  const adminEnv = {
    GODOCKER_URL: daemon.url,
    XDG_CONFIG_HOME: join(dir, 'config'),
    HOME: dir,
    GODOCKER_TOKEN: daemon.adminToken ?? '',
  };
  return {
    daemon,
    dir,
    adminEnv,
    cli: (args, env = adminEnv, extra = {}) => runCli(args, env, dir, extra),
    async stop() {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
