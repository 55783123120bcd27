/**
 * The job counts behind godocker_jobs when the store is slow to count (the MongoDB store on
 * FerretDB takes seconds for tens of thousands of jobs): reused while young, read once for the
 * scrapes that come meanwhile, and a scrape that cannot wait gets the last counts. The store here
 * is a function the test answers when it wants: what is tested is the timing, not a store.
 */
import type { ProjectStateCount } from '@godocker/scheduler';
import { describe, expect, it } from 'vitest';
import { JobCounts } from '../src/metrics/job-counts.js';

/** A count the test finishes by hand, and how many were asked for. */
function slowStore() {
  const pending: Array<(rows: ProjectStateCount[]) => void> = [];
  return {
    read: () => new Promise<ProjectStateCount[]>((resolve) => pending.push(resolve)),
    answer(count: number) {
      for (const resolve of pending.splice(0)) resolve([{ project: 'p', state: 'held', count }]);
    },
  };
}

describe('JobCounts', () => {
  it('counts at every scrape with a max age of 0', async () => {
    let n = 0;
    const counts = new JobCounts(async () => [{ project: 'p', state: 'done', count: ++n }], { maxAgeMs: 0, waitMs: 1_000 });
    expect((await counts.current())?.rows[0]?.count).toBe(1);
    expect((await counts.current())?.rows[0]?.count).toBe(2);
  });

  it('reuses counts younger than the max age', async () => {
    let n = 0;
    const counts = new JobCounts(async () => [{ project: 'p', state: 'done', count: ++n }], { maxAgeMs: 60_000, waitMs: 1_000 });
    expect((await counts.current())?.rows[0]?.count).toBe(1);
    expect((await counts.current())?.rows[0]?.count).toBe(1);
    expect(n).toBe(1);
  });

  it('answers a scrape after waitMs with the last counts while one read goes on for all', async () => {
    let reads = 0;
    const store = slowStore();
    const counts = new JobCounts(
      () => {
        reads++;
        return store.read();
      },
      { maxAgeMs: 0, waitMs: 50 },
    );
    const started = performance.now();
    // Nothing counted yet: the scrapes answer without counts, after the wait, all on one read.
    expect(await Promise.all([counts.current(), counts.current(), counts.current()])).toEqual([null, null, null]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(reads).toBe(1);
    store.answer(7);
    await new Promise((r) => setImmediate(r));
    // The next scrape starts a new read (max age 0) and, that one slow too, gets the 7.
    expect((await counts.current())?.rows).toEqual([{ project: 'p', state: 'held', count: 7 }]);
    expect(reads).toBe(2);
    store.answer(8);
    await new Promise((r) => setImmediate(r));
    expect((await counts.current())?.rows[0]?.count).toBe(8);
  });

  it('keeps the last counts when the store fails to count', async () => {
    let fail = false;
    const counts = new JobCounts(
      async () => {
        if (fail) throw new Error('store away');
        return [{ project: 'p', state: 'done', count: 3 }];
      },
      { maxAgeMs: 0, waitMs: 1_000 },
    );
    const first = await counts.current();
    fail = true;
    expect(await counts.current()).toEqual(first);
  });
});
