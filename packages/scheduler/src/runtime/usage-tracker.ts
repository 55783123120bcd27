/**
 * What running jobs have used, for fair share and for the cumulative cpu-time
 * quota. Usage accrues in billing units while jobs run and decays with a
 * half-life; cpu-seconds go into hourly buckets so a rolling window can be
 * summed. Both are kept in the store, so a restart forgets nothing.
 */
import { cpuTimeBucket, type Job, type Quota } from '@godocker/sdk';
import type { CpuTimeUsage, FairShareUsage } from '../engine/engine-io.js';
import { type BillingWeights, billingUnits, decay, userKey } from '../engine/fairshare.js';
import type { Store, UsageRow } from '../store/store.js';

export interface UsageSettings {
  halfLifeSeconds: number;
  billing: BillingWeights;
  /**
   * `reserved` (the default): fair share bills the cores a job asked for; `used`: the cpu seconds
   * its task used, read from `cpuUsed`. The cpu-time quota counts reserved cores either way.
   */
  cpuCharge?: 'reserved' | 'used';
  /** The cpu seconds a running job's task has used so far (the usage sampler's last reading); undefined when not read. */
  cpuUsed?: (jobId: number) => number | undefined;
}

interface Cell {
  project: string;
  user: string;
  units: number;
}

export class UsageTracker {
  readonly #store: Store;
  readonly #settings: UsageSettings;
  readonly #cells = new Map<string, Cell>();
  /** ms: the time every cell's decay is applied up to. */
  #asOf = 0;
  /** ms: up to when each running job has been charged. */
  readonly #charged = new Map<number, number>();
  #cpuTime: CpuTimeUsage = { project: new Map(), user: new Map() };
  /** With cpuCharge `used`: the cpu seconds each running job had used at its last charge. */
  readonly #cpuCharged = new Map<number, number>();

  constructor(store: Store, settings: UsageSettings) {
    this.#store = store;
    this.#settings = settings;
  }

