/**
 * Checks at submit that need the store: dependencies name existing jobs the
 * user may see (so no cycle can ever form: a job can only depend on jobs that
 * exist before it), a job never larger than its quotas, and the quotas of
 * waiting jobs (checked by the store, as it inserts).
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
import type { NewJob, Store, WaitingLimit } from '../store/store.js';

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

/**
 * The quotas of waiting jobs a submit must fit, with how many it adds to each: the
 * store checks them in the insert's own transaction (see WaitingLimit).
 */
export function waitingLimits(
  user: User,
  userAdds: number,
  projects: readonly { project: Project | null; adds: number }[],
): WaitingLimit[] {
  const limits: WaitingLimit[] = [];
  const userMax = user.quota?.pendingJobs;
  if (userMax != null) limits.push({ scope: 'user', name: user.name, max: userMax, adds: userAdds });
  for (const { project, adds } of projects) {
    const max = project?.quota.pendingJobs;
    if (project && max != null) limits.push({ scope: 'project', name: project.name, max, adds });
  }
  return limits;
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
