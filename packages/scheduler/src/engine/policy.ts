/**
 * Scheduling policies are plugins: a policy gives every pending job a priority
 * in [0, 1] and can explain it as a breakdown; the engine does the rest
 * (eligibility, order, placement, backfill). Two ship with GoDocker:
 *
 * - `fifo`: job priority, then submission order — the first-cut engine's order.
 * - `fairshare` (the default): Slurm's multifactor priority with the classic
 *   fair-share factor of the job's user in its project, age (capped), and the
 *   job, user and project priorities, weighted (`priority.ts`).
 *
 * ```ts
 * // Shortest time limit first, shown as the job term of the usual breakdown.
 * const shortestFirst: Policy = {
 *   name: 'shortest-first',
 *   order(jobs, ctx) {
 *     const weights = { ...ctx.weights, fairshare: 0, age: 0, job: 1, user: 0, project: 0 };
 *     const input = (i: number) => ({
 *       fairShareFactor: 0, ageSeconds: 0, userPriority: 0, projectPriority: 0,
 *       jobPriority: -Math.min(10_000, (jobs[i]?.requirements.timeLimit ?? 86_400) / 10),
 *     });
 *     const priority = Float64Array.from(jobs, (_, i) => jobPriority(input(i), weights).total);
 *     return { priority, breakdown: (i) => jobPriority(input(i), weights) };
 *   },
 * };
 * schedule({ ...input, policy: shortestFirst });
 * ```
 *
 * `order` returns numbers rather than a sorted list so that a pass over
 * 100,000 jobs allocates nothing per job: the engine sorts them (priority,
 * then submission time, then id) with one typed-array sort, and a breakdown is
 * only built when someone asks why a job waits.
 */
import type { Job } from '@godocker/sdk';
import { fairShareTree, type ShareTreeInput, userKey } from './fairshare.js';
import { jobPriority, type PriorityBreakdown, type PriorityWeights, priorityValue } from './priority.js';

/** A user within a project: who a job charges, and the admin priorities that apply to it. */
export interface Account {
  readonly project: string;
  readonly user: string;
  /** -10000..10000, the project's priority. */
  readonly projectPriority: number;
  /** -10000..10000, the user's priority. */
  readonly userPriority: number;
}

/** What a policy may read; all of it is the pass's input, nothing is fetched. */
export interface PolicyContext {
  /** ms since the epoch. */
  readonly now: number;
  readonly weights: PriorityWeights;
  /** Submission time (ms) of `jobs[i]`; NaN-free (an unreadable time counts as `now`). */
  readonly submittedAt: Float64Array;
  /** `jobs[i].priority`, read once by the engine (the jobs are scattered in memory; a second walk costs). */
  readonly jobPriority: Float64Array;
  /** The distinct accounts of the pending jobs. */
  readonly accounts: readonly Account[];
  /** `accounts[accountOf[i]]` is the account of `jobs[i]`. */
  readonly accountOf: Int32Array;
  /** Projects with their shares and members' shares: the fair-share tree. */
  readonly projects: ShareTreeInput['projects'];
  /** Decayed usage in billing units per project and per `${project}/${user}`. */
  readonly usage: ShareTreeInput['usage'];
}

/** A policy's verdict on the pending jobs of one pass. */
export interface Ranking {
  /** Priority of `jobs[i]` in [0, 1]; higher starts sooner. */
  readonly priority: Float64Array;
  /** How `priority[i]` was made, for the user; computed on demand. */
  breakdown(index: number): PriorityBreakdown;
}

export interface Policy {
  readonly name: string;
  order(jobs: readonly Job[], ctx: PolicyContext): Ranking;
}

export type PolicyName = 'fifo' | 'fairshare';

/** Read once: under vite-node every use of an imported name is a getter call, and it runs once per job. */
const value = priorityValue;

function ageSeconds(ctx: PolicyContext, i: number): number {
  return (ctx.now - (ctx.submittedAt[i] ?? ctx.now)) / 1000;
}

/**
 * Job priority alone, so that submission order decides among equals. The
 * breakdown still shows the job's age and its user's and project's
 * priorities, weighted 0, so the user sees they play no part.
 */
export const fifoPolicy: Policy = {
  name: 'fifo',
  order(jobs, ctx) {
    const weights: PriorityWeights = {
      fairshare: 0,
      age: 0,
      maxAgeSeconds: ctx.weights.maxAgeSeconds,
      job: 1,
      user: 0,
      project: 0,
    };
    const input = (i: number) => {
      const a = ctx.accounts[ctx.accountOf[i] ?? 0];
      return {
        fairShareFactor: 0,
        ageSeconds: ageSeconds(ctx, i),
        jobPriority: ctx.jobPriority[i] ?? 0,
        userPriority: a?.userPriority ?? 0,
        projectPriority: a?.projectPriority ?? 0,
      };
    };
    const priority = new Float64Array(jobs.length);
    for (let i = 0; i < jobs.length; i++) priority[i] = value(input(i), weights);
    return { priority, breakdown: (i) => jobPriority(input(i), weights) };
  },
};

/**
 * Slurm's multifactor priority with the classic fair-share factor. The tree
 * is computed once per pass (projects × members, not jobs); each job then
 * costs one weighted sum.
 */
export const fairSharePolicy: Policy = {
  name: 'fairshare',
  order(jobs, ctx) {
    const tree = fairShareTree({ projects: ctx.projects, usage: ctx.usage });
    // A user who is not a member of the job's project has no shares: factor 0, as Slurm.
    const factor = Float64Array.from(ctx.accounts, (a) => tree.users.get(userKey(a.project, a.user))?.factor ?? 0);
    const input = (i: number) => {
      const acc = ctx.accountOf[i] ?? 0;
      const a = ctx.accounts[acc];
      return {
        fairShareFactor: factor[acc] ?? 0,
        ageSeconds: ageSeconds(ctx, i),
        jobPriority: ctx.jobPriority[i] ?? 0,
        userPriority: a?.userPriority ?? 0,
        projectPriority: a?.projectPriority ?? 0,
      };
    };
    const priority = new Float64Array(jobs.length);
    for (let i = 0; i < jobs.length; i++) priority[i] = value(input(i), ctx.weights);
    return { priority, breakdown: (i) => jobPriority(input(i), ctx.weights) };
  },
};

export const POLICIES: ReadonlyMap<PolicyName, Policy> = new Map<PolicyName, Policy>([
  ['fifo', fifoPolicy],
  ['fairshare', fairSharePolicy],
]);

/** A policy by name, or the plugin itself. */
export function resolvePolicy(policy: PolicyName | Policy): Policy {
  if (typeof policy !== 'string') return policy;
  const found = POLICIES.get(policy);
  if (!found) throw new Error(`unknown scheduling policy "${String(policy)}"; known: ${[...POLICIES.keys()].join(', ')}`);
  return found;
}
