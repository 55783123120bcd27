/**
 * The group commit of submits over a real SQLite store: which inserts go into one
 * transaction, and what each gets back when a neighbour, or the whole commit, fails.
 * The store is wrapped only to count its calls, or to make a whole commit fail.
 */
import { ErrorCodes, GodockerError, type Job, type JobState } from '@godocker/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CommitGroup, GroupCommit, UpdateGroup } from '../src/runtime/group-commit.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { InsertRequest, InsertResult, JobChange, JobUpdate, Store } from '../src/store/store.js';
import { makeJob } from './fixtures/jobs.js';

const request = (name: string, key?: string, fingerprint = name): InsertRequest => ({
  jobs: [makeJob({ meta: { name } })],
  isArray: false,
  ...(key ? { idempotency: { user: 'alice', key, fingerprint } } : {}),
});

/** The store as GroupCommit uses it, counting the inserts of each call; `each` may replace insertEach. */
function counted(store: Store, initial?: Store['insertEach']) {
  const calls = { groups: [] as number[], singles: 0 };
  let each = initial;
  const wrapped = {
    insertEach(requests: readonly InsertRequest[]) {
      calls.groups.push(requests.length);
      return each ? each(requests) : store.insertEach(requests);
    },
    insertJobs(r: InsertRequest) {
      calls.singles++;
      return store.insertJobs(r);
    },
  };
  /** From now on, `insertEach` is this. */
  const use = (replacement: Store['insertEach']) => {
    each = replacement;
  };
  return { store: wrapped as unknown as Store, calls, use };
}

const outcome = (p: Promise<InsertResult>) =>
  p.then(
    (r) => `${r.created ? 'created' : 'earlier'} ${r.job.meta.name}`,
    (e: unknown) => (GodockerError.is(e) ? e.code : String(e)),
  );

/**
 * Two writes in one turn: the group is then under load and gathers the writes of each turn
 * (a quiet group commits a lone write at once). The counts start again after it.
 */
async function underLoad<R, A>(group: CommitGroup<R, A>, writes: [R, R], calls: { groups: number[]; singles: number }) {
  await Promise.all(writes.map((w) => group.add(w)));
  calls.groups.length = 0;
  calls.singles = 0;
}

/** Whether the write was answered within the turn that asked for it, or only after that turn ended. */
async function whenCommitted(write: () => Promise<unknown>): Promise<'in its turn' | 'after its turn'> {
  let turnEnded = false;
  setImmediate(() => {
    turnEnded = true;
  });
  await write();
  const when = turnEnded ? 'after its turn' : 'in its turn';
  await new Promise((resolve) => setImmediate(resolve));
  return when;
}

describe('GroupCommit', () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    await store.migrate();
  });
  afterEach(async () => store.close());

  it('commits the inserts asked for in one turn together, each answered with its own job', async () => {
    const { store: s, calls } = counted(store);
    const group = new GroupCommit(s, true);
    await underLoad(group, [request('p1'), request('p2')], calls);
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => outcome(group.insert(request(`j${i}`)))));
    expect(answers).toEqual(Array.from({ length: 16 }, (_, i) => `created j${i}`));
    expect(calls.groups).toEqual([16]);
    // The next turn starts a new group; one insert alone commits as insertJobs would.
    expect(await outcome(group.insert(request('later')))).toBe('created later');
    expect(calls.groups).toEqual([16]);
    expect(calls.singles).toBe(1);
  });

  it('commits at once while inserts come one at a time, and gathers them again when two come in one turn', async () => {
    const { store: s, calls } = counted(store);
    const group = new GroupCommit(s, true);
    // A lone client: each insert commits in its own turn, before the turn ends (no wait for company).
    for (let i = 0; i < 3; i++) expect(await whenCommitted(() => group.insert(request(`alone${i}`)))).toBe('in its turn');
    expect(calls).toEqual({ groups: [], singles: 3 });
    // Four in one turn: the first went at once, the three after it wait for the end of the turn, together.
    const burst = await Promise.all(Array.from({ length: 4 }, (_, i) => outcome(group.insert(request(`burst${i}`)))));
    expect(burst).toEqual(['created burst0', 'created burst1', 'created burst2', 'created burst3']);
    expect(calls).toEqual({ groups: [3], singles: 4 });
    // Still under load: the next lone insert waits for its turn's end (a group of one), then the group is quiet again.
    expect(await whenCommitted(() => group.insert(request('after')))).toBe('after its turn');
    expect(await whenCommitted(() => group.insert(request('quiet')))).toBe('in its turn');
    expect(calls).toEqual({ groups: [3], singles: 6 });
    expect((await store.listJobs({}, { limit: 20 })).jobs).toHaveLength(9);
  });

  it('gives a refused insert its own error, and its neighbours their jobs', async () => {
    await store.insertJobs(request('first', 'k'));
    const group = new GroupCommit(store, true);
    const answers = await Promise.all([
      outcome(group.insert(request('a'))),
      outcome(group.insert(request('first', 'k'))),
      outcome(group.insert(request('reuse', 'k'))),
      outcome(group.insert(request('b'))),
    ]);
    expect(answers).toEqual(['created a', 'earlier first', ErrorCodes.IDEMPOTENCY_KEY_REUSED, 'created b']);
  });

  it.each([
    ['rejects', () => Promise.reject(new Error('disk I/O error'))],
    [
      'throws',
      () => {
        throw new Error('a bug in the store');
      },
    ],
  ])(
    'tries each insert alone when the whole commit %s, so each gets its own answer',
    async (_, fail: () => never | Promise<never>) => {
      const { store: s, calls, use } = counted(store);
      await store.insertJobs(request('first', 'k'));
      const group = new GroupCommit(s, true);
      await underLoad(group, [request('p1'), request('p2')], calls);
      use(fail);
      const answers = await Promise.all([
        outcome(group.insert(request('a'))),
        outcome(group.insert(request('reuse', 'k'))),
        outcome(group.insert(request('b'))),
      ]);
      expect(answers).toEqual(['created a', ErrorCodes.IDEMPOTENCY_KEY_REUSED, 'created b']);
      expect(calls.groups).toEqual([3]);
      expect(calls.singles).toBe(3);
    },
  );

  it('stores the others when one insert of the group cannot be written, which gets its own error', async () => {
    const bad = request('bad');
    Object.defineProperty(bad.jobs[0]?.command, 'script', {
      enumerable: true,
      get(): string {
        throw new Error('unwritable');
      },
    });
    const { store: s, calls } = counted(store);
    const group = new GroupCommit(s, true);
    await underLoad(group, [request('p1'), request('p2')], calls);
    const answers = await Promise.all([
      outcome(group.insert(request('a', 'ka'))),
      outcome(group.insert(bad)),
      outcome(group.insert(request('b', 'kb'))),
    ]);
    expect(answers).toEqual(['created a', 'Error: unwritable', 'created b']);
    expect(calls).toEqual({ groups: [3], singles: 3 });
    expect((await store.listJobs({}, { limit: 10 })).jobs.map((j) => j.meta.name)).toEqual(['b', 'a', 'p2', 'p1']);
  });

  it('gathers the inserts asked for while a commit is under way into the next one', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A store that takes its time to commit, as a networked one does.
    const { store: s, calls, use } = counted(store);
    const group = new GroupCommit(s, true);
    await underLoad(group, [request('p1'), request('p2')], calls);
    use(async (requests) => {
      await held;
      return store.insertEach(requests);
    });
    const first = [outcome(group.insert(request('first'))), outcome(group.insert(request('second')))];
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.groups).toEqual([2]);
    const more = [outcome(group.insert(request('third'))), outcome(group.insert(request('fourth')))];
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.groups).toEqual([2]);
    release();
    expect(await Promise.all([...first, ...more])).toEqual([
      'created first',
      'created second',
      'created third',
      'created fourth',
    ]);
    expect(calls.groups).toEqual([2, 2]);
  });

  it('stores each insert in its own transaction when turned off', async () => {
    const { store: s, calls } = counted(store);
    const group = new GroupCommit(s, false);
    await Promise.all([group.insert(request('a')), group.insert(request('b'))]);
    expect(calls.groups).toEqual([]);
    expect(calls.singles).toBe(2);
  });
});

