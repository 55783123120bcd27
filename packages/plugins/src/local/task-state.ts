/**
 * Reads where a task stands from its folder alone (see task-files.ts), so the
 * same answer comes from the daemon that started it and from one restarted since.
 */

import { stat } from 'node:fs/promises';
import { constants } from 'node:os';
import type { ExitInfo } from '@godocker/sdk';
import { killLeftovers, wrapperAlive } from './process-probe.js';
import { isMissing, readInteger, readText, type TaskPaths, writeAtomic } from './task-files.js';

export type TaskState =
  | { state: 'missing' }
  /** The folder exists but start() has not recorded a pid yet. */
  | { state: 'created' }
  | { state: 'running' | 'paused'; pid: number }
  | { state: 'exited'; pid: number | null; info: ExitInfo };

export const VANISHED = 'process vanished';

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as [number, string]),
);

/**
 * The shell reports a script killed by signal N as 128+N; a script that itself
 * runs `exit 137` is indistinguishable, and is reported as SIGKILL too.
 */
export function signalOf(status: number): string | null {
  return status > 128 ? (SIGNAL_NAMES.get(status - 128) ?? null) : null;
}

async function mtime(path: string): Promise<string | null> {
  try {
    return (await stat(path)).mtime.toISOString();
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await mtime(path)) !== null;
}

/** null while the script has not ended. */
export async function readExitInfo(paths: TaskPaths): Promise<ExitInfo | null> {
  const status = await readInteger(paths.exit);
  return status === null ? null : exitInfoOf(paths, status);
}

async function exitInfoOf(paths: TaskPaths, status: number): Promise<ExitInfo> {
  const [startedAt, endedAt, error] = await Promise.all([mtime(paths.pid), mtime(paths.exit), readText(paths.error)]);
  return {
    exitCode: status,
    signal: signalOf(status),
    // Nothing limits memory here, so nothing is ever OOM-killed on our behalf.
    oomKilled: false,
    startedAt,
    endedAt,
    error: error === null || error.trim() === '' ? null : error.trim(),
    // No cgroup of our own to read usage from.
    cpuSeconds: null,
    maxMemoryMb: null,
  };
}

/**
 * Records the end of a task whose wrapper died without writing its status. It
 * was killed together with its job: by kill() (which names the signal it sent
 * in `killed`; SIGTERM can land before the wrapper has set its trap) that is an
 * ordinary end, by anyone else it is worth an error. Written down so every later
 * reader agrees.
 */
async function recordVanished(paths: TaskPaths): Promise<void> {
  const sentBy = (await readText(paths.killed))?.trim() ?? '';
  const sent = (constants.signals as Record<string, number | undefined>)[sentBy];
  if (sent === undefined) await writeAtomic(paths.error, VANISHED);
  await writeAtomic(paths.exit, `${128 + (sent ?? constants.signals.SIGKILL)}\n`);
}

export async function probeTask(paths: TaskPaths): Promise<TaskState> {
  const [status, pid] = await Promise.all([readInteger(paths.exit), readInteger(paths.pid)]);
  if (status !== null) return { state: 'exited', pid, info: await exitInfoOf(paths, status) };
  if (pid === null) return (await exists(paths.dir)) ? { state: 'created' } : { state: 'missing' };
  const [alive, paused] = await Promise.all([wrapperAlive(pid, paths.dir), exists(paths.paused)]);
  if (alive) return { state: paused ? 'paused' : 'running', pid };
  // The wrapper may have written its status between our first look and its death.
  const late = await readExitInfo(paths);
  if (late !== null) return { state: 'exited', pid, info: late };
  await killLeftovers(pid);
  try {
    await recordVanished(paths);
  } catch (error) {
    // collect() removed the folder under our feet.
    if (isMissing(error)) return { state: 'missing' };
    throw error;
  }
  const recorded = await readExitInfo(paths);
  return recorded === null ? { state: 'missing' } : { state: 'exited', pid, info: recorded };
}
