/**
 * The refusal of an insert that would take a user or a project past its quota of
 * waiting jobs, worded the same by every store.
 */
import { ErrorCodes, ForbiddenError } from '@godocker/sdk';
import type { WaitingLimit } from './store.js';

/**
 * How many waiting jobs a store needs to count for `limit`: one more than the quota
 * allows is enough to refuse, so a count can stop there however long the queue.
 */
export function countUpTo(limit: WaitingLimit): number {
  return limit.max + 1;
}

/** Throws when `waiting` (counted up to countUpTo) and what the insert adds exceed the quota. */
export function checkWaitingLimit(limit: WaitingLimit, waiting: number): void {
  if (waiting + limit.adds <= limit.max) return;
  const has = waiting >= countUpTo(limit) ? `more than ${limit.max}` : String(waiting);
  const whose =
    limit.scope === 'user'
      ? `user ${limit.name} has ${has} jobs waiting; the quota`
      : `project ${limit.name} has ${has} jobs waiting; its quota`;
  throw new ForbiddenError(
    `${whose} allows ${limit.max} (this submit adds ${limit.adds})`,
    'quota.pendingJobs',
    ErrorCodes.QUOTA_EXCEEDED,
  );
}
