/**
 * What a `JobChange` does to a job document, as a pure function, so every store
 * implementation (sqlite now, mongodb later) gives `updateJob` the same meaning.
 */
import type { Job } from '@godocker/sdk';
import type { JobChange } from './store.js';

/** Returns a new document; `job` is left untouched (callers may still hold it). */
export function applyJobChange<T extends Omit<Job, 'id'>>(job: T, change: JobChange): T {
  const status = { ...job.status, history: [...job.status.history] };
  if (change.state) {
    const { to, reason, at } = change.state;
    status.state = to;
    status.reason = reason;
    status.history.push({ state: to, reason, at });
  }
  // Applied after the transition so a caller can give status.reason a longer
  // sentence than the one recorded in the history.
  // `state` and `history` only move through `change.state`, so a stray key in
  // an untyped caller's object cannot desynchronise the store's state column.
  if (change.status) Object.assign(status, defined(change.status, ['state', 'history']));
  return {
    ...job,
    status,
    ...(change.hold === undefined ? {} : { hold: change.hold }),
    ...(change.usage ? { usage: { ...job.usage, ...defined(change.usage, []) } } : {}),
    ...(change.array ? { array: withCreated(change.array, job.array) } : {}),
  };
}

/**
 * How many tasks of an array exist only ever grows, and only `addArrayTasks` moves
 * it: a change made from an older copy of the parent must not take it back.
 */
function withCreated(next: NonNullable<Job['array']>, stored: Job['array']): NonNullable<Job['array']> {
  if (stored?.created === undefined) return next;
  return { ...next, created: Math.max(stored.created, next.created ?? 0) };
}

/**
 * A Partial may carry `undefined` values; merged as-is they would erase a field
 * (JSON drops them), leaving a document that no longer matches the Job schema.
 */
function defined<T extends object>(values: T, skip: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([k, v]) => v !== undefined && !skip.includes(k))) as Partial<T>;
}
