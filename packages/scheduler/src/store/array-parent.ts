/**
 * An array's parent is never scheduled itself; its state sums up its tasks'.
 * The store keeps the parent's task counts and state in the same transaction as
 * each task's change (`settleArrayParent`), so they are never one event behind,
 * not even after a crash.
 */
import { isTerminal, type JobState } from '@godocker/sdk';
import { applyJobChange } from './job-change.js';
import type { JobChange, NewJob } from './store.js';

export type TaskCounts = Partial<Record<JobState, number>>;

export function parentState(counts: TaskCounts): JobState {
  const n = (s: JobState) => counts[s] ?? 0;
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  if (n('running') > 0) return 'running';
  if (n('suspended') > 0) return 'suspended';
  if (total > 0 && n('done') + n('failed') === total) return n('failed') > 0 ? 'failed' : 'done';
  if (n('pending') > 0) return 'pending';
  if (n('held') > 0) return 'held';
  return 'pending';
}

export function parentReason(state: JobState, counts: TaskCounts): string {
  const parts = Object.entries(counts)
    .filter(([, v]) => (v ?? 0) > 0)
    .map(([k, v]) => `${v} ${k}`);
  const summary = parts.join(', ') || 'no tasks';
  if (state === 'failed') return `some tasks failed: ${summary}`;
  if (state === 'done') return `all tasks done: ${summary}`;
  return `tasks: ${summary}`;
}

/**
 * The counts as the parent shows them: states in alphabetical order (the order a
 * count grouped by state gives, so reasons read as they always have), none at 0.
 */
export function taskCounts(counts: TaskCounts): TaskCounts {
  const out: TaskCounts = {};
  for (const state of Object.keys(counts).sort() as JobState[]) {
    const n = counts[state] ?? 0;
    if (n !== 0) out[state] = n;
  }
  return out;
}

/** `counts` with one task moved from one state to another. */
export function moveTask(counts: TaskCounts, from: JobState, to: JobState): TaskCounts {
  return taskCounts({ ...counts, [from]: (counts[from] ?? 0) - 1, [to]: (counts[to] ?? 0) + 1 });
}

/**
 * The parent with these task counts, and in the state they make. Tasks not stored
 * yet wait as they were submitted (held when the array was), so an array still
 * landing has not ended. A state change is recorded at `at`: an array has started
 * when its first task has, and has ended when its last one has; a parent that has
 * ended stays so.
 */
export function settleArrayParent<T extends NewJob>(parent: T, counts: TaskCounts, at: string): T {
  const array = parent.array;
  if (!array) return parent;
  const tasks = taskCounts(counts);
  const unstored = array.count - (array.created ?? array.count);
  const waiting: JobState = parent.hold ? 'held' : 'pending';
  const state = parentState(unstored > 0 ? { ...tasks, [waiting]: (tasks[waiting] ?? 0) + unstored } : tasks);
  const change: JobChange = { array: { ...array, tasks } };
  if (state !== parent.status.state && !isTerminal(parent.status.state)) {
    change.state = { to: state, reason: parentReason(state, tasks), at };
    if (isTerminal(state)) change.status = { endedAt: at };
    else if (state === 'running' && parent.status.startedAt === null) change.status = { startedAt: at };
  }
  return applyJobChange(parent, change);
}