describe('UpdateGroup', () => {
  const at = '2024-01-01T00:01:00.000Z';
  let store: SqliteStore;
  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    await store.migrate();
  });
  afterEach(async () => store.close());

  /** The store as UpdateGroup uses it, counting the updates of each call; `each` may replace updateEach. */
  /** A change that applies to nothing (no such job): it loads the group, and is answered null. */
  const nothing: JobUpdate = { id: 999_999, change: { hold: true } };

  function countedUpdates() {
    const calls = { groups: [] as number[], singles: 0 };
    let each: Store['updateEach'] | undefined;
    const use = (replacement: Store['updateEach']) => {
      each = replacement;
    };
    const wrapped = {
      updateEach(updates: readonly JobUpdate[]) {
        calls.groups.push(updates.length);
        return each ? each(updates) : store.updateEach(updates);
      },
      updateJob(id: number, change: JobChange, expect?: { states: JobState[] }) {
        calls.singles++;
        return store.updateJob(id, change, expect);
      },
    };
    return { store: wrapped as unknown as Store, calls, use };
  }

  async function pendingJobs(n: number): Promise<Job[]> {
    const created = await store.insertEach(Array.from({ length: n }, (_, i) => request(`j${i}`)));
    return created.map((r) => (r as InsertResult).job);
  }

  it("commits the changes of one turn together, each answered with its own job or null (the scheduler's starts)", async () => {
    const jobs = await pendingJobs(4);
    const { store: s, calls } = countedUpdates();
    const group = new UpdateGroup(s, true);
    await underLoad(group, [nothing, nothing], calls);
    const running = { state: { to: 'running' as const, reason: 'placed', at } };
    const answers = await Promise.all([
      ...jobs.map((j) => group.update(j.id, running, { states: ['pending'] })),
      // The same job twice in one group: the second sees the first and does not apply.
      group.update((jobs[0] as Job).id, running, { states: ['pending'] }),
    ]);
    expect(answers.map((j) => j?.status.state ?? null)).toEqual(['running', 'running', 'running', 'running', null]);
    expect(calls.groups).toEqual([5]);
    expect(calls.singles).toBe(0);
    for (const j of jobs) expect((await store.getJob(j.id))?.status.state).toBe('running');
  });

  it('tries each change alone when the whole commit fails, so that a good one is not lost for a bad neighbour', async () => {
    const [a, b] = await pendingJobs(2);
    const { store: s, calls, use } = countedUpdates();
    const group = new UpdateGroup(s, true);
    await underLoad(group, [nothing, nothing], calls);
    use(() => Promise.reject(new Error('disk I/O error')));
    const answers = await Promise.all([
      group.update((a as Job).id, { state: { to: 'held', reason: 'held', at } }),
      group.update((b as Job).id, { status: { reason: 1n as unknown as string } }).catch((e: Error) => e.message),
    ]);
    expect((answers[0] as Job).status.state).toBe('held');
    expect(answers[1]).toMatch(/BigInt/);
    expect(calls.groups).toEqual([2]);
    expect(calls.singles).toBe(2);
    expect(await store.getJob((b as Job).id)).toEqual(b);
  });
});