  async load(now: number): Promise<void> {
    this.#asOf = now;
    for (const row of await this.#store.getUsage()) {
      const age = Math.max(0, (now - Date.parse(row.updatedAt)) / 1000);
      this.#cells.set(userKey(row.project, row.user), {
        project: row.project,
        user: row.user,
        units: decay(row.units, age, this.#settings.halfLifeSeconds),
      });
    }
  }

  /** cpu-seconds charged since the last flush, by `${key}@${bucket}`. */
  readonly #buckets = new Map<string, { project: string; user: string; bucket: number; seconds: number }>();

  /**
   * Charges running jobs up to `now` (from their start, or the last charge) and
   * decays everything, in memory. `ended` jobs are charged to their end and forgotten.
   */
  charge(running: readonly Job[], ended: readonly Job[], now: number): void {
    const elapsed = Math.max(0, (now - this.#asOf) / 1000);
    for (const cell of this.#cells.values()) cell.units = decay(cell.units, elapsed, this.#settings.halfLifeSeconds);
    this.#asOf = now;
    const buckets = this.#buckets;
    const charge = (job: Job, until: number) => {
      if (!job.status.startedAt) return;
      const from = Math.max(this.#charged.get(job.id) ?? Date.parse(job.status.startedAt), Date.parse(job.status.startedAt));
      if (until <= from) return;
      const seconds = (until - from) / 1000;
      const key = userKey(job.project, job.user.name);
      const cell = this.#cells.get(key) ?? { project: job.project, user: job.user.name, units: 0 };
      cell.units += billingUnits(this.#billed(job, seconds), seconds, this.#settings.billing);
      this.#cells.set(key, cell);
      const bucket = cpuTimeBucket(Math.floor(until / 1000));
      const b = buckets.get(`${key}@${bucket}`) ?? { project: job.project, user: job.user.name, bucket, seconds: 0 };
      b.seconds += seconds * job.requirements.cpu;
      buckets.set(`${key}@${bucket}`, b);
      this.#charged.set(job.id, until);
    };
    for (const job of running) if (job.status.state === 'running') charge(job, now);
    for (const job of ended) {
      charge(job, job.status.endedAt ? Math.min(now, Date.parse(job.status.endedAt)) : now);
      this.#charged.delete(job.id);
      this.#cpuCharged.delete(job.id);
    }
    // A suspended job uses nothing; its charge restarts from when it resumes.
    for (const job of running) if (job.status.state === 'suspended') this.#charged.set(job.id, now);
  }

  /**
   * What a job is billed for over `seconds`: what it asked for, or with cpuCharge `used` the cores
   * it kept busy on average since its last charge. An ended job's record has its final cpu total;
   * a running one's comes from the sampler. Without a reading (an executor that is not sampled,
   * a job not read yet), that stretch is billed as reserved.
   */
  #billed(job: Job, seconds: number): Job['requirements'] {
    if (this.#settings.cpuCharge !== 'used') return job.requirements;
    const total = job.usage.cpuSeconds ?? this.#settings.cpuUsed?.(job.id);
    if (total === undefined || total === null) return job.requirements;
    // Counted from the job's start when this tracker has not charged it yet, as the reserved charge is.
    const before = this.#cpuCharged.get(job.id) ?? 0;
    this.#cpuCharged.set(job.id, total);
    return { ...job.requirements, cpu: Math.max(0, total - before) / seconds };
  }

  /** Saves what was charged; called on an interval (a crash forgets at most one interval's usage). */
  async flush(): Promise<void> {
    const at = new Date(this.#asOf).toISOString();
    const rows: UsageRow[] = [...this.#cells.values()].map((c) => ({
      project: c.project,
      user: c.user,
      units: c.units,
      updatedAt: at,
    }));
    if (rows.length > 0) await this.#store.saveUsage(rows);
    const buckets = [...this.#buckets.values()];
    this.#buckets.clear();
    for (const b of buckets) await this.#store.addCpuTime(b.project, b.user, b.bucket, b.seconds);
  }

  /** Decayed usage as of the last accrual, for the engine and `godocker share`. */
  fairShare(): FairShareUsage {
    const project = new Map<string, number>();
    const user = new Map<string, number>();
    for (const [key, c] of this.#cells) {
      user.set(key, c.units);
      project.set(c.project, (project.get(c.project) ?? 0) + c.units);
    }
    return { project, user };
  }

  /**
   * Recomputes the cpu-seconds each cpu-time quota has used over its own
   * rolling window (windows differ between quotas, so each distinct window is summed once).
   */
  async refreshCpuTime(
    projects: ReadonlyArray<{ name: string; quota?: Quota }>,
    users: ReadonlyArray<{ name: string; quota?: Quota }>,
    now: number,
  ): Promise<void> {
    const windows = new Set<number>();
    for (const x of [...projects, ...users]) if (x.quota?.cpuTime) windows.add(x.quota.cpuTime.windowSeconds);
    const sums = new Map<number, { project: Map<string, number>; user: Map<string, number> }>();
    for (const w of windows) {
      const since = cpuTimeBucket(Math.floor(now / 1000) - w);
      const byProject = new Map<string, number>();
      const byUser = new Map<string, number>();
      for (const row of await this.#store.cpuTimeSince(since)) {
        byProject.set(row.project, (byProject.get(row.project) ?? 0) + row.cpuSeconds);
        byUser.set(row.user, (byUser.get(row.user) ?? 0) + row.cpuSeconds);
      }
      sums.set(w, { project: byProject, user: byUser });
    }
    const project = new Map<string, number>();
    const user = new Map<string, number>();
    for (const p of projects) {
      const w = p.quota?.cpuTime?.windowSeconds;
      if (w !== undefined) project.set(p.name, sums.get(w)?.project.get(p.name) ?? 0);
    }
    for (const u of users) {
      const w = u.quota?.cpuTime?.windowSeconds;
      if (w !== undefined) user.set(u.name, sums.get(w)?.user.get(u.name) ?? 0);
    }
    this.#cpuTime = { project, user };
  }

  cpuTime(): CpuTimeUsage {
    return this.#cpuTime;
  }
}
