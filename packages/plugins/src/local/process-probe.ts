/**
 * Is the wrapper of a task still alive? `kill(pid, 0)` alone lies twice: a
 * zombie answers (and zombies linger where PID 1 does not reap), and a pid can
 * be reused by an unrelated process once the wrapper is gone. On Linux /proc
 * tells both apart: the wrapper's command line carries its task folder as an
 * argument of its own.
 */
import { readdir, readFile } from 'node:fs/promises';
import { isMissing } from './task-files.js';

const HAS_PROC = process.platform === 'linux';

/** State letter and process group of /proc/PID/stat; the command name may hold spaces or parens. */
async function readStat(pid: number): Promise<{ state: string; pgid: number } | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ESRCH') return null;
    throw error;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgid: Number(fields[2]) };
}

async function carriesFolder(pid: number, dir: string): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(`\0${dir}\0`);
  } catch {
    return false;
  }
}

function answersSignalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but someone else's (a job running as another uid while we are not root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function wrapperAlive(pid: number, dir: string): Promise<boolean> {
  if (!HAS_PROC) return answersSignalZero(pid);
  const [stat, carries] = await Promise.all([readStat(pid), carriesFolder(pid, dir)]);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X' && carries;
}

/**
 * Finds the wrapper of a task whose pid file was never written (the daemon died
 * between spawning it and recording it). Linux only; elsewhere the task is
 * taken as never started.
 */
export async function findWrapper(dir: string): Promise<number | null> {
  if (!HAS_PROC) return null;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (!(await carriesFolder(pid, dir))) continue;
    const stat = await readStat(pid);
    // The job's own processes are forked from the wrapper and may briefly share its command line.
    if (stat !== null && stat.pgid === pid && stat.state !== 'Z') return pid;
  }
  return null;
}

/** Signals the task's whole process group; false when it is already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Kills what is left of the process group of a wrapper that died without
 * ending its job (someone SIGKILLed the wrapper alone). Skipped when the pid
 * now belongs to a live, unrelated process: the kernel does not hand out a pid
 * still used as a group id, so our group is empty then, and `-pid` would hit a
 * stranger's group.
 */
export async function killLeftovers(pid: number): Promise<void> {
  if (!HAS_PROC) return;
  const stat = await readStat(pid);
  if (stat === null || stat.state === 'Z' || stat.state === 'X') signalGroup(pid, 'SIGKILL');
}
