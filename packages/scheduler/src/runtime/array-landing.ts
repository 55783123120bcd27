/**
 * Storing an array's tasks a batch at a time, so that a 100,000-task submit never
 * holds the event loop: each batch is made and stored in one transaction (with the
 * parent's count of tasks created), then the loop yields before the next. A batch
 * is sized to take about BATCH_TARGET_MS, whatever the machine and the documents.
 * A crash between two batches loses nothing: the parent says how many tasks exist,
 * and a restart lands the rest from it.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Job } from '@godocker/sdk';
import type { NewJob, Store } from '../store/store.js';
import { arrayTask } from './submission.js';

/** What one batch may cost the event loop; well under the 50 ms a request may wait. */
const BATCH_TARGET_MS = 10;
const MIN_BATCH = 16;
const MAX_BATCH = 5000;
const FIRST_BATCH = 256;

/**
 * Arrays up to this many tasks are answered once every task exists (201); larger
 * ones as soon as the parent and the first batch are stored (202), the rest landing
 * after the answer (`array.created` says how far).
 */
export const ANSWER_WHOLE_ARRAY_UP_TO = 10_000;

/** The tasks of `parent` from ordinal `from` on, `n` of them. */
export function taskBatch(parent: NewJob, from: number, n: number): NewJob[] {
  const tasks: NewJob[] = [];
  for (let i = from; i < from + n; i++) tasks.push(arrayTask(parent, i));
  return tasks;
}

/** How many tasks the next batch holds, from how long the last one took. */
function nextBatchSize(size: number, elapsedMs: number): number {
  const scaled = elapsedMs <= 0 ? size * 2 : Math.round((size * BATCH_TARGET_MS) / elapsedMs);
  // At most double at a time: one fast batch (a warm cache) must not make the next one huge.
  return Math.max(MIN_BATCH, Math.min(MAX_BATCH, scaled, size * 2));
}

export interface LandingOptions {
  store: Store;
  /** Called with each batch as stored (the runtime makes them active). */
  onTasks: (tasks: Job[]) => void;
  /** True when the daemon is stopping: the rest lands after the restart. */
  stopped: () => boolean;
}

/** Stores the tasks `parent` does not have yet; resolves when all exist (or the daemon stops). */
export async function landArrayTasks(parent: Job, options: LandingOptions): Promise<void> {
  const array = parent.array;
  if (!array) return;
  let created = array.created ?? array.count;
  let size = FIRST_BATCH;
  while (created < array.count && !options.stopped()) {
    await yieldToLoop();
    const started = performance.now();
    const batch = taskBatch(parent, created, Math.min(size, array.count - created));
    const stored = await options.store.addArrayTasks(parent.id, batch);
    options.onTasks(stored);
    created += stored.length;
    size = nextBatchSize(size, performance.now() - started);
  }
}

/** The first tasks, stored with the parent in the submit's own transaction. */
export function firstBatch(parent: NewJob): NewJob[] {
  const count = parent.array?.count ?? 0;
  return taskBatch(parent, 0, Math.min(count, FIRST_BATCH));
}
