/**
 * Why a pending job did not start: a code in Slurm's words where they fit,
 * and a sentence with the numbers.
 *
 * | code | Slurm | when |
 * |---|---|---|
 * | `Priority` | Priority | it could use resources, but a higher-priority job comes first |
 * | `Resources` | Resources | first in line, and no node has enough free now |
 * | `Dependency` | Dependency | a dependency is not met yet |
 * | `DependencyNeverSatisfied` | DependencyNeverSatisfied | a dependency can never be met (the runtime fails the job) |
 * | `BeginTime` | BeginTime | its begin time (`--begin`, DRMAA's start time) is still ahead |
 * | `JobArrayTaskLimit` | JobArrayTaskLimit | the array's `%N` throttle is reached |
 * | `NoNodeFits` | (BadConstraints) | no node is big enough or carries its labels, even empty |
 * | `User…Limit` / `Project…Limit` | QOSMax…PerUser / AssocGrp…Limit | a concurrent quota would be broken |
 * | `UserCpuTimeLimit` / `ProjectCpuTimeLimit` | AssocGrpCPUMinutesLimit | the cumulative cpu-time quota is used up |
 * | `ExecutorUnavailable` | (NodeDown) | the executor or the data folder does not answer; set by the runtime, not the engine |
 * | `NodesDrained` | (ReqNodeNotAvail) | only drained nodes could run it; set by the runtime, which knows the drains |
 * | `NodesDown` | (ReqNodeNotAvail) | only nodes whose backend does not answer could run it (some of them drained too) |
 *
 * A pass may leave 100,000 jobs waiting; building 100,000 sentences would
 * cost more than the pass (a sentence with six numbers is ~1 µs). So the pass
 * records a code per job, and `WaitReasons` builds a reason when it is read.
 */
import type { QuotaBreach } from './quotas.js';

export const WAIT_CODES = [
  'Priority',
  'Resources',
  'Dependency',
  'DependencyNeverSatisfied',
  'BeginTime',
  'JobArrayTaskLimit',
  'NoNodeFits',
  'UserCpuLimit',
  'UserRamLimit',
  'UserGpuLimit',
  'UserRunningJobsLimit',
  'UserCpuTimeLimit',
  'ProjectCpuLimit',
  'ProjectRamLimit',
  'ProjectGpuLimit',
  'ProjectRunningJobsLimit',
  'ProjectCpuTimeLimit',
  'ExecutorUnavailable',
  'NodesDrained',
  'NodesDown',
] as const;

export type WaitCode = (typeof WAIT_CODES)[number];

export interface WaitReason {
  code: WaitCode;
  message: string;
}

/** Numbers for the per-job code array: 0 is "no reason" (it starts). */
export const CODE = Object.fromEntries(WAIT_CODES.map((c, i) => [c, i + 1])) as Record<WaitCode, number>;

export function codeName(n: number): WaitCode | undefined {
  return WAIT_CODES[n - 1];
}

/** Quota codes in `QuotaBreach` order (cpu, ram, gpus, running jobs, cpu time): code = base + breach. */
export const USER_QUOTA_CODES = [
  'UserCpuLimit',
  'UserRamLimit',
  'UserGpuLimit',
  'UserRunningJobsLimit',
  'UserCpuTimeLimit',
] as const;
export const PROJECT_QUOTA_CODES = [
  'ProjectCpuLimit',
  'ProjectRamLimit',
  'ProjectGpuLimit',
  'ProjectRunningJobsLimit',
  'ProjectCpuTimeLimit',
] as const;

/** Which holder and which quota a quota code names; undefined for other codes. */
export function quotaOfCode(code: WaitCode): { scope: 'user' | 'project'; breach: QuotaBreach } | undefined {
  const u = (USER_QUOTA_CODES as readonly WaitCode[]).indexOf(code);
  if (u >= 0) return { scope: 'user', breach: (u + 1) as QuotaBreach };
  const p = (PROJECT_QUOTA_CODES as readonly WaitCode[]).indexOf(code);
  if (p >= 0) return { scope: 'project', breach: (p + 1) as QuotaBreach };
  return undefined;
}

/**
 * The wait reasons of one pass, keyed by job id, built on demand. Reading one
 * (`get`) costs a binary search over the ids (or, when they did not come in
 * ascending order, a Map built at the first lookup) and a sentence.
 * Iterating builds every reason: keep the object and look up the jobs you
 * need instead of copying it into a Map.
 */
export class WaitReasons implements ReadonlyMap<number, WaitReason> {
  readonly #ids: ArrayLike<number>;
  readonly #codes: Uint8Array;
  readonly #message: (index: number, code: WaitCode) => string;
  readonly #size: number;
  #sorted: boolean | undefined;
  #index: Map<number, number> | undefined;
  #all: Map<number, WaitReason> | undefined;

  constructor(ids: ArrayLike<number>, codes: Uint8Array, message: (index: number, code: WaitCode) => string) {
    this.#ids = ids;
    this.#codes = codes;
    this.#message = message;
    let size = 0;
    for (let i = 0; i < codes.length; i++) if (codes[i] !== 0) size++;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  /** The position of a job in the pass's pending list (started or not), or -1 if it was not pending. */
  indexOf(id: number): number {
    if (this.#sorted === undefined) {
      // The runtime passes jobs in submission order, so ids ascend: a binary
      // search then needs no index at all. Otherwise, a Map, built once.
      let sorted = true;
      for (let i = 1; i < this.#ids.length && sorted; i++) sorted = (this.#ids[i] as number) > (this.#ids[i - 1] as number);
      this.#sorted = sorted;
      if (!sorted) {
        this.#index = new Map();
        for (let i = 0; i < this.#ids.length; i++) this.#index.set(this.#ids[i] as number, i);
      }
    }
    if (this.#index) return this.#index.get(id) ?? -1;
    let lo = 0;
    let hi = this.#ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.#ids[mid] as number;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  #at(i: number): WaitReason | undefined {
    const code = codeName(this.#codes[i] ?? 0);
    return code === undefined ? undefined : { code, message: this.#message(i, code) };
  }

  get(id: number): WaitReason | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.#at(i);
  }

  has(id: number): boolean {
    const i = this.indexOf(id);
    return i >= 0 && this.#codes[i] !== 0;
  }

  #materialize(): Map<number, WaitReason> {
    if (!this.#all) {
      this.#all = new Map();
      for (let i = 0; i < this.#codes.length; i++) {
        const r = this.#at(i);
        if (r) this.#all.set(this.#ids[i] as number, r);
      }
    }
    return this.#all;
  }

  forEach(fn: (value: WaitReason, key: number, map: ReadonlyMap<number, WaitReason>) => void): void {
    for (const [k, v] of this.#materialize()) fn(v, k, this);
  }

  entries(): MapIterator<[number, WaitReason]> {
    return this.#materialize().entries();
  }

  keys(): MapIterator<number> {
    return this.#materialize().keys();
  }

  values(): MapIterator<WaitReason> {
    return this.#materialize().values();
  }

  [Symbol.iterator](): MapIterator<[number, WaitReason]> {
    return this.entries();
  }
}
