/**
 * The on-disk layout of one task. The folder is the whole truth about a task:
 * a restarted daemon (or another one sharing the data folder) knows nothing
 * else, so every fact needed later is written here as soon as it is known.
 *
 *   ${dataDir}/local-tasks/            the daemon's, 0700
 *     ${key}/                          the daemon's, 0700: the job never reaches it
 *       env         the job's environment, NUL-separated, for the job's exec only
 *       spec.json   who the task belongs to and where its logs go
 *       pid         the monitor's pid (godocker-task, see monitor.ts), by the daemon and the monitor
 *       job         "PID STARTTIME" of the job's process, its own process group (by the monitor)
 *       status      how it ended, as waitpid said: "exited N", "signaled N [core]", "failed" (by the monitor)
 *       error       why the task could not start, or how it vanished
 *       paused      present while the process group is stopped
 *
 * The script is not here either: the launcher hands it to the monitor as a sealed memfd (the
 * job's user's, 0500), which the job inherits. The folder of a collected task is kept as a
 * spare (`.spare-*`) and reused by a later start, its files overwritten in place (see
 * native/godocker-launch.c): a job allocates and frees no inode here.
 *
 * The logs are not here: they go to RunSpec.jobDir (the job's directory, `jobsDir/ID`), opened by the
 * daemon without following links, and reach the job only as inherited descriptors.
 *
 * Everything the daemon reads here was written by itself or by the monitor, both as the
 * daemon's user: nothing a job can forge. A folder that is not the daemon's own, private
 * one (left by an older version, or planted) is not taken for a task.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExecutorError, readingFrom } from '@godocker/sdk';

export const TASKS_FOLDER = 'local-tasks';
/** Marks folders still being filled by start(); never a task. */
export const STAGING_MARK = '.staging-';

export interface TaskPaths {
  dir: string;
  spec: string;
  pid: string;
  job: string;
  status: string;
  error: string;
  paused: string;
}

export function taskPaths(root: string, key: string): TaskPaths {
  const dir = join(root, key);
  return {
    dir,
    spec: join(dir, 'spec.json'),
    pid: join(dir, 'pid'),
    job: join(dir, 'job'),
    status: join(dir, 'status'),
    error: join(dir, 'error'),
    paused: join(dir, 'paused'),
  };
}

// Keys become folder names: anything that could climb out of the tasks folder is refused.
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function checkKey(key: string): void {
  if (!KEY_PATTERN.test(key) || key.includes(STAGING_MARK)) {
    throw new ExecutorError(`local executor: task key ${JSON.stringify(key)} is not a safe folder name`);
  }
}

/** What spec.json holds: enough to list, reconcile and read logs without the daemon's memory. */
export interface TaskRecord {
  jobId: number;
  key: string;
  node: string;
  cluster: string;
  labels: Record<string, string>;
  logDir: string;
  uid: number;
  gid: number;
}

function isRecordShape(value: unknown): value is TaskRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.jobId === 'number' &&
    typeof v.key === 'string' &&
    typeof v.node === 'string' &&
    typeof v.cluster === 'string' &&
    typeof v.logDir === 'string' &&
    typeof v.labels === 'object' &&
    v.labels !== null
  );
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * null when the file does not exist; a file that cannot be read now (an I/O error) throws
 * ExecutorUnavailableError: what it says is unknown, which is not the same as absent.
 */
export async function readText(path: string): Promise<string | null> {
  try {
    return await readingFrom('local executor', path, () => readFile(path, 'utf8'));
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** The task folder is a directory of the daemon's user that nobody else may enter. */
async function isPrivateFolder(dir: string): Promise<boolean> {
  try {
    const info = await readingFrom('local executor', dir, () => lstat(dir));
    const ours = process.getuid === undefined || info.uid === process.getuid();
    return info.isDirectory() && ours && (info.mode & 0o077) === 0;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

export async function readRecord(paths: TaskPaths): Promise<TaskRecord | null> {
  if (!(await isPrivateFolder(paths.dir))) return null;
  const text = await readText(paths.spec);
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecordShape(parsed) ? parsed : null;
  } catch {
    // A foreign or damaged folder is not ours to manage.
    return null;
  }
}

/** A non-negative integer file (pid, exit); null when absent or not (yet) a number. */
export async function readInteger(path: string): Promise<number | null> {
  const text = await readText(path);
  if (text === null) return null;
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/** Readers never see half a file: write aside, then rename over. */
export async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content);
  try {
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

export async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}
