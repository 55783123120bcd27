/**
 * The behaviour every Store implementation must have. A store's test file calls
 * `describeStoreConformance` with a factory:
 *
 * ```ts
 * describeStoreConformance('sqlite (memory)', async () => SqliteStore.open(':memory:'));
 * ```
 *
 * `makeStore` must return a new, empty store each call, not yet migrated (the
 * suite calls `migrate()`, since that is part of the contract too). The suite
 * closes every store it is given.
 *
 * `options.reopen`, for stores whose data outlives the object (a file, a
 * server), opens the same data again after `previous` was closed; without it
 * the persistence test is not defined (an in-memory store makes no such promise).
 */
import { ErrorCodes, GodockerError, JOB_STATES, type Job, type JobState } from '@godocker/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobFilter, NewJob, Store, StoredUser } from '../src/store/store.js';
import { FIXTURE_TIME, type JobOverrides, makeArrayJobs, makeJob } from './fixtures/jobs.js';

export interface ConformanceOptions {
  reopen?: (previous: Store) => Promise<Store>;
}

const ids = (jobs: readonly Job[]): number[] => jobs.map((j) => j.id);
const newestFirst = (a: number, b: number): number => b - a;

function makeUser(name: string, overrides: Partial<StoredUser> = {}): StoredUser {
  return { name, uid: 2000, gid: 2000, home: `/home/${name}`, admin: false, createdAt: FIXTURE_TIME, ...overrides };
}

/**
 * A job that every store fails on while writing it: reading its script throws,
 * and no store can persist a document without reading every field.
 */
function poisoned(job: NewJob): NewJob {
  Object.defineProperty(job.command, 'script', {
    enumerable: true,
    get(): string {
      throw new Error('poisoned field');
    },
  });
  return job;
}

function withoutZeros(counts: Partial<Record<JobState, number>>): Partial<Record<JobState, number>> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
}

