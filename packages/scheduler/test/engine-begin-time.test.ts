/**
 * Begin times in one pass of the engine: a job whose begin time is ahead is not
 * eligible, says so in words with the time and how far off it is, blocks
 * nobody (backfill or not), and the earliest such time comes out for the
 * runtime's timer.
 */
import type { Job } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { type EngineInput, schedule } from '../src/engine/schedule.js';
import { job, node, T0 } from './sim/builders.js';

const MINUTE = 60_000;

function beginning(at: number, j: Job): Job {
  return { ...j, beginAt: new Date(at).toISOString() };
}

function pass(input: Partial<EngineInput> & Pick<EngineInput, 'pending' | 'nodes'>) {
  return schedule({ now: T0, active: [], policy: 'fifo', ...input });
}

describe('begin time', () => {
  it('keeps a job whose begin time is ahead from starting, and says when it may', () => {
    const out = pass({ pending: [beginning(T0 + 3 * MINUTE, job(1))], nodes: [node('n1', 4)] });
    expect(out.start).toEqual([]);
    expect(out.waiting.get(1)).toEqual({
      code: 'BeginTime',
      message: 'waits for its begin time 2025-01-01 00:03:00Z, in 3m',
    });
    expect(out.nextBeginAt).toBe(T0 + 3 * MINUTE);
  });

  it('starts a job whose begin time has come or passed, and then wakes nobody', () => {
    const pending = [beginning(T0, job(1)), beginning(T0 - 3600_000, job(2))];
    const out = pass({ pending, nodes: [node('n1', 4)] });
    // Job 2 may run since an hour, job 1 only since now: first eligible, first served.
    expect(out.start.map((s) => s.jobId)).toEqual([2, 1]);
    expect(out.nextBeginAt).toBeNull();
  });

  it('reports the earliest begin time still ahead, across jobs and array tasks', () => {
    const pending = [
      beginning(T0 + 10 * MINUTE, job(1)),
      beginning(T0 + 90_500, job(3, { parentId: 2, taskIndex: 0 })),
      beginning(T0 + 90_500, job(4, { parentId: 2, taskIndex: 1 })),
      beginning(T0 - MINUTE, job(5)),
    ];
    const out = pass({ pending, nodes: [node('n1', 4)] });
    expect(out.start.map((s) => s.jobId)).toEqual([5]);
    expect(out.nextBeginAt).toBe(T0 + 90_500);
    expect(out.waiting.get(3)?.message).toBe('waits for its begin time 2025-01-01 00:01:30Z, in 1m31s');
    expect(out.waiting.get(1)?.message).toBe('waits for its begin time 2025-01-01 00:10:00Z, in 10m');
  });

  it.each([
    { backfill: true, name: 'with backfill' },
    { backfill: false, name: 'without backfill' },
  ])('a job waiting for its begin time blocks nobody ($name)', ({ backfill }) => {
    // Job 1 comes first and would take the whole node; before its time it must not hold it back.
    const first = beginning(T0 + 5 * MINUTE, job(1, { cpu: 4, priority: 100 }));
    const out = pass({
      pending: [first, job(2, { cpu: 4 })],
      nodes: [node('n1', 4)],
      backfill: { enabled: backfill, maxTimeLimitSeconds: 86400 },
    });
    expect(out.start).toEqual([{ jobId: 2, node: 'n1' }]);
    expect(out.reservations).toEqual([]);
    expect(out.waiting.get(1)?.code).toBe('BeginTime');
  });

  it('fails a job whose dependency can never be met at once, and tells a begin time before a dependency', () => {
    const failedDep = beginning(T0 + MINUTE, job(1, { dependencies: [{ type: 'afterok', jobId: 40 }] }));
    const waitingDep = beginning(T0 + MINUTE, job(2, { dependencies: [{ type: 'afterok', jobId: 41 }] }));
    const dependencies = new Map([
      [40, 'failed' as const],
      [41, 'running' as const],
    ]);
    const before = pass({ pending: [failedDep, waitingDep], nodes: [node('n1', 4)], dependencies });
    expect(before.unsatisfiable.map((u) => u.jobId)).toEqual([1]);
    expect(before.waiting.get(2)?.code).toBe('BeginTime');
    const after = pass({ now: T0 + MINUTE, pending: [waitingDep], nodes: [node('n1', 4)], dependencies });
    expect(after.waiting.get(2)?.code).toBe('Dependency');
    expect(after.nextBeginAt).toBeNull();
  });

  it("counts a job's age from its begin time, not its submission (as Slurm: from when it may run)", () => {
    // Job 1 was submitted first but could run only from T0 - 1 min; job 2 has waited since T0 - 30 min.
    const early = beginning(T0 - MINUTE, job(1, { submittedAt: T0 - 60 * MINUTE }));
    const waited = job(2, { submittedAt: T0 - 30 * MINUTE });
    const out = schedule({
      now: T0,
      active: [],
      policy: 'fairshare',
      pending: [early, waited],
      nodes: [node('n1', 1)],
    });
    expect(out.start).toEqual([{ jobId: 2, node: 'n1' }]);
  });

  it('gives no begin time for a pass whose jobs have none', () => {
    const out = pass({ pending: [job(1, { cpu: 8 })], nodes: [node('n1', 4)] });
    expect(out.nextBeginAt).toBeNull();
    expect(out.waiting.get(1)?.code).toBe('NoNodeFits');
  });
});
