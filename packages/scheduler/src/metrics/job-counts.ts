/**
 * The jobs by project and state that `/metrics` reports, read from the store at a scrape.
 * The SQLite store counts 100,000 jobs in about 10 ms; the MongoDB store reads every job's
 * current record, seconds for tens of thousands on FerretDB. So: counts younger than
 * `maxAgeMs` are reused; one read at a time, shared by the scrapes that come meanwhile; and
 * a scrape waits for a read at most `waitMs` (below Prometheus' 10 s scrape timeout), then
 * answers with the last counts while the read goes on for the next scrape.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ProjectStateCount } from '../store/store.js';

export interface CountedJobs {
  rows: ProjectStateCount[];
  /** When the store was read (performance.now()). */
  readAt: number;
}

export class JobCounts {
  readonly #read: () => Promise<ProjectStateCount[]>;
  readonly #maxAgeMs: number;
  readonly #waitMs: number;
  #last: CountedJobs | null = null;
  #reading: Promise<void> | null = null;

  constructor(read: () => Promise<ProjectStateCount[]>, options: { maxAgeMs: number; waitMs: number }) {
    this.#read = read;
    this.#maxAgeMs = options.maxAgeMs;
    this.#waitMs = options.waitMs;
  }

  /** The counts to report now; null before a first read has finished. */
  async current(): Promise<CountedJobs | null> {
    const last = this.#last;
    if (last && performance.now() - last.readAt <= this.#maxAgeMs) return last;
    const reading = this.#refresh();
    const timer = new AbortController();
    await Promise.race([reading, delay(this.#waitMs, undefined, { signal: timer.signal }).catch(() => undefined)]);
    timer.abort();
    return this.#last;
  }

  #refresh(): Promise<void> {
    this.#reading ??= (async () => {
      const startedAt = performance.now();
      try {
        this.#last = { rows: await this.#read(), readAt: startedAt };
      } catch {
        // The store away: the last counts stand (their age says how old), and the next scrape asks again.
      } finally {
        this.#reading = null;
      }
    })();
    return this.#reading;
  }
}
