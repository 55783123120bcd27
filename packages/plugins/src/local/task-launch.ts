/**
 * Starting a task: its folder and its monitor, both made by the launcher (see
 * launcher.ts and native/godocker-launch.c), in one request.
 *
 * The folder is filled under a staging name and renamed into place without replacing
 * anything, so the rename is the claim on the key (two starts cannot both win it) and a
 * folder under its final name always holds its job.sh, env and spec.json. It belongs to
 * the daemon's user and is 0700: what the daemon later reads there, only the daemon's
 * launcher and the monitor wrote.
 *
 * The monitor is its own session, has the task's log files as its output (opened without
 * following links: a link planted in their place is refused, never written through) and no
 * pipe to the daemon: the daemon's death neither kills nor blocks it.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { asStorageFault, ExecutorError, isExecutorUnavailable, type Logger, type RunSpec, writingTo } from '@godocker/sdk';
import { type HomeDirectory, jobEnv } from './job-env.js';
import { failureCause, type LaunchAnswer, type TaskLauncher } from './launcher.js';
import { monitorArgs } from './monitor.js';
import { type TaskPaths, type TaskRecord, writeAtomic } from './task-files.js';

/** Set when the daemon is root: the job runs as this user. */
export type RunAs = { uid: number; gid: number } | null;

/** What a start came to: a monitor (its pid), a start failure recorded in the folder, or a folder there already. */
export type Launched = { pid: number } | { pid: null } | 'exists';

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

/** HOME and PATH of the job: its own env first, then the passwd entry of its uid. */
export async function environmentOf(spec: RunSpec, runAs: RunAs, homes: HomeDirectory): Promise<Record<string, string>> {
  const uid = runAs ? runAs.uid : process.getuid?.();
  const home = spec.env.HOME ?? (uid === undefined ? null : await homes.of(uid)) ?? '/';
  // The job's directory by its host path: a local process sees the node's file system.
  return jobEnv({ ...spec.env, GODOCKER_JOB_DIR: resolve(spec.jobDir) }, home);
}

/**
 * Claims the task's folder and starts its monitor. Throws ExecutorUnavailableError when
 * nothing ran and the job may start again later: a data folder that cannot be written
 * (the folder is then removed), or a launcher that died (the folder, if it was made, is
 * left for the next start to find). Any other failure before the monitor runs is recorded
 * in the folder as the task's start failure.
 */
export async function launchTask(
  launcher: TaskLauncher,
  paths: TaskPaths,
  spec: RunSpec,
  record: TaskRecord,
  env: Record<string, string>,
  runAs: RunAs,
  logger: Logger,
): Promise<Launched> {
  const doing = `starting task ${spec.key}`;
  const home = env.HOME ?? '/';
  const plan = {
    dir: paths.dir,
    runAs,
    cwd: spec.workdir ?? home,
    cwdKind: spec.workdir ? ('workdir' as const) : ('home' as const),
  };
  const args = monitorArgs(spec, plan).slice(1);
  // The kernel takes no NUL in an argument: said as a spawn would have said it.
  if (args.some((arg) => arg.includes('\0'))) {
    throw new Error(`${doing}: an argument of the job holds a NUL byte, which no command line can carry`);
  }
  const answer: LaunchAnswer = await launcher.start({
    key: spec.key,
    runAs,
    logDir: record.logDir,
    script: spec.script,
    envText: Object.entries(env)
      .map(([name, value]) => `${name}=${value}\0`)
      .join(''),
    specText: `${JSON.stringify(record)}\n`,
    args,
  });
  if (answer.kind === 'exists') return 'exists';
  // The monitor records its pid in the folder before it starts the job.
  if (answer.kind === 'started') return { pid: answer.pid };
  if (answer.kind !== 'failed') throw new ExecutorError(`${doing}: the task launcher answered ${answer.kind}`);
  const { stage, path } = answer;
  const cause = failureCause(answer);
  if (stage === 'claim') throw await asStorageFault(doing, path, cause);
  if (stage === 'logs') {
    const fault = await asStorageFault(doing, spec.jobDir, cause);
    if (isExecutorUnavailable(fault)) {
      // No monitor runs: a passing fault of the data folder leaves nothing behind, and the job starts again later.
      await rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
      throw fault;
    }
  }
  const message = stage === 'spawn' ? `cannot start the task monitor: ${cause.message}` : cause.message;
  logger.warn({ key: spec.key, err: message }, 'local executor: could not start task');
  try {
    await recordStartFailure(paths, message);
  } catch (error) {
    // Left pid-less and status-less, the folder would pass for a start in progress: the job starts again later.
    await rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  return { pid: null };
}