export function describeStoreConformance(name: string, makeStore: () => Promise<Store>, options: ConformanceOptions = {}): void {
  describe(`Store conformance: ${name}`, () => {
    // Reassigned by the reopen test, so afterEach closes whichever is current.
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
    });

    afterEach(async () => {
      await store.close();
    });

    async function insert(overrides: JobOverrides = {}): Promise<Job> {
      return (await store.insertJobs({ jobs: [makeJob(overrides)], isArray: false })).job;
    }

    /** Every job matching the filter, through as many pages as it takes. */
    async function listAll(filter: JobFilter, limit = 1000): Promise<Job[]> {
      const all: Job[] = [];
      let cursor: number | undefined;
      for (;;) {
        const page = await store.listJobs(filter, cursor === undefined ? { limit } : { limit, cursor });
        all.push(...page.jobs);
        if (page.nextCursor === null) return all;
        cursor = page.nextCursor;
      }
    }

    describe('migrate', () => {
      it('is harmless when run again, and keeps the data', async () => {
        await store.setMeta('k', 'v');
        const job = await insert();
        await store.migrate();
        await store.migrate();
        expect(await store.getMeta('k')).toBe('v');
        expect(await store.getJob(job.id)).toEqual(job);
      });
    });

    describe('meta', () => {
      it('returns null for an unknown key', async () => {
        expect(await store.getMeta('nope')).toBeNull();
      });

      it('sets, gets and overwrites, one key at a time', async () => {
        await store.setMeta('a', '1');
        await store.setMeta('b', '2');
        await store.setMeta('a', 'one');
        expect(await store.getMeta('a')).toBe('one');
        expect(await store.getMeta('b')).toBe('2');
      });

      it('keeps an empty string apart from a missing key', async () => {
        await store.setMeta('empty', '');
        expect(await store.getMeta('empty')).toBe('');
      });
    });

    describe('users', () => {
      it('creates, gets, lists and counts', async () => {
        const alice = makeUser('alice', { uid: 1001, gid: 1002, admin: true });
        const bob = makeUser('bob');
        expect(await store.countUsers()).toBe(0);
        expect(await store.listUsers()).toEqual([]);
        await store.createUser(alice);
        await store.createUser(bob);
        expect(await store.getUser('alice')).toEqual(alice);
        expect(await store.getUser('bob')).toEqual(bob);
        expect(await store.getUser('carol')).toBeNull();
        expect(await store.countUsers()).toBe(2);
        const listed = await store.listUsers();
        expect([...listed].sort((a, b) => a.name.localeCompare(b.name))).toEqual([alice, bob]);
      });

      it('refuses a taken name with GOD_CONFLICT and keeps the first user', async () => {
        const first = makeUser('alice', { uid: 1001 });
        await store.createUser(first);
        const error = await store.createUser(makeUser('alice', { uid: 9999 })).then(
          () => null,
          (e: unknown) => e,
        );
        expect(GodockerError.is(error)).toBe(true);
        expect((error as GodockerError).code).toBe(ErrorCodes.CONFLICT);
        expect(await store.getUser('alice')).toEqual(first);
        expect(await store.countUsers()).toBe(1);
      });
    });

    describe('tokens', () => {
      it('finds the user a token hash belongs to', async () => {
        const alice = makeUser('alice');
        const bob = makeUser('bob', { admin: true });
        await store.createUser(alice);
        await store.createUser(bob);
        await store.addToken('alice', 'hash-a1', 'laptop');
        await store.addToken('alice', 'hash-a2', 'ci');
        await store.addToken('bob', 'hash-b1', 'admin');
        expect(await store.findUserByTokenHash('hash-a1')).toEqual(alice);
        expect(await store.findUserByTokenHash('hash-a2')).toEqual(alice);
        expect(await store.findUserByTokenHash('hash-b1')).toEqual(bob);
      });

      it('returns null for an unknown hash', async () => {
        await store.createUser(makeUser('alice'));
        await store.addToken('alice', 'hash-a1', 'laptop');
        expect(await store.findUserByTokenHash('hash-zz')).toBeNull();
        expect(await store.findUserByTokenHash('')).toBeNull();
      });

      it('refuses a token for a user that does not exist', async () => {
        await expect(store.addToken('ghost', 'hash-g', 'x')).rejects.toThrow();
        expect(await store.findUserByTokenHash('hash-g')).toBeNull();
      });
    });

    describe('insertJobs', () => {
      it('stores a single job and round-trips the whole document', async () => {
        // Every field away from its default, with text that JSON and query
        // layers like to mangle.
        const input = makeJob({
          user: { name: 'bob', uid: 1234, gid: 5678 },
          project: 'genomics',
          session: 'session-1',
          meta: { name: 'align "reads"', description: 'ünïcødé ✓ and \\ backslash', tags: ['gpu', 'urgent'] },
          command: {
            script: '#!/bin/bash\necho "$HOME" \'quoted\'\n',
            args: ['--in', 'a b.fastq'],
            env: { THREADS: '8', EMPTY: '' },
            workdir: '/data/run',
          },
          container: { image: 'biocontainers/bwa:0.7', volumes: [{ name: 'home', mode: 'rw' }], network: true, root: false },
          requirements: { cpu: 2.5, ram: 8192, gpus: 1, tmpstorage: 100, timeLimit: null, labels: { zone: 'a' } },
          priority: -42,
          status: { state: 'running', exitCode: null, node: 'node-1', containerId: 'abc123' },
          usage: { wallSeconds: 1.5, cpuSeconds: 0.25, maxMemoryMb: 12.75 },
        });
        const expected = structuredClone(input);
        const { job, created } = await store.insertJobs({ jobs: [input], isArray: false });
        expect(created).toBe(true);
        expect(Number.isInteger(job.id) && job.id > 0).toBe(true);
        expect(job).toEqual({ ...expected, id: job.id });
        expect(await store.getJob(job.id)).toEqual(job);
      });

      it('does not change the caller\u2019s documents', async () => {
        const jobs = makeArrayJobs(3);
        const before = structuredClone(jobs);
        await store.insertJobs({ jobs, isArray: true });
        expect(jobs).toEqual(before);
      });

      it('gives increasing ids', async () => {
        const a = await insert();
        const b = await insert();
        const c = await insert();
        expect(b.id).toBeGreaterThan(a.id);
        expect(c.id).toBeGreaterThan(b.id);
      });

      it('returns null for an unknown id', async () => {
        const job = await insert();
        expect(await store.getJob(job.id + 1000)).toBeNull();
      });

      it('refuses an empty request', async () => {
        await expect(store.insertJobs({ jobs: [], isArray: false })).rejects.toThrow();
        await expect(store.insertJobs({ jobs: [], isArray: true })).rejects.toThrow();
      });

      it('stores an array: the parent first, its tasks pointing at it', async () => {
        const input = makeArrayJobs(5, { project: 'p' });
        const { job: parent, created } = await store.insertJobs({ jobs: input, isArray: true });
        expect(created).toBe(true);
        expect(parent).toEqual({ ...input[0], id: parent.id });
        expect(parent.parentId).toBeNull();
        expect(parent.array?.count).toBe(5);

        const tasks = await listAll({ parentId: parent.id });
        expect(tasks).toHaveLength(5);
        for (const task of tasks) {
          expect(task.id).toBeGreaterThan(parent.id);
          expect(task.parentId).toBe(parent.id);
          expect(await store.getJob(task.id)).toEqual(task);
        }
        // Newest first: the last task inserted comes first.
        expect(tasks.map((t) => t.taskIndex)).toEqual([4, 3, 2, 1, 0]);
        expect(tasks.at(-1)).toEqual({ ...input[1], id: tasks.at(-1)?.id, parentId: parent.id });
        expect(await listAll({ parentId: parent.id + 1000 })).toEqual([]);
      });

      it('returns the first job again for a retry with the same idempotency key', async () => {
        const idempotency = { user: 'alice', key: 'retry-1' };
        const first = await store.insertJobs({ jobs: [makeJob({ meta: { name: 'first' } })], isArray: false, idempotency });
        const again = await store.insertJobs({ jobs: [makeJob({ meta: { name: 'second' } })], isArray: false, idempotency });
        expect(first.created).toBe(true);
        expect(again.created).toBe(false);
        expect(again.job).toEqual(first.job);
        expect(ids(await listAll({}))).toEqual([first.job.id]);
      });

      it('stores no second set of tasks for a retried array', async () => {
        const idempotency = { user: 'alice', key: 'array-1' };
        const first = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true, idempotency });
        const again = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true, idempotency });
        expect(again).toEqual({ job: first.job, created: false });
        expect(await listAll({})).toHaveLength(4);
      });

      it('keeps idempotency keys apart per user', async () => {
        const a = await store.insertJobs({ jobs: [makeJob()], isArray: false, idempotency: { user: 'alice', key: 'k' } });
        const b = await store.insertJobs({
          jobs: [makeJob({ user: { name: 'bob' } })],
          isArray: false,
          idempotency: { user: 'bob', key: 'k' },
        });
        expect(b.created).toBe(true);
        expect(b.job.id).not.toBe(a.job.id);
        expect(await listAll({})).toHaveLength(2);
      });

      it('stores nothing when one job of a batch cannot be stored', async () => {
        const earlier = await insert();
        const jobs = makeArrayJobs(4);
        jobs[jobs.length - 1] = poisoned(makeJob({ taskIndex: 3 }));
        const idempotency = { user: 'alice', key: 'atomic' };
        await expect(store.insertJobs({ jobs, isArray: true, idempotency })).rejects.toThrow();

        expect(ids(await listAll({}))).toEqual([earlier.id]);
        expect(withoutZeros(await store.countByState({}))).toEqual({ pending: 1 });
        // The idempotency record went with the jobs: a retry really inserts.
        const retry = await store.insertJobs({ jobs: makeArrayJobs(4), isArray: true, idempotency });
        expect(retry.created).toBe(true);
        expect(await listAll({ parentId: retry.job.id })).toHaveLength(4);
      });
    });

    describe('listJobs, jobsInStates, countByState', () => {
      /** Jobs varying every filtered field, in insertion (id) order. */
      let seeded: Job[];

      beforeEach(async () => {
        seeded = [];
        for (let i = 0; i < 24; i++) {
          const state = JOB_STATES[i % JOB_STATES.length] as JobState;
          seeded.push(
            await insert({
              user: { name: i % 2 === 0 ? 'alice' : 'bob' },
              project: ['p1', 'p2', 'p3'][i % 3] as string,
              session: i % 4 === 0 ? 's1' : i % 4 === 1 ? 's2' : null,
              meta: { name: i % 5 === 0 ? 'align' : 'job', tags: [['gpu', 'urgent'], ['cpu'], []][(i % 4) % 3] as string[] },
              status: { state },
            }),
          );
        }
      });

      function expected(predicate: (job: Job) => boolean): number[] {
        return ids(seeded.filter(predicate)).sort(newestFirst);
      }

      const cases: Array<[string, JobFilter, (job: Job) => boolean]> = [
        ['no filter', {}, () => true],
        ['one state', { states: ['running'] }, (j) => j.status.state === 'running'],
        ['several states', { states: ['pending', 'done'] }, (j) => ['pending', 'done'].includes(j.status.state)],
        ['user', { user: 'bob' }, (j) => j.user.name === 'bob'],
        ['project', { project: 'p2' }, (j) => j.project === 'p2'],
        ['session', { session: 's1' }, (j) => j.session === 's1'],
        ['name', { name: 'align' }, (j) => j.meta.name === 'align'],
        ['tag', { tag: 'gpu' }, (j) => j.meta.tags.includes('gpu')],
        ['user and project', { user: 'alice', project: 'p1' }, (j) => j.user.name === 'alice' && j.project === 'p1'],
        [
          'states, user and tag',
          { states: ['pending', 'running', 'held'], user: 'bob', tag: 'cpu' },
          (j) => ['pending', 'running', 'held'].includes(j.status.state) && j.user.name === 'bob' && j.meta.tags.includes('cpu'),
        ],
        [
          'session, name and project',
          { session: 's2', name: 'job', project: 'p3' },
          (j) => j.session === 's2' && j.meta.name === 'job' && j.project === 'p3',
        ],
        ['a user with no jobs', { user: 'nobody' }, () => false],
        ['a tag no job has', { tag: 'gp' }, () => false],
        ['no states at all', { states: [] }, () => false],
      ];

      it.each(cases)('listJobs filters by %s, newest first', async (_, filter, predicate) => {
        const want = expected(predicate);
        const page = await store.listJobs(filter, { limit: 1000 });
        expect(ids(page.jobs)).toEqual(want);
        expect(page.nextCursor).toBeNull();
      });

      it.each(cases)('countByState counts by %s', async (_, filter, predicate) => {
        const want: Partial<Record<JobState, number>> = {};
        for (const job of seeded.filter(predicate)) want[job.status.state] = (want[job.status.state] ?? 0) + 1;
        expect(withoutZeros(await store.countByState(filter))).toEqual(want);
      });

      it('returns whole documents', async () => {
        const page = await store.listJobs({}, { limit: 1000 });
        expect([...page.jobs].reverse()).toEqual(seeded);
      });

      it('matches a tag exactly, whatever it contains', async () => {
        const odd = ['GPU', 'a%b_c', 'back\\slash', 'say"hi', 'ünï'];
        const tagged = new Map<string, Job>();
        for (const tag of odd) tagged.set(tag, await insert({ meta: { tags: [tag] } }));
        // Text that a sloppy match would confuse with the tags above.
        await insert({ meta: { name: 'gpu', description: 'a%b_c back\\slash', tags: ['aXbYc', 'say'] } });
        for (const [tag, job] of tagged) expect(ids(await listAll({ tag })), tag).toEqual([job.id]);
        expect(ids(await listAll({ tag: 'gpu' }))).toEqual(expected((j) => j.meta.tags.includes('gpu')));
      });

      it('pages with a cursor through every job exactly once', async () => {
        const seen: number[] = [];
        let cursor: number | undefined;
        let pages = 0;
        for (;;) {
          const page = await store.listJobs({}, cursor === undefined ? { limit: 5 } : { limit: 5, cursor });
          pages++;
          expect(page.jobs.length).toBeLessThanOrEqual(5);
          seen.push(...ids(page.jobs));
          if (page.nextCursor === null) break;
          expect(page.nextCursor).toBe(page.jobs.at(-1)?.id);
          cursor = page.nextCursor;
        }
        expect(seen).toEqual(expected(() => true));
        expect(pages).toBe(5);
      });

      it('pages a filtered list, and ends on the page that holds the last job', async () => {
        const want = expected((j) => j.user.name === 'alice');
        expect(want).toHaveLength(12);
        const first = await store.listJobs({ user: 'alice' }, { limit: 6 });
        expect(ids(first.jobs)).toEqual(want.slice(0, 6));
        expect(first.nextCursor).not.toBeNull();
        const second = await store.listJobs({ user: 'alice' }, { limit: 6, cursor: first.nextCursor ?? 0 });
        expect(ids(second.jobs)).toEqual(want.slice(6));
        expect(second.nextCursor).toBeNull();
      });

      it('returns only jobs older than the cursor', async () => {
        const cursor = seeded[10]?.id ?? 0;
        const page = await store.listJobs({}, { limit: 1000, cursor });
        expect(ids(page.jobs)).toEqual(expected((j) => j.id < cursor));
      });

      it('jobsInStates returns those states, oldest first', async () => {
        const jobs = await store.jobsInStates(['pending', 'running']);
        expect(ids(jobs)).toEqual(ids(seeded.filter((j) => ['pending', 'running'].includes(j.status.state))));
        expect(jobs[0]).toEqual(seeded.find((j) => j.status.state === 'pending' || j.status.state === 'running'));
        expect(await store.jobsInStates([])).toEqual([]);
      });
    });

    describe('updateJob', () => {
      const at = '2024-01-01T00:01:00.000Z';

      it('moves a job to a new state, appending to its history', async () => {
        const job = await insert();
        const updated = await store.updateJob(job.id, { state: { to: 'running', reason: 'started on node-1', at } });
        expect(updated?.status.state).toBe('running');
        expect(updated?.status.reason).toBe('started on node-1');
        expect(updated?.status.history).toEqual([...job.status.history, { state: 'running', reason: 'started on node-1', at }]);
        // Nothing else moved.
        expect(updated).toEqual({
          ...job,
          status: { ...job.status, state: 'running', reason: 'started on node-1', history: updated?.status.history },
        });
        expect(await store.getJob(job.id)).toEqual(updated);
      });

      it('makes the new state visible to every query', async () => {
        const job = await insert();
        const other = await insert();
        await store.updateJob(job.id, { state: { to: 'running', reason: 'started', at } });
        expect(ids(await listAll({ states: ['running'] }))).toEqual([job.id]);
        expect(ids(await listAll({ states: ['pending'] }))).toEqual([other.id]);
        expect(ids(await store.jobsInStates(['running']))).toEqual([job.id]);
        expect(withoutZeros(await store.countByState({}))).toEqual({ running: 1, pending: 1 });
        expect(await store.getJob(other.id)).toEqual(other);
      });

      it('merges status fields and usage, sets hold, replaces array', async () => {
        const [parentInput, ...tasks] = makeArrayJobs(2);
        const { job } = await store.insertJobs({ jobs: [parentInput as NewJob, ...tasks], isArray: true });
        const array = { start: 0, end: 1, step: 1, throttle: 1, count: 2, tasks: { running: 1, done: 1 } };
        const updated = await store.updateJob(job.id, {
          status: { exitCode: 3, node: 'node-2', startedAt: at },
          usage: { cpuSeconds: 5 },
          hold: true,
          array,
        });
        expect(updated).toEqual({
          ...job,
          hold: true,
          array,
          status: { ...job.status, exitCode: 3, node: 'node-2', startedAt: at },
          usage: { ...job.usage, cpuSeconds: 5 },
        });
        expect(await store.getJob(job.id)).toEqual(updated);
      });

      it('applies a state change and other fields together', async () => {
        const job = await insert({ status: { state: 'running' } });
        const updated = await store.updateJob(job.id, {
          state: { to: 'done', reason: 'exited with code 0', at },
          status: { exitCode: 0, endedAt: at },
          usage: { wallSeconds: 60 },
        });
        expect(updated?.status).toMatchObject({ state: 'done', reason: 'exited with code 0', exitCode: 0, endedAt: at });
        expect(updated?.status.history).toHaveLength(job.status.history.length + 1);
        expect(updated?.usage).toEqual({ ...job.usage, wallSeconds: 60 });
      });

      it('applies when the state is one of expect.states', async () => {
        const job = await insert();
        const updated = await store.updateJob(
          job.id,
          { state: { to: 'held', reason: 'held', at } },
          { states: ['pending', 'held'] },
        );
        expect(updated?.status.state).toBe('held');
      });

      it('changes nothing and returns null when the state is not one of expect.states', async () => {
        const job = await insert({ status: { state: 'running' } });
        const result = await store.updateJob(
          job.id,
          { state: { to: 'held', reason: 'held', at }, hold: true, usage: { wallSeconds: 9 } },
          { states: ['pending'] },
        );
        expect(result).toBeNull();
        expect(await store.getJob(job.id)).toEqual(job);
        expect(ids(await listAll({ states: ['running'] }))).toEqual([job.id]);
      });

      it('lets only one of two racing compare-and-sets win', async () => {
        const job = await insert();
        const results = await Promise.all([
          store.updateJob(job.id, { state: { to: 'running', reason: 'started', at } }, { states: ['pending'] }),
          store.updateJob(job.id, { state: { to: 'failed', reason: 'killed', at } }, { states: ['pending'] }),
        ]);
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await store.getJob(job.id)).toEqual(winners[0]);
        expect(winners[0]?.status.history).toHaveLength(job.status.history.length + 1);
      });

      it('returns null for an unknown id', async () => {
        const job = await insert();
        expect(await store.updateJob(job.id + 1000, { hold: true })).toBeNull();
        expect(await store.updateJob(job.id + 1000, { hold: true }, { states: ['pending'] })).toBeNull();
        expect(await listAll({})).toHaveLength(1);
      });
    });

    // Only stores that persist can be reopened; an in-memory store has no such promise to keep.
    if (options.reopen)
      it('keeps everything across close and reopen', async () => {
        const reopen = options.reopen as NonNullable<ConformanceOptions['reopen']>;
        const alice = makeUser('alice', { admin: true });
        await store.createUser(alice);
        await store.addToken('alice', 'hash-1', 'laptop');
        await store.setMeta('instance', 'one');
        const idempotency = { user: 'alice', key: 'k' };
        const { job: parent } = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true, idempotency });
        const moved = await store.updateJob(parent.id, { state: { to: 'running', reason: 'started', at: FIXTURE_TIME } });
        const before = await listAll({});

        await store.close();
        store = await reopen(store);
        // A restarting daemon migrates first; that must not touch the data either.
        await store.migrate();

        expect(await store.getUser('alice')).toEqual(alice);
        expect(await store.findUserByTokenHash('hash-1')).toEqual(alice);
        expect(await store.getMeta('instance')).toBe('one');
        expect(await listAll({})).toEqual(before);
        expect(await store.getJob(parent.id)).toEqual(moved);
        expect(ids(await listAll({ states: ['running'] }))).toEqual([parent.id]);
        const retry = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true, idempotency });
        expect(retry).toEqual({ job: moved, created: false });
        const next = await insert();
        expect(next.id).toBeGreaterThan(Math.max(...ids(before)));
      });
  });
}
