/**
 * Each job's directory, `jobsDir/ID`: its files, its stdout and stderr. Made by the daemon
 * before the start (or before the first upload of a pending job), owned by the uid/gid the
 * job runs as, 0700; the executor mounts it (containers) or names it (local processes).
 */
import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { type Job, writingTo } from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';

export function jobsDirOf(config: Pick<GodockerConfig, 'dataDir' | 'jobsDir'>): string {
  return resolve(config.jobsDir ?? join(config.dataDir, 'jobs'));
}

export function jobDirOf(config: Pick<GodockerConfig, 'dataDir' | 'jobsDir'>, jobId: number): string {
  return join(jobsDirOf(config), String(jobId));
}

/** Where logs went before jobs had a directory (`DATADIR/logs/ID`): read for jobs that ended then. */
export function legacyLogDirOf(config: Pick<GodockerConfig, 'dataDir'>, jobId: number): string {
  return join(config.dataDir, 'logs', String(jobId));
}

/** The uid/gid the job's process runs as, which owns its directory. */
export function jobOwner(job: Job): { uid: number; gid: number } {
  return job.container.root ? { uid: 0, gid: 0 } : { uid: job.user.uid, gid: job.user.gid };
}

/** Who owns a file the daemon makes for the job's user (an upload): the job's uid/gid, or null when it cannot give files away. */
export function fileOwner(job: Job): { uid: number; gid: number } | null {
  return canChown() ? jobOwner(job) : null;
}

/** Whether `child` is `parent` or inside it (both absolute and resolved). */
export function isInside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !r.startsWith(sep));
}

/** The folder of all job directories: the daemon's, 0711 (a job passes through to its own, nobody lists them). */
export async function prepareJobsDir(config: Pick<GodockerConfig, 'dataDir' | 'jobsDir'>): Promise<void> {
  const dir = jobsDirOf(config);
  await mkdir(dir, { recursive: true, mode: 0o711 });
  await chmod(dir, 0o711);
}

/** True when the daemon can give files away (it runs as root). */
function canChown(): boolean {
  return process.getuid?.() === 0;
}

/**
 * What a daemon that is not root must say once at start: it cannot give a job's directory to the
 * job's uid (chown needs root), so the directory stays its own. Null when it runs as root.
 */
export function jobDirOwnershipNote(): string | null {
  if (canChown() || process.getuid === undefined) return null;
  return (
    `the daemon does not run as root (uid ${process.getuid()}): each job's directory stays owned by uid ` +
    `${process.getuid()} (mode 0700), not by the job's uid, and files uploaded into it too. The file API, ` +
    "sftp and jobs that run as the daemon's user (the local executor when the daemon is not root) use it " +
    'as usual; a job that runs as another uid (in a container) cannot write it. Run the daemon as root for ' +
    'jobs under their own uid'
  );
}

/**
 * Makes the job's directory if it is not there yet. A storage fault (a full or read-only disk)
 * is an ExecutorUnavailableError: the job waits for it to pass instead of failing.
 */
export async function ensureJobDir(config: Pick<GodockerConfig, 'dataDir' | 'jobsDir'>, job: Job): Promise<string> {
  const dir = jobDirOf(config, job.id);
  return writingTo(`making the directory of job ${job.id}`, dir, async () => {
    const made = await mkdir(dir, { mode: 0o700 }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
        return false;
      },
    );
    if (made) {
      const { uid, gid } = jobOwner(job);
      if (canChown()) await chown(dir, uid, gid);
    } else {
      // Made by an earlier try, or by the job: never a link planted in its place.
      const info = await lstat(dir);
      if (!info.isDirectory()) throw new Error(`${dir} is not a directory`);
    }
    return dir;
  });
}
