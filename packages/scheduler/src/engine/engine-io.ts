/**
 * What a scheduling pass reads and what it decides. Everything the engine
 * needs comes in here — the clock included — so a pass is a pure function
 * that a simulator can drive as well as the daemon.
 */
import type { Dependency, Job, JobState, NodeInfo, Quota } from '@godocker/sdk';
import type { Policy, PolicyName } from './policy.js';
import type { PriorityBreakdown, PriorityWeights } from './priority.js';
import type { WaitReasons } from './reasons.js';

/** A project as the engine sees it; the SDK's `Project` fits. */
export interface ProjectPolicy {
  name: string;
  /** Shares of the whole cluster. */
  shares: number;
  /** -10000..10000; higher runs sooner. Default 0. */
  priority?: number;
  quota?: Quota;
  /** Users and their shares inside the project. A job's user who is not listed has no shares (fair-share factor 0). */
  members: ReadonlyArray<{ user: string; shares: number }>;
}

/** A user as the engine sees it: an admin priority and a quota across all their projects. */
export interface UserPolicy {
  name: string;
  /** -10000..10000; higher runs sooner. Default 0. */
  priority?: number;
  quota?: Quota;
}

/** Decayed usage in billing units (fairshare.ts: `billingUnits`, `decay`). */
export interface FairShareUsage {
  project: ReadonlyMap<string, number>;
  /** Keyed by `userKey(project, user)`. */
  user: ReadonlyMap<string, number>;
  /** All usage delivered by the cluster; defaults to the sum over the listed projects. */
  total?: number;
}

/**
 * Cpu-seconds used in the rolling window of each cpu-time quota, counting
 * what running jobs have used so far. A user's window is the one of their
 * quota, a project's the one of its quota.
 */
export interface CpuTimeUsage {
  project: ReadonlyMap<string, number>;
  user: ReadonlyMap<string, number>;
}

/** An array's `%N`: at most `throttle` tasks running (or suspended) at once. */
export interface ArrayLimit {
  throttle: number | null;
}

export interface BackfillSettings {
  /** EASY backfill; without it jobs start in strict priority order. */
  enabled: boolean;
  /** The time limit assumed for jobs that have none (the configured maximum), in seconds. */
  maxTimeLimitSeconds: number;
}

export interface EngineInput {
  /** ms since the epoch; passed in, never read inside the engine. */
  now: number;
  /**
   * Pending jobs that may start: single jobs and array tasks, not held (those
   * whose begin time is ahead included: the pass says why they wait). Any
   * order; submission order is fastest. An array parent given here is ignored.
   */
  pending: readonly Job[];
  /** Jobs holding resources (running or suspended) with `status.node`, and `status.startedAt` once started. */
  active: readonly Job[];
  nodes: readonly NodeInfo[];
  /** Default `fairshare`. */
  policy?: PolicyName | Policy;
  projects?: readonly ProjectPolicy[];
  users?: readonly UserPolicy[];
  /** Decayed fair-share usage; none means a quiet cluster (every member's factor 1). */
  usage?: FairShareUsage;
  cpuTime?: CpuTimeUsage;
  /**
   * State of every job a pending job depends on — for an array, its parent's
   * state, which sums up its tasks'. A job missing here does not exist.
   */
  dependencies?: ReadonlyMap<number, JobState>;
  /** Throttles of arrays, by parent id; running tasks are counted from `active`. */
  arrays?: ReadonlyMap<number, ArrayLimit>;
  /** Default: enabled, 30 days for jobs without a time limit. */
  backfill?: BackfillSettings;
  /** Default `DEFAULT_PRIORITY_WEIGHTS`. */
  weights?: PriorityWeights;
}

export interface Placement {
  jobId: number;
  node: string;
}

/** A job the runtime must fail: one of its dependencies can never be met. */
export interface UnsatisfiableJob {
  jobId: number;
  dependency: Dependency;
  /** "dependency afterok:42 can never be met: job 42 failed" */
  reason: string;
}

/** A backfill reservation made in this pass. */
export interface ReservationInfo {
  jobId: number;
  node: string;
  /**
   * ms since the epoch: the job starts by then, provided running jobs end by
   * their time limits and no job of higher priority comes first.
   */
  at: number;
}

export interface EngineOutput {
  /** The policy that ordered the jobs. */
  policy: string;
  /** Jobs to start now, in priority order, each with its node. */
  start: Placement[];
  /**
   * Why each pending job that does not start waits, by job id (built on
   * demand: look up, do not copy). Jobs in `unsatisfiable` are here too, as
   * `DependencyNeverSatisfied`.
   */
  waiting: WaitReasons;
  /** Jobs whose dependencies can never be met: the runtime fails them with `reason`. */
  unsatisfiable: UnsatisfiableJob[];
  reservations: ReservationInfo[];
  /**
   * ms since the epoch: the earliest begin time still ahead of `now` among the
   * pending jobs, null when none waits for one. Nothing else happens at that
   * moment, so the runtime must wake a pass for it.
   */
  nextBeginAt: number | null;
  /** The priority of a job pending in this pass, with its factors (built on demand). */
  priority(jobId: number): PriorityBreakdown | undefined;
}
