/**
 * The job priority shown to users: a weighted sum of factors in [0, 1], in the
 * style of Slurm's multifactor plugin
 * (https://slurm.schedmd.com/priority_multifactor.html):
 *
 *   priority = (w_fs * F_fairshare + w_age * F_age + w_job * F_job + w_user * F_user + w_project * F_project)
 *              / (w_fs + w_age + w_job + w_user + w_project)
 *
 *   F_fairshare = the classic fair-share factor (fairshare.ts)
 *   F_age       = min(age / maxAge, 1)        (Slurm's PriorityMaxAge; maxAge <= 0 gives 1, as Slurm)
 *   F_job, F_user, F_project = (p + 10000) / 20000   for p in -10000..10000
 *
 * Unlike Slurm, which prints an integer sum, the total is divided by the sum
 * of the weights so that it reads as a fraction ("priority 0.43"), and each
 * term of the breakdown is divided the same way so the terms add up to it.
 *
 * The job, user and project priorities are priorities, not Slurm's nice: a
 * higher value runs sooner (as the FIFO engine already orders by job
 * priority). They map linearly onto [0, 1] so that both a raise and a cut
 * move a job: the default 0 is the midpoint 0.5.
 */

export interface PriorityWeights {
  fairshare: number;
  age: number;
  /** Waiting longer than this adds nothing more (Slurm's PriorityMaxAge). */
  maxAgeSeconds: number;
  job: number;
  user: number;
  project: number;
}

/**
 * Fair share dominates (a factor 0.5 apart is worth 5000, more than the whole
 * range of any other factor); age, capped at 7 days, lets a job that has waited
 * long pass a slightly luckier one; a job's own priority reorders a user's jobs
 * among themselves and nudges it against others; user and project priorities
 * are admin levers of half that size.
 */
export const DEFAULT_PRIORITY_WEIGHTS: PriorityWeights = {
  fairshare: 10_000,
  age: 1_000,
  maxAgeSeconds: 7 * 24 * 3600,
  job: 1_000,
  user: 500,
  project: 500,
};

export interface PriorityInput {
  fairShareFactor: number;
  ageSeconds: number;
  /** -10000..10000; higher runs sooner. */
  jobPriority: number;
  /** -10000..10000; higher runs sooner. */
  userPriority: number;
  /** -10000..10000; higher runs sooner. */
  projectPriority: number;
}

export interface PriorityFactors {
  fairshare: number;
  age: number;
  job: number;
  user: number;
  project: number;
}

export interface PriorityBreakdown {
  /** In [0, 1]: the sum of `weighted` (up to rounding). */
  total: number;
  /** Each in [0, 1]. */
  factors: PriorityFactors;
  /** weight * factor / sum of weights: each term's part of `total`. */
  weighted: PriorityFactors;
}

/** The bound of job, user and project priorities. */
export const PRIORITY_RANGE = 10_000;

function clamp01(x: number): number {
  return x > 0 ? Math.min(x, 1) : 0; // NaN fails x > 0 and falls to 0
}

/** Weights are config: a negative or non-finite one counts as 0 rather than inverting a factor. */
function weight(w: number): number {
  return Number.isFinite(w) && w > 0 ? w : 0;
}

/** (p + R) / 2R: -R..R onto 0..1, out-of-range values clamped. */
export function levelFactor(p: number): number {
  return clamp01((p + PRIORITY_RANGE) / (2 * PRIORITY_RANGE));
}

/** min(age / maxAge, 1); a job that has not waited gets 0; maxAge <= 0 gives 1 as in Slurm (every job at the cap). */
export function ageFactor(ageSeconds: number, maxAgeSeconds: number): number {
  if (!(maxAgeSeconds > 0)) return 1;
  return clamp01(ageSeconds / maxAgeSeconds);
}

export function priorityFactors(input: PriorityInput, maxAgeSeconds: number): PriorityFactors {
  return {
    fairshare: clamp01(input.fairShareFactor),
    age: ageFactor(input.ageSeconds, maxAgeSeconds),
    job: levelFactor(input.jobPriority),
    user: levelFactor(input.userPriority),
    project: levelFactor(input.projectPriority),
  };
}

const KEYS = ['fairshare', 'age', 'job', 'user', 'project'] as const;

export function jobPriority(input: PriorityInput, weights: PriorityWeights): PriorityBreakdown {
  const factors = priorityFactors(input, weights.maxAgeSeconds);
  let sum = 0;
  for (const k of KEYS) sum += weight(weights[k]);
  const weighted: PriorityFactors = { fairshare: 0, age: 0, job: 0, user: 0, project: 0 };
  let products = 0;
  // All weights zero: nothing orders the jobs, and every total is 0.
  if (sum > 0) {
    for (const k of KEYS) {
      const product = weight(weights[k]) * factors[k];
      weighted[k] = product / sum;
      // Summed in the same order as priorityValue, so both give the same number.
      products += product;
    }
  }
  return { total: sum > 0 ? clamp01(products / sum) : 0, factors, weighted };
}

/** The total alone, without allocating a breakdown: for sorting many pending jobs. */
export function priorityValue(input: PriorityInput, weights: PriorityWeights): number {
  const fs = weight(weights.fairshare);
  const age = weight(weights.age);
  const job = weight(weights.job);
  const user = weight(weights.user);
  const project = weight(weights.project);
  const sum = fs + age + job + user + project;
  if (!(sum > 0)) return 0;
  const total =
    (fs * clamp01(input.fairShareFactor) +
      age * ageFactor(input.ageSeconds, weights.maxAgeSeconds) +
      job * levelFactor(input.jobPriority) +
      user * levelFactor(input.userPriority) +
      project * levelFactor(input.projectPriority)) /
    sum;
  return clamp01(total);
}

/** "priority 0.43: fair share 0.30, age 0.10, job 0.02, user 0.01, project 0.00" — each term's part of the total. */
export function describePriority(b: PriorityBreakdown): string {
  const f = (x: number) => x.toFixed(2);
  const w = b.weighted;
  return `priority ${f(b.total)}: fair share ${f(w.fairshare)}, age ${f(w.age)}, job ${f(w.job)}, user ${f(w.user)}, project ${f(w.project)}`;
}
