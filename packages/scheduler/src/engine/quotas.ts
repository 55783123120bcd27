/**
 * Quotas of one user or one project as the engine tracks them during a pass:
 * the limits, what running and suspended jobs hold, and what jobs started in
 * this pass add.
 *
 * Concurrent limits (cpu, ram, gpus, running jobs) count running and suspended
 * jobs alike, because a suspended job still holds its allocation (its memory
 * stays on the node). A user's quota spans all their projects; a project's
 * spans all its members.
 *
 * The cumulative cpu-time quota (cpu-seconds over a rolling window) is
 * GoDocker's time quota: while the cpu-seconds used in the window reach the
 * limit, jobs wait. The caller counts the window, including what running jobs
 * have used so far; jobs that start while some quota is left may run past it
 * (the quota is a gate at start, not a kill switch, as the issue asks: "an
 * exhausted cumulative quota makes jobs wait").
 */
import type { Quota } from '@godocker/sdk';

/** Which quota a job would break; 0 for none. */
export const QUOTA_OK = 0;
export const QUOTA_CPU = 1;
export const QUOTA_RAM = 2;
export const QUOTA_GPUS = 3;
export const QUOTA_RUNNING_JOBS = 4;
export const QUOTA_CPU_TIME = 5;
export type QuotaBreach =
  | typeof QUOTA_OK
  | typeof QUOTA_CPU
  | typeof QUOTA_RAM
  | typeof QUOTA_GPUS
  | typeof QUOTA_RUNNING_JOBS
  | typeof QUOTA_CPU_TIME;

/** Fractional cpus add up with rounding errors; 0.1 + 0.2 must fit a limit of 0.3. */
export const CPU_EPSILON = 1e-9;

function limit(v: number | null | undefined): number {
  return v === null || v === undefined ? Number.POSITIVE_INFINITY : v;
}

export class QuotaHolder {
  cpu = 0;
  ram = 0;
  gpus = 0;
  jobs = 0;
  readonly maxCpu: number;
  readonly maxRam: number;
  readonly maxGpus: number;
  readonly maxJobs: number;
  /** Cpu-seconds allowed per window; Infinity without a time quota. */
  readonly cpuTimeLimit: number;
  readonly cpuTimeWindowSeconds: number;

  constructor(
    readonly scope: 'user' | 'project',
    readonly name: string,
    quota: Quota | undefined,
    /** Cpu-seconds used in the current window (of this holder's time quota). */
    readonly cpuTimeUsed: number,
  ) {
    this.maxCpu = limit(quota?.cpu);
    this.maxRam = limit(quota?.ram);
    this.maxGpus = limit(quota?.gpus);
    this.maxJobs = limit(quota?.runningJobs);
    this.cpuTimeLimit = limit(quota?.cpuTime?.seconds);
    this.cpuTimeWindowSeconds = quota?.cpuTime?.windowSeconds ?? 0;
  }

  charge(cpu: number, ram: number, gpus: number): void {
    this.cpu += cpu;
    this.ram += ram;
    this.gpus += gpus;
    this.jobs += 1;
  }

  /** The first quota one more job of this size would break, in the order cpu, ram, gpus, jobs, cpu time. */
  breach(cpu: number, ram: number, gpus: number): QuotaBreach {
    if (this.cpu + cpu > this.maxCpu + CPU_EPSILON) return QUOTA_CPU;
    if (this.ram + ram > this.maxRam) return QUOTA_RAM;
    if (this.gpus + gpus > this.maxGpus) return QUOTA_GPUS;
    if (this.jobs + 1 > this.maxJobs) return QUOTA_RUNNING_JOBS;
    if (this.cpuTimeUsed >= this.cpuTimeLimit) return QUOTA_CPU_TIME;
    return QUOTA_OK;
  }
}
