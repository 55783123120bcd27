/**
 * When an interactive job (`godocker submit --interactive`, Slurm's salloc) is done: once it has
 * had no SSH session for the grace, counted from its start when nobody came in, or from the close
 * of its last session. Sessions are counted by the gateway that serves them; the job is then
 * finished through `finish` (done, not killed).
 */
import type { Job, Logger } from '@godocker/sdk';

const RETRY_MS = 10_000;

export interface InteractiveIdleDeps {
  graceMs: number;
  /** Stops the job as finished with this reason; false when it could not (not running here yet). */
  finish(jobId: number, reason: string): Promise<boolean>;
  logger: Logger;
}

export function isInteractiveRunning(job: Job): boolean {
  return job.container.interactive === true && job.status.state === 'running' && job.parentId === null;
}

export class InteractiveIdle {
  readonly #d: InteractiveIdleDeps;
  /** Open sessions per interactive job this gateway watches. */
  readonly #open = new Map<number, number>();
  readonly #timers = new Map<number, NodeJS.Timeout>();
  /** Jobs that had a session here: their grace runs from its close, not from the start. */
  readonly #seen = new Set<number>();
  /** The start time each watched job had when its grace was counted from it. */
  readonly #startedAt = new Map<number, string | null>();
  #stopped = false;

  constructor(deps: InteractiveIdleDeps) {
    this.#d = deps;
  }

  /** A job changed (or was found running at start): watched while it runs interactive, forgotten after. */
  jobChanged(job: Job): void {
    if (this.#stopped) return;
    if (!isInteractiveRunning(job)) {
      this.#forget(job.id);
      return;
    }
    const startedAt = job.status.startedAt;
    if (this.#open.has(job.id)) {
      // Running from its dispatch, its task started a moment later (a container made, an image
      // unpacked): nobody came in yet, so the grace counts again from the task's start.
      const waiting = this.#open.get(job.id) === 0 && !this.#seen.has(job.id);
      if (waiting && this.#startedAt.get(job.id) !== startedAt) {
        this.#startedAt.set(job.id, startedAt);
        this.#arm(job.id, this.#d.graceMs);
      }
      return;
    }
    this.#open.set(job.id, 0);
    this.#startedAt.set(job.id, startedAt);
    // From now, not from its start: a job resumed, or found running by a restarted daemon, gets the
    // whole grace for its user to come (back) in.
    this.#arm(job.id, this.#d.graceMs);
  }

  opened(jobId: number): void {
    const n = this.#open.get(jobId);
    if (n === undefined) return;
    this.#open.set(jobId, n + 1);
    this.#seen.add(jobId);
    clearTimeout(this.#timers.get(jobId));
    this.#timers.delete(jobId);
  }

  closed(jobId: number): void {
    const n = this.#open.get(jobId);
    if (n === undefined) return;
    this.#open.set(jobId, Math.max(0, n - 1));
    if (n - 1 <= 0) this.#arm(jobId, this.#d.graceMs);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #arm(jobId: number, ms: number): void {
    clearTimeout(this.#timers.get(jobId));
    const timer = setTimeout(() => {
      this.#timers.delete(jobId);
      if (this.#stopped || (this.#open.get(jobId) ?? 0) > 0) return;
      const seconds = Math.round(this.#d.graceMs / 1000);
      const reason = this.#seen.has(jobId)
        ? `interactive: its last SSH session closed ${seconds}s ago`
        : `interactive: no SSH session came in within ${seconds}s of its start`;
      this.#d.finish(jobId, reason).then(
        (done) => {
          // Its task not made yet, or a store that did not answer: asked again later, while it stays idle.
          if (!done && this.#open.get(jobId) === 0) this.#arm(jobId, RETRY_MS);
        },
        (e: unknown) => {
          this.#d.logger.warn({ err: e, jobId }, 'ssh gateway: could not finish an idle interactive job');
          if (this.#open.get(jobId) === 0) this.#arm(jobId, RETRY_MS);
        },
      );
    }, ms);
    timer.unref();
    this.#timers.set(jobId, timer);
  }

  #forget(jobId: number): void {
    clearTimeout(this.#timers.get(jobId));
    this.#timers.delete(jobId);
    this.#open.delete(jobId);
    this.#seen.delete(jobId);
    this.#startedAt.delete(jobId);
  }
}
