/**
 * Long-poll waits: resolve as soon as the event bus says the condition holds,
 * never by polling the store in a loop. A timeout is an answer, not an error.
 */
import { isTerminal, type Job, type WaitFor } from '@godocker/sdk';
import type { EventBus } from '../events/event-bus.js';

/** Started means its task really runs (startedAt set), or it ended without ever running. */
export function reached(job: Job, what: WaitFor): boolean {
  if (isTerminal(job.status.state)) return true;
  if (what === 'terminated') return false;
  return (job.status.state === 'running' || job.status.state === 'suspended') && job.status.startedAt !== null;
}

export interface WaitRequest {
  ids: number[];
  mode: 'any' | 'all';
  for: WaitFor;
  timeoutMs: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

export interface WaitOutcome {
  /** Latest known document of every awaited job. */
  jobs: Map<number, Job>;
  ready: Job[];
  timedOut: boolean;
}

export async function waitForJobs(
  bus: EventBus,
  load: (ids: number[]) => Promise<Job[]>,
  req: WaitRequest,
): Promise<WaitOutcome> {
  const wanted = new Set(req.ids);
  const latest = new Map<number, Job>();
  // Kept up to date one job at a time: a wait on 10,000 jobs must not rescan them on every event.
  const readyIds = new Set<number>();
  const remember = (job: Job) => {
    const known = latest.get(job.id);
    // Events can overtake the initial read; keep the newest document.
    if (known && job.status.history.length < known.status.history.length) return;
    latest.set(job.id, job);
    if (reached(job, req.for)) readyIds.add(job.id);
    else readyIds.delete(job.id);
  };
  const done = () => (req.mode === 'any' ? readyIds.size > 0 : readyIds.size === wanted.size);
  const outcome = (timedOut: boolean): WaitOutcome => ({
    jobs: latest,
    ready: [...readyIds].map((id) => latest.get(id) as Job),
    timedOut,
  });

  let wake: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => {
    wake = resolve;
  });
  // Subscribe before reading, so no change can slip between the read and the subscription.
  const unsubscribe = bus.subscribe((event) => {
    if (!wanted.has(event.job.id)) return;
    remember(event.job);
    if (done()) wake();
  });
  try {
    for (const j of await load(req.ids)) remember(j);
    if (done() || req.timeoutMs <= 0) return outcome(!done());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), req.timeoutMs);
    });
    const aborted = new Promise<'timeout'>((resolve) => {
      if (req.signal?.aborted) resolve('timeout');
      req.signal?.addEventListener('abort', () => resolve('timeout'), { once: true });
    });
    const r = await Promise.race([woken.then(() => 'woken' as const), timedOut, aborted]);
    clearTimeout(timer);
    return outcome(r === 'timeout' && !done());
  } finally {
    unsubscribe();
  }
}
