/**
 * Reads where a task stands from its folder alone (see task-files.ts), so the
 * same answer comes from the daemon that started it and from one restarted since.
 */

import { stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { ExecutorUnavailableError, type ExitInfo, readingFrom, writingTo } from '@godocker/sdk';
import { type JobProcess, killLeftovers, monitorAlive, readJobProcess } from './process-probe.js';
import { isMissing, readInteger, readRecord, readText, type TaskPaths, writeAtomic } from './task-files.js';

export type TaskState =
  | { state: 'missing' }
  /** The folder exists but start() has not recorded a pid yet. */
  | { state: 'created' }
  /** `job` is null while the monitor has not recorded the job's process yet. */
  | { state: 'running' | 'paused'; pid: number; job: JobProcess | null }
  | { state: 'exited'; pid: number | null; info: ExitInfo };

export const VANISHED = 'process vanished';

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as [number, string]),
);

async function mtime(path: string): Promise<string | null> {
  try {
    return (await readingFrom('local executor', path, () => stat(path))).mtime.toISOString();
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await mtime(path)) !== null;
}

/** What the monitor wrote: `exited N`, `signaled N [core]`, or `failed` (never started). */
type Ending = { exited: number } | { signaled: number } | { failed: true };

function parseStatus(text: string): Ending | null {
  const m = /^(?:exited (\d{1,3})|signaled (\d{1,2})(?: core)?|(failed))\n?$/.exec(text);
  if (!m) return null;
  if (m[1] !== undefined) return { exited: Number(m[1]) };
  if (m[2] !== undefined) return { signaled: Number(m[2]) };
  return { failed: true };
}

/** null while the job has not ended. */
export async function readExitInfo(paths: TaskPaths): Promise<ExitInfo | null> {
  const text = await readText(paths.status);
  const ending = text === null ? null : parseStatus(text);
  if (ending === null) return null;
  const [startedAt, endedAt, error] = await Promise.all([mtime(paths.job), mtime(paths.status), readText(paths.error)]);
  return exitInfoOf(ending, { startedAt, endedAt, error });
}

/** The task folder's files as the monitor left them: the times of `job` and `status`, the text of `error`. */
export interface EndFiles {
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
}

/** How a task ended from its `status` text and the files beside it; null when the status says it has not. */
export function exitInfoFromFiles(status: string | null, files: EndFiles): ExitInfo | null {
  const ending = status === null ? null : parseStatus(status);
  return ending === null ? null : exitInfoOf(ending, files);
}

function exitInfoOf(ending: Ending, files: EndFiles): ExitInfo {
  const { startedAt, endedAt, error } = files;
  const base = { oomKilled: false, endedAt, cpuSeconds: null, maxMemoryMb: null };
  if ('failed' in ending) {
    return { ...base, exitCode: -1, signal: null, startedAt: null, error: error?.trim() || 'could not start' };
  }
  const signal = 'signaled' in ending ? (SIGNAL_NAMES.get(ending.signaled) ?? `SIG${ending.signaled}`) : null;
  return {
    ...base,
    exitCode: 'exited' in ending ? ending.exited : 128 + ending.signaled,
    signal,
    startedAt,
    // A job that vanished did run: the error says how it ended, not that it never started.
    error: null,
  };
}

/** The uid the job's processes run as: its own when the daemon is root, else the daemon's. */
async function jobUid(paths: TaskPaths): Promise<number | null> {
  const daemonUid = process.getuid?.() ?? null;
  if (daemonUid !== 0) return daemonUid;
  return (await readRecord(paths))?.uid ?? null;
}

/**
 * Records the end of a task whose monitor died without writing it (someone killed the
 * monitor): what is left of the job is killed, and the end written down so every later
 * reader agrees. The error file says it vanished; the status is a SIGKILL.
 */
async function recordVanished(paths: TaskPaths, job: JobProcess | null): Promise<void> {
  if (job) await killLeftovers(job, await jobUid(paths));
  await writingTo('recording how a task vanished', paths.status, async () => {
    await writeAtomic(paths.error, VANISHED);
    await writeAtomic(paths.status, `signaled ${constants.signals.SIGKILL}\n`);
  });
}

/**
 * A task folder that is not there, when the folder of all tasks is not there either, says
 * nothing of the task: the data folder is unmounted or was moved, and the task may well run.
 */
export async function checkTasksFolder(paths: TaskPaths): Promise<void> {
  const root = dirname(paths.dir);
  if (!(await exists(root))) {
    throw new ExecutorUnavailableError(
      `local executor: the tasks folder ${root} is gone (is the data folder mounted?): what became of the tasks is unknown`,
    );
  }
}

export async function probeTask(paths: TaskPaths): Promise<TaskState> {
  const [ended, pid] = await Promise.all([readExitInfo(paths), readInteger(paths.pid)]);
  if (ended !== null) return { state: 'exited', pid, info: ended };
  if (pid === null) {
    if (await exists(paths.dir)) return { state: 'created' };
    await checkTasksFolder(paths);
    return { state: 'missing' };
  }
  const [alive, paused, job] = await Promise.all([monitorAlive(pid, paths.dir), exists(paths.paused), readJobProcess(paths)]);
  if (alive) return { state: paused ? 'paused' : 'running', pid, job };
  // The monitor may have written the end between our first look and its exit.
  const late = await readExitInfo(paths);
  if (late !== null) return { state: 'exited', pid, info: late };
  try {
    await recordVanished(paths, job);
  } catch (error) {
    // collect() removed the folder under our feet.
    if (!isMissing(error)) throw error;
    await checkTasksFolder(paths);
    return { state: 'missing' };
  }
  const recorded = await readExitInfo(paths);
  return recorded === null ? { state: 'missing' } : { state: 'exited', pid, info: recorded };
}
