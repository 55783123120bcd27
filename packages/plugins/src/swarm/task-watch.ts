/**
 * Tells waiters when the task of their service may have ended, for all of them at once: one
 * look at the cluster's services and tasks per round, whatever the number of waiters, instead
 * of one request per waiter.
 *
 * Rounds come every `pollMs`, and at once when the manager's engine reports a container of this
 * cluster dying or a service being updated or removed (its event stream, open while someone
 * waits). Swarm publishes no task events (API 1.41), and the engine only reports containers of
 * its own node: a task that ends on another node is seen at the next round. After an event the
 * task's state may still lag the container's end by a few milliseconds, so rounds come quickly
 * for a short while. The stream is never trusted alone: rounds go on whether or not it answers,
 * and one comes at once when it breaks.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@godocker/sdk';
import type { TaskPhase } from './task-outcome.js';

export interface WatchSource {
  /** The phase of the job task of each of this cluster's services, by service id. */
  snapshot(): Promise<ReadonlyMap<string, TaskPhase>>;
  /** The engine's events that may mean a task ended, until `signal` aborts or the stream breaks. */
  events(signal: AbortSignal): Promise<AsyncIterable<unknown>>;
}

/** Rounds this often for a while after an event. */
const BURST_MS = 100;
const BURST_FOR_MS = 2_000;
const EVENTS_RETRY_MIN_MS = 250;
const EVENTS_RETRY_MAX_MS = 5_000;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class TaskWatch {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private running = false;
  private wake: (() => void) | null = null;
  private burstUntil = 0;

  constructor(
    private readonly source: WatchSource,
    private readonly pollMs: number,
    private readonly closing: AbortSignal,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves once the job task of `serviceId` has ended or is lost, or the service is gone: the
   * caller then looks for itself. Rejects when a round fails (the engine does not answer), and
   * with an AbortError when `signal` aborts.
   */
  changed(serviceId: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortError());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = (): void => {
        this.drop(serviceId, waiter);
        waiter.reject(abortError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let set = this.waiters.get(serviceId);
      if (!set) {
        set = new Set();
        this.waiters.set(serviceId, set);
      }
      set.add(waiter);
      this.ensureRunning();
    });
  }

  private drop(serviceId: string, waiter: Waiter): void {
    const set = this.waiters.get(serviceId);
    set?.delete(waiter);
    if (set?.size === 0) this.waiters.delete(serviceId);
  }

  private ensureRunning(): void {
    if (this.running || this.closing.aborted) return;
    this.running = true;
    void this.rounds().finally(() => {
      this.running = false;
      // A waiter that came while the last round was ending.
      if (this.waiters.size > 0) this.ensureRunning();
    });
  }

  private async rounds(): Promise<void> {
    const stopEvents = new AbortController();
    const onClose = (): void => stopEvents.abort();
    this.closing.addEventListener('abort', onClose, { once: true });
    void this.followEvents(stopEvents.signal);
    try {
      while (this.waiters.size > 0 && !this.closing.aborted) {
        let snapshot: ReadonlyMap<string, TaskPhase>;
        try {
          snapshot = await this.source.snapshot();
        } catch (error) {
          // Every waiter hears it: an engine that does not answer is theirs to report.
          for (const set of this.waiters.values()) for (const w of set) w.reject(error);
          this.waiters.clear();
          return;
        }
        this.settle(snapshot);
        if (this.waiters.size === 0) return;
        await this.pause();
      }
    } finally {
      stopEvents.abort();
      this.closing.removeEventListener('abort', onClose);
      this.wake = null;
    }
  }

  private settle(phases: ReadonlyMap<string, TaskPhase>): void {
    for (const [serviceId, set] of [...this.waiters]) {
      const phase = phases.get(serviceId);
      // Absent: the service is gone.
      if (phase === 'created' || phase === 'running') continue;
      this.waiters.delete(serviceId);
      for (const w of set) w.resolve();
    }
  }

  private async pause(): Promise<void> {
    const ms = Date.now() < this.burstUntil ? BURST_MS : this.pollMs;
    const woken = new AbortController();
    this.wake = () => woken.abort();
    const onClose = (): void => woken.abort();
    this.closing.addEventListener('abort', onClose, { once: true });
    try {
      await delay(ms, undefined, { signal: woken.signal });
    } catch {
      // Woken by an event or by close: either way the next round (or the end) comes now.
    } finally {
      this.closing.removeEventListener('abort', onClose);
      this.wake = null;
    }
  }

  private async followEvents(signal: AbortSignal): Promise<void> {
    let retryMs = EVENTS_RETRY_MIN_MS;
    while (!signal.aborted) {
      try {
        const events = await this.source.events(signal);
        retryMs = EVENTS_RETRY_MIN_MS;
        for await (const _event of events) {
          this.burstUntil = Date.now() + BURST_FOR_MS;
          this.wake?.();
        }
      } catch (error) {
        if (!signal.aborted)
          this.logger.debug({ error: String(error) }, 'swarm executor: engine event stream broke; polling goes on');
      }
      if (signal.aborted) return;
      // The stream ended: maybe the manager went away. A round now tells the waiters so at once
      // (its snapshot fails), rather than at the next poll.
      this.wake?.();
      await delay(retryMs, undefined, { signal }).catch(() => undefined);
      retryMs = Math.min(retryMs * 2, EVENTS_RETRY_MAX_MS);
    }
  }
}

function abortError(): Error {
  return new DOMException('the wait was aborted', 'AbortError');
}
