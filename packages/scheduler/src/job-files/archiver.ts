/**
 * Archiving of old jobs: the directory (files, stdout, stderr) of a job ended more than
 * archive.afterDays ago is removed, and the job is marked `status.archivedAt`; its record and
 * usage stay. Only the leader runs it (the daemon starts it when it leads and stops it when it
 * no longer does); the admin's `godocker admin archive` runs it at once on the leader.
 */
import { rm } from 'node:fs/promises';
import type { ArchiveResult, Logger } from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import type { EventBus } from '../events/event-bus.js';
import type { Store } from '../store/store.js';
import { jobDirOf, legacyLogDirOf } from './job-dir.js';

const BATCH = 200;

export interface ArchiverDeps {
  store: Store;
  config: GodockerConfig;
  logger: Logger;
  /** Told each job archived, so that an sftp session into its directory is cut (on every daemon). */
  bus?: EventBus;
  /** The clock, passed in: tests set a job's end in the past instead. */
  now?: () => Date;
}

export class JobArchiver {
  readonly #d: ArchiverDeps;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  /** One run at a time: the timer's and the admin's share it. */
  #running: Promise<ArchiveResult> | null = null;

  constructor(deps: ArchiverDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Runs every archive.intervalMinutes while this daemon leads; nothing when archive.afterDays is 0. */
  start(): void {
    const { afterDays, intervalMinutes } = this.#d.config.archive;
    if (afterDays === 0 || this.#timer) return;
    this.#timer = setInterval(() => {
      this.archive(afterDays * 86_400_000).catch((error: unknown) =>
        this.#d.logger.warn({ err: error }, 'archiving old jobs failed: tried again at the next interval'),
      );
    }, intervalMinutes * 60_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Archives the jobs ended more than `olderThanMs` ago. */
  archive(olderThanMs: number): Promise<ArchiveResult> {
    const current = this.#running;
    if (current !== null) return current.then(() => this.archive(olderThanMs));
    const run = this.#archive(olderThanMs).finally(() => {
      this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #archive(olderThanMs: number): Promise<ArchiveResult> {
    const now = this.#now();
    const before = new Date(now.getTime() - olderThanMs).toISOString();
    const result: ArchiveResult = { archived: [], failed: [] };
    let afterId = 0;
    for (;;) {
      const jobs = await this.#d.store.endedJobsBefore(before, afterId, BATCH);
      for (const job of jobs) {
        afterId = job.id;
        try {
          // Removed first: a job marked archived has nothing left, never a directory forgotten behind.
          await rm(jobDirOf(this.#d.config, job.id), { recursive: true, force: true });
          await rm(legacyLogDirOf(this.#d.config, job.id), { recursive: true, force: true });
          const at = now.toISOString();
          const marked = await this.#d.store.updateJob(job.id, { status: { archivedAt: at } }, { states: ['done', 'failed'] });
          if (marked) {
            result.archived.push(job.id);
            this.#d.bus?.publish({ type: 'job', job: marked, previousState: marked.status.state });
          }
        } catch (error) {
          result.failed.push({ id: job.id, error: (error as Error).message });
        }
      }
      if (jobs.length < BATCH) break;
    }
    if (result.archived.length > 0 || result.failed.length > 0) {
      this.#d.logger.info(
        { archived: result.archived.length, failed: result.failed, endedBefore: before },
        'archived old jobs: their directories removed, their records kept',
      );
    }
    return result;
  }
}
