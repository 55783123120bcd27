/**
 * Creating a task folder and starting its monitor.
 *
 * The folder is filled under a staging name and renamed into place, so the
 * rename is the claim on the key (two starts cannot both win it) and a folder
 * under its final name always holds its job.sh, env and spec.json. It belongs to
 * the daemon's user and is 0700: what the daemon later reads there, only the daemon
 * and the monitor wrote.
 *
 * The monitor is its own session (detached), has the task's log files as its output
 * (no pipes to the daemon) and is unref'd: the daemon's death neither kills nor blocks it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { chown, type FileHandle, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger, type RunSpec, writingTo } from '@godocker/sdk';
import { DEFAULT_PATH, type HomeDirectory, jobEnv } from './job-env.js';
import { ENV_FILE, MONITOR_PATH, monitorArgs } from './monitor.js';
import { STAGING_MARK, type TaskPaths, type TaskRecord, writeAtomic } from './task-files.js';

/** Set when the daemon is root: the job runs as this user. */
export type RunAs = { uid: number; gid: number } | null;

/** false when a folder for this key exists already. A data folder that cannot be written throws ExecutorUnavailableError. */
export async function claimFolder(
  root: string,
  paths: TaskPaths,
  spec: RunSpec,
  record: TaskRecord,
  env: Record<string, string>,
  runAs: RunAs,
): Promise<boolean> {
  const staging = join(root, `${spec.key}${STAGING_MARK}${randomBytes(4).toString('hex')}`);
  const doing = `starting task ${spec.key}`;
  await writingTo(doing, staging, () => mkdir(staging, { mode: 0o700 }));
  try {
    const script = join(staging, 'job.sh');
    const envText = Object.entries(env)
      .map(([name, value]) => `${name}=${value}\0`)
      .join('');
    // Independent steps run side by side: each fs call costs a trip through the thread pool.
    await writingTo(doing, staging, () =>
      Promise.all([
        // The job's own, so its process may read (and, for a #! script, execute) it through the descriptor it is handed.
        writeFile(script, spec.script, { mode: 0o500 }).then(() => (runAs ? chown(script, runAs.uid, runAs.gid) : undefined)),
        writeFile(join(staging, ENV_FILE), envText, { mode: 0o600 }),
        writeFile(join(staging, 'spec.json'), `${JSON.stringify(record)}\n`, { mode: 0o600 }),
      ]),
    );
    await writingTo(doing, paths.dir, () => rename(staging, paths.dir));
    return true;
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTEMPTY') return false;
    throw error;
  }
}

/**
 * Recorded the way the monitor records a start failure, so wait() and status() need no
 * special case; a folder that cannot take it throws ExecutorUnavailableError (the job never ran).
 */
export async function recordStartFailure(paths: TaskPaths, message: string): Promise<void> {
  await writingTo('recording why a task could not start', paths.status, async () => {
    await writeAtomic(paths.error, message);
    await writeAtomic(paths.status, 'failed\n');
  });
}

/**
 * The task's log files, the daemon's own, opened without following a link (a link planted
 * in their place is refused, never written through) and handed to the monitor as its output.
 */
async function openLogs(logDir: string): Promise<[FileHandle, FileHandle]> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
  const logs = await Promise.allSettled([open(join(logDir, 'stdout'), flags, 0o640), open(join(logDir, 'stderr'), flags, 0o640)]);
  const [stdout, stderr] = logs.map((log) => (log.status === 'fulfilled' ? log.value : null));
  if (stdout && stderr) return [stdout, stderr];
  await Promise.all([stdout?.close(), stderr?.close()]);
  throw logs.find((log) => log.status === 'rejected')?.reason;
}

function spawnError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** HOME and PATH of the job: its own env first, then the passwd entry of its uid. */
export async function environmentOf(spec: RunSpec, runAs: RunAs, homes: HomeDirectory): Promise<Record<string, string>> {
  const uid = runAs ? runAs.uid : process.getuid?.();
  const home = spec.env.HOME ?? (uid === undefined ? null : await homes.of(uid)) ?? '/';
  return jobEnv(spec.env, home);
}

/**
 * Starts the monitor and records its pid. Returns the child, or null when the monitor
 * could not be started (the reason is then recorded in the folder). Throws only before
 * the monitor exists (ExecutorUnavailableError when the logs cannot be written): once it
 * runs, the task is started, whatever happens to the daemon's own record of it.
 */
export async function launch(
  paths: TaskPaths,
  spec: RunSpec,
  runAs: RunAs,
  env: Record<string, string>,
  logger: Logger,
): Promise<ChildProcess | null> {
  const doing = `starting task ${spec.key}`;
  await writingTo(doing, spec.logDir, () => mkdir(spec.logDir, { recursive: true }));
  const [stdout, stderr] = await writingTo(doing, spec.logDir, () => openLogs(spec.logDir));
  let child: ChildProcess;
  let failed: Promise<unknown[]> | null = null;
  try {
    const home = env.HOME ?? '/';
    const plan = {
      dir: paths.dir,
      runAs,
      cwd: spec.workdir ?? home,
      cwdKind: spec.workdir ? ('workdir' as const) : ('home' as const),
    };
    child = spawn(MONITOR_PATH, monitorArgs(spec, plan), {
      cwd: '/',
      // The monitor's own: the job's environment goes to the job's exec only.
      env: { PATH: DEFAULT_PATH },
      detached: true,
      stdio: ['ignore', stdout.fd, stderr.fd],
    });
    // Listen at once: a failed spawn reports on the next tick, before the awaits below end.
    if (child.pid === undefined) failed = once(child, 'error');
    // Later errors must not crash the daemon; the folder tells the truth.
    else child.on('error', () => undefined);
  } catch (error) {
    await recordStartFailure(paths, `cannot start the task monitor: ${spawnError(error)}`);
    return null;
  } finally {
    // The child holds its own copies from here on.
    await Promise.all([stdout.close(), stderr.close()]);
  }

  if (failed !== null) {
    const [error] = await failed;
    await recordStartFailure(paths, `cannot start the task monitor: ${spawnError(error)}`);
    return null;
  }
  child.unref();
  try {
    await writeAtomic(paths.pid, `${child.pid}\n`);
  } catch (error) {
    // The monitor writes its pid too, and keeps trying while the folder is read-only.
    logger.warn({ key: spec.key, err: spawnError(error) }, 'local executor: the task runs, its pid is recorded by its monitor');
  }
  return child;
}
