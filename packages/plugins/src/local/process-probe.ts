/**
 * Processes of a task, identified so that no signal ever reaches a stranger.
 *
 * The monitor is recognised by its command line, which carries its task folder as an
 * argument of its own (`kill(pid, 0)` alone lies twice: a zombie answers, and a pid is
 * reused once its process is gone). The job's process, its own process group, is known
 * by the pid *and* start time the monitor recorded in the task folder (which the job
 * cannot write): a group is signalled only while its leader is that very process.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { isMissing, readText, type TaskPaths } from './task-files.js';

const HAS_PROC = process.platform === 'linux';

/** The job's process as the monitor recorded it: pid (= its group id) and start time in clock ticks since boot. */
export interface JobProcess {
  pid: number;
  startTime: string;
}

export interface ProcStat {
  state: string;
  pgid: number;
  startTime: string;
}

/**
 * The fields of a /proc/PID/stat text after the command name, which may hold spaces or parens:
 * field 3 (state) is index 0, so field N is index N - 3.
 */
export function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** Fields of /proc/PID/stat. */
export async function readStat(pid: number): Promise<ProcStat | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ESRCH') return null;
    throw error;
  }
  const fields = statFields(text);
  return { state: fields[0] ?? '', pgid: Number(fields[2]), startTime: fields[19] ?? '' };
}

export async function readJobProcess(paths: TaskPaths): Promise<JobProcess | null> {
  const text = await readText(paths.job);
  const m = text === null ? null : /^(\d+) (\d+)\n?$/.exec(text);
  return m?.[1] && m[2] ? { pid: Number(m[1]), startTime: m[2] } : null;
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
    // EPERM: alive, but someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function monitorAlive(pid: number, dir: string): Promise<boolean> {
  if (!HAS_PROC) return answersSignalZero(pid);
  const [stat, carries] = await Promise.all([readStat(pid), carriesFolder(pid, dir)]);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X' && carries;
}

/**
 * Finds the monitor of a task whose pid file was never written (the daemon died
 * between spawning it and recording it). Linux only; elsewhere the task is
 * taken as never started.
 */
export async function findMonitor(dir: string): Promise<number | null> {
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
    // The monitor is its own session and group; a job's process forked from it may briefly share its command line.
    if (stat !== null && stat.pgid === pid && stat.state !== 'Z') return pid;
  }
  return null;
}

/** The recorded process is still the one running under that pid (not a recycled pid). */
async function isSameProcess(job: JobProcess): Promise<boolean | null> {
  if (!HAS_PROC) return true;
  const stat = await readStat(job.pid);
  if (stat === null) return null;
  return stat.startTime === job.startTime;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Signals the job's process group; false when it is gone (or its pid now belongs to someone else). */
export async function signalJob(job: JobProcess, signal: NodeJS.Signals): Promise<boolean> {
  if ((await isSameProcess(job)) !== true) return false;
  return signalGroup(job.pid, signal);
}

/** Every process of group `pgid` now, with its start time and its owner. */
async function groupMembers(pgid: number): Promise<Array<{ pid: number; startTime: number; uid: number }>> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const members = await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        const pid = Number(entry);
        const stat = await readStat(pid).catch(() => null);
        if (stat === null || stat.pgid !== pgid || stat.state === 'Z') return null;
        const owner = await lstat(`/proc/${pid}`).catch(() => null);
        return owner === null ? null : { pid, startTime: Number(stat.startTime), uid: owner.uid };
      }),
  );
  return members.filter((member) => member !== null);
}

/**
 * Kills what is left of the job's group when its monitor died without ending it. While the
 * leader is the recorded process, its group is ours. Once it is gone, the group is searched
 * member by member, and only a process that started after the job did, as the job's user,
 * is killed: the group id alone could by now be someone else's (a pid reused since, the
 * group of a daemon whose leader left), and that group is never signalled.
 */
export async function killLeftovers(job: JobProcess, jobUid: number | null): Promise<void> {
  if (!HAS_PROC) return;
  const same = await isSameProcess(job);
  if (same === true) {
    signalGroup(job.pid, 'SIGKILL');
    return;
  }
  for (const member of await groupMembers(job.pid)) {
    if (member.startTime < Number(job.startTime) || (jobUid !== null && member.uid !== jobUid)) continue;
    try {
      process.kill(member.pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
