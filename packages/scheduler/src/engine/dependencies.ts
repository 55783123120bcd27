/**
 * Slurm's dependency words, judged against the states of the jobs depended on:
 *
 * | type       | met when the job is | never met when it is |
 * |------------|---------------------|----------------------|
 * | afterok    | done                | failed               |
 * | afternotok | failed              | done                 |
 * | afterany   | done or failed      | —                    |
 *
 * An array is depended on through its parent, whose state sums up its tasks'
 * (done when all are done, failed when all ended and one failed), so
 * `afterok:ARRAY` waits for every task, as in Slurm. Several dependencies are
 * an AND: one that can never be met dooms the job, even while others wait.
 * A job missing from the states is taken as not existing: it can never end,
 * so the dependency can never be met.
 */
import type { Dependency, JobState } from '@godocker/sdk';

export const DEPENDENCIES_MET = 0;
export const DEPENDENCIES_WAIT = 1;
export const DEPENDENCIES_NEVER = 2;
export type DependencyStatus = typeof DEPENDENCIES_MET | typeof DEPENDENCIES_WAIT | typeof DEPENDENCIES_NEVER;

export type DependencyStates = ReadonlyMap<number, JobState>;

export function dependencyStatus(dep: Dependency, state: JobState | undefined): DependencyStatus {
  if (state === undefined) return DEPENDENCIES_NEVER;
  switch (dep.type) {
    case 'afterok':
      return state === 'done' ? DEPENDENCIES_MET : state === 'failed' ? DEPENDENCIES_NEVER : DEPENDENCIES_WAIT;
    case 'afternotok':
      return state === 'failed' ? DEPENDENCIES_MET : state === 'done' ? DEPENDENCIES_NEVER : DEPENDENCIES_WAIT;
    case 'afterany':
      return state === 'done' || state === 'failed' ? DEPENDENCIES_MET : DEPENDENCIES_WAIT;
  }
}

/** The worst status among all of a job's dependencies (never, then wait, then met). */
export function dependenciesStatus(deps: readonly Dependency[], states: DependencyStates): DependencyStatus {
  let worst: DependencyStatus = DEPENDENCIES_MET;
  for (const dep of deps) {
    const s = dependencyStatus(dep, states.get(dep.jobId));
    if (s === DEPENDENCIES_NEVER) return s;
    if (s === DEPENDENCIES_WAIT) worst = s;
  }
  return worst;
}

/** `afterok:42`, as the user wrote it. */
export function formatDependency(dep: Dependency): string {
  return `${dep.type}:${dep.jobId}`;
}

function ended(jobId: number, state: JobState | undefined): string {
  if (state === undefined) return `job ${jobId} does not exist`;
  if (state === 'done') return `job ${jobId} is done`;
  if (state === 'failed') return `job ${jobId} failed`;
  return `job ${jobId} is ${state}`;
}

/** The first dependency that can never be met, with the sentence the job fails with. */
export function neverMet(
  deps: readonly Dependency[],
  states: DependencyStates,
): { dependency: Dependency; reason: string } | undefined {
  for (const dep of deps) {
    const state = states.get(dep.jobId);
    if (dependencyStatus(dep, state) === DEPENDENCIES_NEVER) {
      return { dependency: dep, reason: `dependency ${formatDependency(dep)} can never be met: ${ended(dep.jobId, state)}` };
    }
  }
  return undefined;
}

const WANTED: Record<Dependency['type'], string> = {
  afterok: 'to succeed',
  afternotok: 'to fail',
  afterany: 'to end',
};

/** "waits for job 42 (running) to succeed and job 43 (pending) to end". */
export function waitingSentence(deps: readonly Dependency[], states: DependencyStates): string {
  const parts: string[] = [];
  for (const dep of deps) {
    const state = states.get(dep.jobId);
    if (dependencyStatus(dep, state) === DEPENDENCIES_WAIT) parts.push(`job ${dep.jobId} (${state}) ${WANTED[dep.type]}`);
  }
  return `waits for ${parts.join(' and ')}`;
}
