/**
 * Checks at submit that need the store: dependencies name existing jobs the
 * user may see (so no cycle can ever form: a job can only depend on jobs that
 * exist before it), a job never larger than its quotas, and the maximum number
 * of waiting jobs.
 */
import {
  ErrorCodes,
  ForbiddenError,
  formatMemory,
  GodockerError,
  type Project,
  type Quota,
  type User,
  ValidationError,
} from '@godocker/sdk';
import type { NewJob, Store } from '../store/store.js';

function quotaError(message: string, field: string): ForbiddenError {
  return new ForbiddenError(message, field, ErrorCodes.QUOTA_EXCEEDED);
}

export async function checkDependencies(job: NewJob, user: User, store: Store): Promise<void> {
  for (const [i, dep] of job.dependencies.entries()) {
    const target = await store.getJob(dep.jobId);
    if (!target || (!user.admin && target.user.name !== user.name)) {
      throw new ValidationError(
        `dependency ${dep.type}:${dep.jobId}: job ${dep.jobId} does not exist (or is not yours)`,
        `dependencies.${i}.jobId`,
      );
    }
    if (target.parentId !== null) {
      throw new ValidationError(
        `dependency ${dep.type}:${dep.jobId}: job ${dep.jobId} is a task of array ${target.parentId}; depend on the array`,
        `dependencies.${i}.jobId`,
      );
    }
  }
}

/** A job that could never run under its quotas is refused now rather than left waiting forever. */
export function checkFitsQuotas(job: NewJob, who: string, quota: Quota | undefined, what: 'user' | 'project'): void {
  if (!quota) return;
  const r = job.requirements;
  const of = what === 'user' ? `user ${who}` : `project ${who}`;
  if (quota.cpu != null && r.cpu > quota.cpu)
    throw quotaError(`needs ${r.cpu} cpu; the quota of ${of} is ${quota.cpu}`, 'requirements.cpu');
  if (quota.ram != null && r.ram > quota.ram) {
    throw quotaError(`needs ${formatMemory(r.ram)} ram; the quota of ${of} is ${formatMemory(quota.ram)}`, 'requirements.ram');
  }
  if (quota.gpus != null && r.gpus > quota.gpus)
    throw quotaError(`needs ${r.gpus} gpus; the quota of ${of} is ${quota.gpus}`, 'requirements.gpus');
  if (quota.runningJobs === 0) throw quotaError(`the quota of ${of} allows no running job`, 'project');
}

export async function checkPendingLimit(count: number, user: User, project: Project | null, store: Store): Promise<void> {
  await checkUserPendingLimit(count, user, store);
  await checkProjectPendingLimit(count, project, store);
}

const WAITING: ('pending' | 'held')[] = ['pending', 'held'];

export async function checkUserPendingLimit(count: number, user: User, store: Store): Promise<void> {
  const limitUser = user.quota?.pendingJobs;
  if (limitUser != null) {
    const counts = await store.countByState({ user: user.name, states: WAITING });
    const waiting = (counts.pending ?? 0) + (counts.held ?? 0);
    if (waiting + count > limitUser) {
      throw quotaError(
        `user ${user.name} has ${waiting} jobs waiting; the quota allows ${limitUser} (this submit adds ${count})`,
        'quota.pendingJobs',
      );
    }
  }
}

export async function checkProjectPendingLimit(count: number, project: Project | null, store: Store): Promise<void> {
  const limitProject = project?.quota.pendingJobs;
  if (project && limitProject != null) {
    const counts = await store.countByState({ project: project.name, states: WAITING });
    const waiting = (counts.pending ?? 0) + (counts.held ?? 0);
    if (waiting + count > limitProject) {
      throw quotaError(
        `project ${project.name} has ${waiting} jobs waiting; its quota allows ${limitProject} (this submit adds ${count})`,
        'quota.pendingJobs',
      );
    }
  }
}

/** Runs the checks of a batch's job `index`; an error names the job (`jobs[3]: ...`, field `jobs.3.command`). */
export async function inBatch<T>(index: number, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (e) {
    if (!GodockerError.is(e)) throw e;
    throw new GodockerError(e.code, `jobs[${index}]: ${e.message}`, {
      field: `jobs.${index}${e.field ? `.${e.field}` : ''}`,
      status: e.status,
      cause: e,
    });
  }
}
