/**
 * An array's parent is never scheduled itself; its state sums up its tasks'.
 */
import type { JobState } from '@godocker/sdk';

export function parentState(counts: Partial<Record<JobState, number>>): JobState {
  const n = (s: JobState) => counts[s] ?? 0;
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  if (n('running') > 0) return 'running';
  if (n('suspended') > 0) return 'suspended';
  if (total > 0 && n('done') + n('failed') === total) return n('failed') > 0 ? 'failed' : 'done';
  if (n('pending') > 0) return 'pending';
  if (n('held') > 0) return 'held';
  return 'pending';
}

export function parentReason(state: JobState, counts: Partial<Record<JobState, number>>): string {
  const parts = Object.entries(counts)
    .filter(([, v]) => (v ?? 0) > 0)
    .map(([k, v]) => `${v} ${k}`);
  const summary = parts.join(', ') || 'no tasks';
  if (state === 'failed') return `some tasks failed: ${summary}`;
  if (state === 'done') return `all tasks done: ${summary}`;
  return `tasks: ${summary}`;
}
