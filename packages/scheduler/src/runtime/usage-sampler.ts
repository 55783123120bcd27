/**
 * Reads what each running job uses from its executor, on a timer of its own and never in
 * the scheduler's way: a round that is still running when the next is due is skipped, each
 * reading has a deadline, a few run at once, and a reading that fails or is late is
 * skipped. Records live in memory while jobs run and go to the store every `saveSeconds`
 * (and at each job's end), so a restarted daemon goes on from where the store left them.
 */
import type { Executor, Logger, TaskHandle, UsageTotals } from '@godocker/sdk';
import type { JobUsageRecord, Store } from '../store/store.js';
import { addSample, emptyUsage } from './usage-series.js';

export interface SamplerSettings {
  sampleSeconds: number;
  maxPoints: number;
  saveSeconds: number;
}

/** A running job's task, and when it started (the first reading's interval begins there). */
export interface SampledTask {
  jobId: number;
  handle: TaskHandle;
  startedAt: string;
}

export interface SamplerDeps {
  store: Store;
  executor: Executor;
  logger: Logger;
  settings: SamplerSettings;
  /** The tasks to read now. */
  tasks: () => SampledTask[];
  clock?: () => Date;
}

/** Readings in flight at once: a thousand running jobs must not open a thousand connections. */
const PARALLEL = 8;
/** A reading later than this is given up (Docker's one-shot stats take about a second). */
const MAX_READ_MS = 5_000;

export class UsageSampler {
  readonly #d: SamplerDeps;
  readonly #now: () => Date;
  readonly #records = new Map<number, JobUsageRecord>();
  /** Records changed since their last save. */
  readonly #dirty = new Set<number>();
  /** Jobs that ended: a reading of theirs still in flight is dropped. Forgotten once they are no longer listed. */
  readonly #ended = new Set<number>();
  #lastSave = 0;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | null = null;

  constructor(deps: SamplerDeps) {
    this.#d = deps;
    this.#now = deps.clock ?? (() => new Date());
  }

  /** Whether the executor can be read at all (else no timer is set). */
  get enabled(): boolean {
    return this.#d.executor.usage !== undefined;
  }

  start(): void {
    if (!this.enabled) return;
    this.#timer = setInterval(() => {
      if (this.#round === null) this.#round = this.sampleNow().finally(() => (this.#round = null));
    }, this.#d.settings.sampleSeconds * 1000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#round;
    await this.#save(true);
  }

  /** One round: every task read (PARALLEL at a time), then what changed saved when it is time. */
  async sampleNow(): Promise<void> {
    const read = this.#d.executor.usage?.bind(this.#d.executor);
    if (!read) return;
    const tasks = this.#d.tasks();
    const listed = new Set(tasks.map((t) => t.jobId));
    for (const id of this.#ended) if (!listed.has(id)) this.#ended.delete(id);
    // A job no longer running (requeued, suspended) leaves memory once its last readings are saved.
    for (const id of this.#records.keys()) if (!listed.has(id) && !this.#dirty.has(id)) this.#records.delete(id);
    const queue = tasks.filter((t) => !this.#ended.has(t.jobId));
    const worker = async () => {
      for (let task = queue.shift(); task; task = queue.shift()) await this.#sample(task, read);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
    await this.#save(false);
  }

  async #sample(task: SampledTask, read: NonNullable<Executor['usage']>): Promise<void> {
    const { logger, store, settings } = this.#d;
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), Math.min(MAX_READ_MS, settings.sampleSeconds * 1000));
      });
      const sample = await Promise.race([read(task.handle), late]);
      if (sample === null || this.#ended.has(task.jobId)) return;
      const record =
        this.#records.get(task.jobId) ?? (await store.getJobUsage(task.jobId)) ?? emptyUsage(task.jobId, settings.sampleSeconds);
      if (this.#ended.has(task.jobId)) return;
      this.#records.set(task.jobId, addSample(record, sample, task.startedAt, settings.maxPoints));
      this.#dirty.add(task.jobId);
    } catch (e) {
      logger.debug({ err: e, jobId: task.jobId }, 'skipped a usage reading');
    } finally {
      clearTimeout(timer);
    }
  }

  async #save(now: boolean): Promise<void> {
    const at = this.#now().getTime();
    if (this.#dirty.size === 0 || (!now && at - this.#lastSave < this.#d.settings.saveSeconds * 1000)) return;
    const records = [...this.#dirty].flatMap((id) => this.#records.get(id) ?? []);
    this.#dirty.clear();
    this.#lastSave = at;
    try {
      await this.#d.store.saveJobUsage(records);
    } catch (e) {
      // Kept in memory: the next save writes them.
      for (const r of records) this.#dirty.add(r.jobId);
      this.#d.logger.warn({ err: e }, 'could not save job usage');
    }
  }

  /** A running job's record with its latest readings (the store's may be `saveSeconds` older); null when not held here. */
  current(jobId: number): JobUsageRecord | null {
    return this.#records.get(jobId) ?? null;
  }

  /** The cpu seconds a running job has used so far, as last read; undefined when never read. */
  cpuSecondsOf(jobId: number): number | undefined {
    return this.#records.get(jobId)?.totals.cpuSeconds ?? undefined;
  }

  /**
   * A job ended: its record is saved and forgotten, and its totals returned for the job's
   * document (null when it was never read). A record saved by another daemon (or before a
   * restart) is read from the store.
   */
  async ended(jobId: number): Promise<UsageTotals | null> {
    this.#ended.add(jobId);
    const record = this.#records.get(jobId);
    this.#records.delete(jobId);
    if (record) {
      if (this.#dirty.delete(jobId)) {
        try {
          await this.#d.store.saveJobUsage([record]);
        } catch (e) {
          // Kept until a later save writes it (the job's end is tried again then too, and finds it here).
          this.#records.set(jobId, record);
          this.#dirty.add(jobId);
          this.#d.logger.warn({ err: e, jobId }, 'could not save job usage');
        }
      }
      return record.totals;
    }
    if (!this.enabled) return null;
    return (await this.#d.store.getJobUsage(jobId).catch(() => null))?.totals ?? null;
  }
}
