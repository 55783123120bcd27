/**
 * Creating a task folder and starting its wrapper.
 *
 * The folder is filled under a staging name and renamed into place, so the
 * rename is the claim on the key (two starts cannot both win it) and a folder
 * under its final name always holds its job.sh and spec.json.
 *
 * The wrapper is its own process group (detached), has its output going to
 * files opened here (no pipes to the daemon) and is unref'd: the daemon's death
 * neither kills nor blocks it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chown, type FileHandle, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSpec } from '@godocker/sdk';
import { chooseCwd, type HomeDirectory, jobEnv } from './job-env.js';
import { STAGING_MARK, type TaskPaths, type TaskRecord, writeAtomic } from './task-files.js';
import { scriptCommand, wrapperArgs } from './wrapper.js';

/** Set when the daemon is root: the job runs as, and its files belong to, this user. */
export type RunAs = { uid: number; gid: number } | null;

/** Exit status of a task that could not start, as a shell reports "command not found". */
export const START_FAILED_STATUS = 127;

/** false when a folder for this key exists already. */
export async function claimFolder(
  root: string,
  paths: TaskPaths,
  spec: RunSpec,
  record: TaskRecord,
  runAs: RunAs,
): Promise<boolean> {
  const staging = join(root, `${spec.key}${STAGING_MARK}${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { mode: 0o700 });
  try {
    const script = join(staging, 'job.sh');
    // Independent steps run side by side: each fs call costs a trip through the thread pool.
    await Promise.all([
      writeFile(script, spec.script, { mode: 0o700 }).then(() => (runAs ? chown(script, runAs.uid, runAs.gid) : undefined)),
      writeFile(join(staging, 'spec.json'), `${JSON.stringify(record)}\n`),
      // The wrapper runs as the job's user and writes its status into the folder.
      runAs ? chown(staging, runAs.uid, runAs.gid) : undefined,
    ]);
    await rename(staging, paths.dir);
    return true;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTEMPTY') return false;
    throw error;
  }
}

/** Recorded the way the wrapper records an end, so wait() and status() need no special case. */
export async function recordStartFailure(paths: TaskPaths, message: string): Promise<void> {
  await writeAtomic(paths.error, `could not start: ${message}`);
  await writeAtomic(paths.exit, `${START_FAILED_STATUS}\n`);
}

async function openLog(path: string, runAs: RunAs): Promise<FileHandle> {
  const handle = await open(path, 'w', 0o640);
  try {
    if (runAs) await handle.chown(runAs.uid, runAs.gid);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function spawnError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts the wrapper and records its pid. Returns the child, or null when the
 * job could not start (the reason is then recorded in the folder).
 */
export async function launch(paths: TaskPaths, spec: RunSpec, runAs: RunAs, homes: HomeDirectory): Promise<ChildProcess | null> {
  const homeUid = runAs ? runAs.uid : process.getuid?.();
  const settle = async () => {
    const home = (homeUid === undefined ? null : await homes.of(homeUid)) ?? paths.dir;
    const env = jobEnv(spec.env, home);
    return { env, place: await chooseCwd(spec.workdir, env.HOME ?? home, paths.dir) };
  };
  const [{ env, place }] = await Promise.all([settle(), mkdir(spec.logDir, { recursive: true })]);
  if ('error' in place) {
    await recordStartFailure(paths, place.error);
    return null;
  }

  const logs = await Promise.allSettled([
    openLog(join(spec.logDir, 'stdout'), runAs),
    openLog(join(spec.logDir, 'stderr'), runAs),
  ]);
  const [stdout, stderr] = logs.map((log) => (log.status === 'fulfilled' ? log.value : null));
  let child: ChildProcess;
  let failed: Promise<unknown[]> | null = null;
  try {
    if (!stdout || !stderr) throw logs.find((log) => log.status === 'rejected')?.reason;
    child = spawn('/bin/sh', wrapperArgs(paths.dir, scriptCommand(spec.script, paths.script, spec.args)), {
      cwd: place.cwd,
      env,
      detached: true,
      stdio: ['ignore', stdout.fd, stderr.fd],
      ...(runAs ?? {}),
    });
    // Listen at once: a failed spawn reports on the next tick, before the awaits below end.
    if (child.pid === undefined) failed = once(child, 'error');
    // Later errors (a failed kill) must not crash the daemon; the folder tells the truth.
    else child.on('error', () => undefined);
  } catch (error) {
    await recordStartFailure(paths, spawnError(error));
    return null;
  } finally {
    // The child holds its own copies from here on.
    await Promise.all([stdout?.close(), stderr?.close()]);
  }

  if (failed !== null) {
    const [error] = await failed;
    await recordStartFailure(paths, spawnError(error));
    return null;
  }
  child.unref();
  await writeAtomic(paths.pid, `${child.pid}\n`);
  return child;
}
