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
import {
  canTransition,
  DEFAULT_PROJECT,
  ErrorCodes,
  GodockerError,
  type HostPort,
  JOB_STATES,
  type Job,
  type JobState,
  type Session,
  type UsageSample,
} from '@godocker/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addSample, emptyUsage } from '../src/runtime/usage-series.js';
import { parentState } from '../src/store/array-parent.js';
import type {
  JobFilter,
  NewJob,
  NewProject,
  NotificationRecord,
  QueuedJob,
  Store,
  StoredSshKey,
  StoredUser,
  UsageRow,
} from '../src/store/store.js';
import { FIXTURE_TIME, type JobOverrides, makeArrayJobs, makeJob } from './fixtures/jobs.js';
import { pick, random } from './sim/random.js';

export interface ConformanceOptions {
  reopen?: (previous: Store) => Promise<Store>;
}

const ids = (jobs: readonly Job[]): number[] => jobs.map((j) => j.id);
const newestFirst = (a: number, b: number): number => b - a;

function makeUser(name: string, overrides: Partial<StoredUser> = {}): StoredUser {
  return {
    name,
    uid: 2000,
    gid: 2000,
    home: `/home/${name}`,
    admin: false,
    createdAt: FIXTURE_TIME,
    priority: 0,
    quota: {},
    ...overrides,
  };
}

function makeProject(name: string, overrides: Partial<NewProject> = {}): NewProject {
  return { name, description: '', shares: 1, priority: 0, quota: {}, createdAt: FIXTURE_TIME, ...overrides };
}

/** The rejection of `promise`, to check its code. */
async function failure(promise: Promise<unknown>): Promise<GodockerError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!GodockerError.is(error)) throw new Error(`expected a GodockerError, got ${String(error)}`);
  return error;
}

const byProjectUser = <T extends { project: string; user: string }>(rows: readonly T[]): T[] =>
  [...rows].sort((a, b) => a.project.localeCompare(b.project) || a.user.localeCompare(b.user));

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

/** What a filter means, read plainly: the reference the store's answers are checked against. */
function matches(job: Job, filter: JobFilter, reaped: ReadonlySet<number>): boolean {
  return (
    (filter.states === undefined || filter.states.includes(job.status.state)) &&
    (filter.user === undefined || job.user.name === filter.user) &&
    (filter.project === undefined || job.project === filter.project) &&
    (filter.tag === undefined || job.meta.tags.includes(filter.tag)) &&
    (filter.name === undefined || job.meta.name === filter.name) &&
    (filter.session === undefined || job.session === filter.session) &&
    (filter.parentId === undefined || job.parentId === filter.parentId) &&
    (filter.reaped === undefined || reaped.has(job.id) === filter.reaped) &&
    (filter.arrayParent === undefined || (job.array !== null) === filter.arrayParent)
  );
}

/** Tasks counted by state, as a parent shows them. */
function countStates(jobs: readonly Job[]): Partial<Record<JobState, number>> {
  const counts: Partial<Record<JobState, number>> = {};
  for (const job of jobs) counts[job.status.state] = (counts[job.status.state] ?? 0) + 1;
  return counts;
}

/** An array whose tasks are all in `state`, its parent counting them so. */
function arrayIn(state: JobState, count: number, overrides: JobOverrides = {}): NewJob[] {
  const [parent, ...tasks] = makeArrayJobs(count, { ...overrides, status: { state } });
  const array = parent?.array ? { ...parent.array, tasks: { [state]: count } } : null;
  return [{ ...(parent as NewJob), array }, ...tasks];
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

      it('lists the keys under a prefix, in order, a prefix with % or _ meaning itself', async () => {
        await store.setMeta('daemon:b', '2');
        await store.setMeta('daemon:a', '1');
        await store.setMeta('daemonx', 'no');
        await store.setMeta('d%_:z', 'odd');
        expect(await store.listMeta('daemon:')).toEqual([
          { key: 'daemon:a', value: '1' },
          { key: 'daemon:b', value: '2' },
        ]);
        expect(await store.listMeta('d%_')).toEqual([{ key: 'd%_:z', value: 'odd' }]);
        expect(await store.listMeta('none:')).toEqual([]);
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

      it('keeps a directory user’s mail and origin, and a login’s refresh of uid, gid, home and mail', async () => {
        const dave = makeUser('dave', { mail: 'dave@example.org', fromDirectory: true });
        await store.createUser(dave);
        expect(await store.getUser('dave')).toEqual(dave);
        const refreshed = await store.updateUser('dave', { uid: 2104, gid: 2100, home: '/home/dave2', mail: null, admin: true });
        const { mail: _gone, ...rest } = dave;
        expect(refreshed).toEqual({ ...rest, uid: 2104, gid: 2100, home: '/home/dave2', admin: true });
        expect(await store.getUser('dave')).toEqual(refreshed);
        expect(await store.updateUser('dave', { mail: 'd@example.org' })).toEqual({ ...refreshed, mail: 'd@example.org' });
        // A local user stays one: no mail, no origin.
        await store.createUser(makeUser('alice'));
        expect(await store.getUser('alice')).toEqual(makeUser('alice'));
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
        expect((await store.findToken('hash-a1'))?.user).toEqual(alice);
        expect((await store.findToken('hash-a2'))?.user).toEqual(alice);
        expect((await store.findToken('hash-b1'))?.user).toEqual(bob);
      });

      it('gives each token an id, its label, expiry and times, and lists a user’s own', async () => {
        await store.createUser(makeUser('alice'));
        await store.createUser(makeUser('bob'));
        const laptop = await store.addToken('alice', 'hash-a1', 'laptop');
        const login = await store.addToken('alice', 'hash-a2', 'login from 10.0.0.5', { expiresAt: '2030-01-02T03:04:05.000Z' });
        await store.addToken('bob', 'hash-b1', 'ci');
        expect(laptop).toMatchObject({ user: 'alice', label: 'laptop', expiresAt: null, lastUsedAt: null });
        expect(login).toMatchObject({ user: 'alice', label: 'login from 10.0.0.5', expiresAt: '2030-01-02T03:04:05.000Z' });
        expect(laptop.id).not.toBe(login.id);
        expect(Date.parse(laptop.createdAt)).not.toBeNaN();
        expect((await store.findToken('hash-a2'))?.token).toEqual(login);
        expect(await store.getToken(login.id)).toEqual(login);
        expect((await store.listTokens('alice')).map((t) => t.id).sort()).toEqual([laptop.id, login.id].sort());
        expect(await store.listTokens('carol')).toEqual([]);
      });

      it('records the last use and deletes a token by id, and only that one', async () => {
        await store.createUser(makeUser('alice'));
        const one = await store.addToken('alice', 'hash-a1', 'one');
        const two = await store.addToken('alice', 'hash-a2', 'two');
        await store.touchToken(one.id, FIXTURE_TIME);
        expect((await store.getToken(one.id))?.lastUsedAt).toBe(FIXTURE_TIME);
        expect(await store.deleteToken(one.id)).toBe(true);
        expect(await store.deleteToken(one.id)).toBe(false);
        expect(await store.findToken('hash-a1')).toBeNull();
        expect(await store.getToken(one.id)).toBeNull();
        expect(await store.listTokens('alice')).toEqual([two]);
        expect((await store.findToken('hash-a2'))?.user.name).toBe('alice');
      });

      it('returns null for an unknown hash', async () => {
        await store.createUser(makeUser('alice'));
        await store.addToken('alice', 'hash-a1', 'laptop');
        expect(await store.findToken('hash-zz')).toBeNull();
        expect(await store.findToken('')).toBeNull();
      });

      it('refuses a token for a user that does not exist', async () => {
        await expect(store.addToken('ghost', 'hash-g', 'x')).rejects.toThrow();
        expect(await store.findToken('hash-g')).toBeNull();
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
        expect(await store.findIdempotent('alice', 'retry-1')).toEqual(first.job);
        expect(await store.findIdempotent('bob', 'retry-1')).toBeNull();
        expect(await store.findIdempotent('alice', 'other')).toBeNull();
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

    describe('insertEach', () => {
      it('stores every insert of the group and answers each in order, with increasing ids', async () => {
        const results = await store.insertEach([
          { jobs: [makeJob({ meta: { name: 'one' } })], isArray: false },
          { jobs: makeArrayJobs(2, { meta: { name: 'arr' } }), isArray: true },
          { jobs: [makeJob({ meta: { name: 'three' } })], isArray: false },
        ]);
        const jobs = results.map((r) => {
          if (r instanceof Error) throw r;
          expect(r.created).toBe(true);
          return r.job;
        });
        expect(jobs.map((j) => j.meta.name)).toEqual(['one', 'arr', 'three']);
        expect(jobs[1]?.id).toBeGreaterThan(jobs[0]?.id as number);
        expect(jobs[2]?.id).toBeGreaterThan(jobs[1]?.id as number);
        expect(await listAll({ parentId: jobs[1]?.id as number })).toHaveLength(2);
        for (const job of jobs) expect(await store.getJob(job.id)).toEqual(job);
      });

      it('refuses one insert alone: its neighbours are stored, nothing of it is', async () => {
        const taken = { user: 'alice', key: 'taken', fingerprint: 'first' };
        const earlier = await store.insertJobs({ jobs: [makeJob()], isArray: false, idempotency: taken });
        const results = await store.insertEach([
          { jobs: [makeJob({ meta: { name: 'before' } })], isArray: false },
          { jobs: [makeJob({ meta: { name: 'reused key' } })], isArray: false, idempotency: { ...taken, fingerprint: 'other' } },
          { jobs: [makeJob(), makeJob()], isArray: false },
          { jobs: [], isArray: false },
          { jobs: [makeJob({ meta: { name: 'after' } })], isArray: false, idempotency: { user: 'alice', key: 'fresh' } },
        ]);
        expect(results.map((r) => (r instanceof Error ? 'error' : r.job.meta.name))).toEqual([
          'before',
          'error',
          'error',
          'error',
          'after',
        ]);
        expect((results[1] as GodockerError).code).toBe(ErrorCodes.IDEMPOTENCY_KEY_REUSED);
        expect((await listAll({})).map((j) => j.meta.name).sort()).toEqual(['after', 'before', 'job']);
        expect(await store.findIdempotent('alice', 'fresh')).toEqual((results[4] as { job: Job }).job);
        expect(await store.findIdempotent('alice', 'taken')).toEqual(earlier.job);
      });

      it('answers a second insert with the key of a first in the same group as a retry', async () => {
        const idempotency = { user: 'alice', key: 'twice', fingerprint: 'f' };
        const [first, second, reused] = await store.insertEach([
          { jobs: [makeJob({ meta: { name: 'first' } })], isArray: false, idempotency },
          { jobs: [makeJob({ meta: { name: 'first' } })], isArray: false, idempotency },
          { jobs: [makeJob({ meta: { name: 'other' } })], isArray: false, idempotency: { ...idempotency, fingerprint: 'g' } },
        ]);
        expect(first).toMatchObject({ created: true });
        expect(second).toEqual({ job: (first as { job: Job }).job, created: false });
        expect((reused as GodockerError).code).toBe(ErrorCodes.IDEMPOTENCY_KEY_REUSED);
        expect(await listAll({})).toHaveLength(1);
      });

      it('stores none of the group when one cannot be written, keys and all', async () => {
        const earlier = await insert();
        const idempotency = { user: 'alice', key: 'in-group' };
        const group = () => [
          { jobs: [makeJob({ meta: { name: 'fine' } })], isArray: false, idempotency },
          { jobs: makeArrayJobs(3).map((j, i) => (i === 2 ? poisoned(j) : j)), isArray: true },
        ];
        await expect(store.insertEach(group())).rejects.toThrow();
        expect(ids(await listAll({}))).toEqual([earlier.id]);
        expect(await store.findIdempotent('alice', 'in-group')).toBeNull();
      });

      it('answers an empty group with nothing', async () => {
        expect(await store.insertEach([])).toEqual([]);
      });
    });

    describe('waiting-job limits', () => {
      const userLimit = (max: number, adds = 1) => ({ scope: 'user' as const, name: 'alice', max, adds });

      it('stores inserts up to the limit and refuses the one past it, counting those of its own group', async () => {
        await insert({ status: { state: 'held' } });
        await insert({ status: { state: 'running' } });
        await insert({ user: { name: 'bob' } });
        const one = () => ({ jobs: [makeJob()], isArray: false, limits: [userLimit(3)] });
        const results = await store.insertEach([one(), one(), one()]);
        expect(results.map((r) => (r instanceof Error ? r.message : 'stored'))).toEqual([
          'stored',
          'stored',
          'user alice has 3 jobs waiting; the quota allows 3 (this submit adds 1)',
        ]);
        expect((results[2] as GodockerError).code).toBe(ErrorCodes.QUOTA_EXCEEDED);
        expect(withoutZeros(await store.countByState({ user: 'alice' }))).toEqual({ held: 1, running: 1, pending: 2 });
      });

      it('counts what an array adds, and checks a project as a user', async () => {
        const project = { scope: 'project' as const, name: 'p', max: 3, adds: 3 };
        await insert({ project: 'p', user: { name: 'bob' } });
        const refused = await failure(
          store.insertJobs({ jobs: makeArrayJobs(3, { project: 'p' }), isArray: true, limits: [project] }),
        );
        expect(refused.code).toBe(ErrorCodes.QUOTA_EXCEEDED);
        expect(refused.message).toBe('project p has 1 jobs waiting; its quota allows 3 (this submit adds 3)');
        expect(await listAll({})).toHaveLength(1);
        const fits = { ...project, max: 4 };
        expect(
          (await store.insertJobs({ jobs: makeArrayJobs(3, { project: 'p' }), isArray: true, limits: [fits] })).created,
        ).toBe(true);
      });

      it('says "more than" the limit when more than it already wait, having counted no further', async () => {
        for (let i = 0; i < 5; i++) await insert();
        const refused = await failure(store.insertJobs({ jobs: [makeJob()], isArray: false, limits: [userLimit(2)] }));
        expect(refused.message).toBe('user alice has more than 2 jobs waiting; the quota allows 2 (this submit adds 1)');
      });

      it('answers a retry with the first job even when the limit is now full', async () => {
        const idempotency = { user: 'alice', key: 'k', fingerprint: 'f' };
        const first = await store.insertJobs({ jobs: [makeJob()], isArray: false, idempotency, limits: [userLimit(1)] });
        const retry = await store.insertJobs({ jobs: [makeJob()], isArray: false, idempotency, limits: [userLimit(1)] });
        expect(retry).toEqual({ job: first.job, created: false });
      });

      it('checks a batch as a whole', async () => {
        const submissions = [
          { jobs: [makeJob()], isArray: false },
          { jobs: [makeJob()], isArray: false },
        ];
        expect((await failure(store.insertBatch({ submissions, limits: [userLimit(1, 2)] }))).code).toBe(
          ErrorCodes.QUOTA_EXCEEDED,
        );
        expect(await listAll({})).toEqual([]);
        expect((await store.insertBatch({ submissions, limits: [userLimit(2, 2)] })).created).toBe(true);
      });
    });

    describe('insertBatch', () => {
      const batch = () => [
        { jobs: [makeJob({ meta: { name: 'one' } })], isArray: false },
        { jobs: makeArrayJobs(3, { meta: { name: 'arr' } }), isArray: true },
        { jobs: [makeJob({ meta: { name: 'three' } })], isArray: false },
      ];

      it('stores every submission in order and returns one job per submission', async () => {
        const { jobs, created } = await store.insertBatch({ submissions: batch() });
        expect(created).toBe(true);
        expect(jobs.map((j) => j.meta.name)).toEqual(['one', 'arr', 'three']);
        expect(jobs.every((j) => j.parentId === null)).toBe(true);
        expect(jobs[1]?.id).toBeGreaterThan(jobs[0]?.id as number);
        expect(jobs[2]?.id).toBeGreaterThan(jobs[1]?.id as number);
        expect(await listAll({ parentId: jobs[1]?.id as number })).toHaveLength(3);
        expect(await listAll({})).toHaveLength(6);
        for (const job of jobs) expect(await store.getJob(job.id)).toEqual(job);
      });

      it('returns the first jobs again for a retry with the same idempotency key', async () => {
        const idempotency = { user: 'alice', key: 'batch-1', fingerprint: 'f1' };
        const first = await store.insertBatch({ submissions: batch(), idempotency });
        await insert(); // a later job of the same user is not part of the batch
        const again = await store.insertBatch({ submissions: batch(), idempotency });
        expect(again).toEqual({ jobs: first.jobs, created: false });
        expect(await store.findIdempotentBatch('alice', 'batch-1', 'f1', 3)).toEqual(first.jobs);
        expect(await store.findIdempotentBatch('bob', 'batch-1', 'f1', 3)).toBeNull();
        expect((await failure(store.findIdempotentBatch('alice', 'batch-1', 'f2', 3))).code).toBe('GOD_IDEMPOTENCY_KEY_REUSED');
        expect(await listAll({})).toHaveLength(7);
      });

      it('stores nothing when one job of one submission cannot be stored', async () => {
        const earlier = await insert();
        const submissions = batch();
        submissions[2] = { jobs: [poisoned(makeJob())], isArray: false };
        const idempotency = { user: 'alice', key: 'batch-atomic' };
        await expect(store.insertBatch({ submissions, idempotency })).rejects.toThrow();
        expect(ids(await listAll({}))).toEqual([earlier.id]);
        // The idempotency record went with the jobs: a retry really inserts.
        const retry = await store.insertBatch({ submissions: batch(), idempotency });
        expect(retry.created).toBe(true);
        expect(await listAll({})).toHaveLength(7);
      });

      it('refuses an empty batch and a submission of several jobs that is not an array', async () => {
        await expect(store.insertBatch({ submissions: [] })).rejects.toThrow();
        await expect(store.insertBatch({ submissions: [{ jobs: [makeJob(), makeJob()], isArray: false }] })).rejects.toThrow();
        expect(await listAll({})).toEqual([]);
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

      it('countByProjectState counts single jobs and array tasks by project and state, not array parents', async () => {
        await store.insertJobs({ jobs: makeArrayJobs(3, { project: 'p1' }), isArray: true });
        const want = new Map<string, number>();
        const add = (project: string, state: JobState) =>
          want.set(`${project}/${state}`, (want.get(`${project}/${state}`) ?? 0) + 1);
        for (const job of seeded) add(job.project, job.status.state);
        for (let i = 0; i < 3; i++) add('p1', 'pending');
        const rows = await store.countByProjectState();
        expect(new Map(rows.map((r) => [`${r.project}/${r.state}`, r.count]))).toEqual(want);
        expect(rows.every((r) => r.count > 0)).toBe(true);
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

      it('answers any combination of filters as a plain reading of them would, page after page', async () => {
        // Array parents and tasks, reaped jobs and sessions besides the seeded jobs.
        const [parentInput, ...taskInputs] = makeArrayJobs(4, { user: { name: 'bob' }, session: 's1', meta: { tags: ['gpu'] } });
        const { job: parent } = await store.insertJobs({ jobs: [parentInput as NewJob, ...taskInputs], isArray: true });
        const taskIds = await store.listJobIds({ parentId: parent.id });
        await store.updateJob(taskIds[0] as number, { state: { to: 'running', reason: 'started', at: FIXTURE_TIME } });
        await store.updateJob(taskIds[1] as number, { state: { to: 'held', reason: 'held', at: FIXTURE_TIME }, hold: true });
        const reapable = [...seeded.filter((j) => j.session !== null && j.id % 3 === 0).map((j) => j.id), taskIds[2] as number];
        const reaped = new Set(await store.reapJobs(reapable, FIXTURE_TIME));
        const all = await listAll({});

        const rnd = random(20);
        const maybe = <T>(values: readonly T[]): T | undefined => (rnd() < 0.5 ? undefined : pick(rnd, values));
        for (let i = 0; i < 300; i++) {
          const filter: JobFilter = {};
          const states = maybe([1, 2, 3]);
          if (states !== undefined) filter.states = [...JOB_STATES].sort(() => rnd() - 0.5).slice(0, states) as JobState[];
          const set = <K extends keyof JobFilter>(key: K, values: readonly NonNullable<JobFilter[K]>[]) => {
            const value = rnd() < 0.6 ? undefined : pick(rnd, values);
            if (value !== undefined) filter[key] = value;
          };
          set('user', ['alice', 'bob', 'nobody']);
          set('project', ['p1', 'p2', 'default']);
          set('tag', ['gpu', 'cpu']);
          set('name', ['align', 'job']);
          set('session', ['s1', 's2']);
          set('parentId', [parent.id]);
          set('reaped', [true, false]);
          set('arrayParent', [true, false]);
          const want = all.filter((j) => matches(j, filter, reaped));
          const label = JSON.stringify(filter);
          expect(ids(await listAll(filter, 2)), label).toEqual(ids(want));
          expect(await store.listJobIds(filter), label).toEqual(ids(want).sort((a, b) => a - b));
          expect(withoutZeros(await store.countByState(filter)), label).toEqual(countStates(want));
        }
      });

      it('jobsInStates returns those states, oldest first', async () => {
        const jobs = await store.jobsInStates(['pending', 'running']);
        expect(ids(jobs)).toEqual(ids(seeded.filter((j) => ['pending', 'running'].includes(j.status.state))));
        expect(jobs[0]).toEqual(seeded.find((j) => j.status.state === 'pending' || j.status.state === 'running'));
        expect(await store.jobsInStates([])).toEqual([]);
      });

      it('queuedJobs reads the pending jobs page by page, oldest first, tasks without their documents', async () => {
        const { job: parent } = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true });
        const tasks = await store.listJobs({ parentId: parent.id }, { limit: 10 });
        const pending = [...seeded, parent, ...tasks.jobs.reverse()].filter((j) => j.status.state === 'pending');
        const paged: QueuedJob[] = [];
        for (let afterId = 0; ; ) {
          const page = await store.queuedJobs(afterId, 2);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(2);
          paged.push(...page);
          afterId = page.at(-1)?.id ?? afterId;
        }
        expect(paged.map((q) => q.id)).toEqual(ids(pending));
        expect(pending.length).toBeGreaterThan(6);
        expect(paged.filter((q) => q.job === null)).toHaveLength(3);
        for (const q of paged) {
          const job = pending.find((j) => j.id === q.id) as Job;
          expect(q).toEqual({
            id: job.id,
            parentId: job.parentId,
            submittedAt: job.status.submittedAt,
            job: job.parentId === null ? job : null,
          });
        }
      });
    });

    describe('listJobs search', () => {
      /** Each job's text fields, varied so that every field is found by a search. */
      const fields = [
        { name: 'Align-Reads', image: 'debian:bookworm-slim', project: 'genomics', user: 'alice', tags: ['gpu'] },
        { name: 'plot', image: 'registry.example/Blast:2.14', project: 'p1', user: 'bob', tags: ['cpu'] },
        { name: 'plot', image: 'debian:bookworm-slim', project: 'Proteomics', user: 'alice', tags: [] },
        { name: 'merge', image: 'debian:bookworm-slim', project: 'p1', user: 'carol', tags: ['Nightly'] },
        { name: '50%_done', image: 'debian:bookworm-slim', project: 'p1', user: 'bob', tags: [] },
        { name: 'ünïcødé', image: 'debian:bookworm-slim', project: 'p1', user: 'alice', tags: [] },
      ];
      let seeded: Job[];

      beforeEach(async () => {
        seeded = [];
        for (const f of fields) {
          seeded.push(
            await insert({
              meta: { name: f.name, tags: f.tags },
              container: { image: f.image },
              project: f.project,
              user: { name: f.user },
            }),
          );
        }
      });

      const found = async (filter: JobFilter) => ids(await listAll(filter));
      const seededIds = (...indexes: number[]) => indexes.map((i) => seeded[i]?.id as number).sort(newestFirst);

      it('finds a part of the name, image, a tag, the project or the user, A-Z in either case', async () => {
        expect(await found({ search: 'aLiGn' })).toEqual(seededIds(0));
        expect(await found({ search: 'blast:2' })).toEqual(seededIds(1));
        expect(await found({ search: 'night' })).toEqual(seededIds(3));
        expect(await found({ search: 'PROTEO' })).toEqual(seededIds(2));
        expect(await found({ search: 'caro' })).toEqual(seededIds(3));
        expect(await found({ search: 'bookworm' })).toEqual(seededIds(0, 2, 3, 4, 5));
        expect(await found({ search: 'ïcø' })).toEqual(seededIds(5));
        expect(await found({ search: 'nothing-has-this' })).toEqual([]);
      });

      it('reads % and _ as themselves', async () => {
        expect(await found({ search: '0%_d' })).toEqual(seededIds(4));
        expect(await found({ search: '%' })).toEqual(seededIds(4));
        expect(await found({ search: 'p_o' })).toEqual([]);
      });

      it('finds a job by its id, beside the jobs whose text holds the number', async () => {
        const target = seeded[2] as Job;
        const named = await insert({ meta: { name: `run-${target.id}` } });
        expect(await found({ search: String(target.id) })).toEqual([named.id, target.id].sort(newestFirst));
      });

      it('combines with the other filters, and pages with a cursor', async () => {
        expect(await found({ search: 'plot', user: 'bob' })).toEqual(seededIds(1));
        expect(await found({ search: 'p1', user: 'alice' })).toEqual(seededIds(5));
        expect(await found({ search: 'bookworm', states: ['pending', 'running'], project: 'p1' })).toEqual(seededIds(3, 4, 5));
        const first = await store.listJobs({ search: 'bookworm' }, { limit: 2 });
        expect(ids(first.jobs)).toEqual(seededIds(0, 2, 3, 4, 5).slice(0, 2));
        expect(first.nextCursor).toBe(first.jobs.at(-1)?.id);
        expect(ids(await listAll({ search: 'bookworm' }, 2))).toEqual(seededIds(0, 2, 3, 4, 5));
        expect(await store.countByState({ search: 'plot' })).toEqual({ pending: 2 });
      });

      it("finds an array's tasks by the image they take from their parent", async () => {
        const { job } = await store.insertJobs({
          jobs: makeArrayJobs(2, { container: { image: 'quay.io/Tasks-Image:1' } }),
          isArray: true,
        });
        const tasks = await store.listJobIds({ parentId: job.id });
        expect(await found({ search: 'tasks-image' })).toEqual([job.id, ...tasks].sort(newestFirst));
        expect(await found({ search: 'tasks-image', parentId: job.id })).toEqual([...tasks].sort(newestFirst));
      });
    });

    describe('drained nodes', () => {
      const at = '2024-01-01T00:01:00.000Z';

      it('keeps a drained node until it is resumed; draining again replaces the reason', async () => {
        expect(await store.drainedNodes()).toEqual([]);
        await store.drainNode({ name: 'node-b', reason: 'disk swap', by: 'admin', at });
        await store.drainNode({ name: 'node-a', reason: 'kernel update', by: 'admin', at });
        await store.drainNode({ name: 'node-b', reason: 'disk swap, day 2', by: 'root', at: '2024-01-02T00:00:00.000Z' });
        expect(await store.drainedNodes()).toEqual([
          { name: 'node-a', reason: 'kernel update', by: 'admin', at },
          { name: 'node-b', reason: 'disk swap, day 2', by: 'root', at: '2024-01-02T00:00:00.000Z' },
        ]);
        expect(await store.resumeNode('node-a')).toBe(true);
        expect(await store.resumeNode('node-a')).toBe(false);
        expect((await store.drainedNodes()).map((n) => n.name)).toEqual(['node-b']);
      });
    });

    describe("jobs' sampled usage", () => {
      const sample = (at: string, cpuSeconds: number, memoryBytes: number): UsageSample => ({
        at,
        cpuSeconds,
        memoryBytes,
        peakMemoryBytes: null,
        readBytes: 10,
        writeBytes: null,
        rxBytes: null,
        txBytes: null,
      });

      it('saves a record whole and gives it back; a later save replaces it; an unknown job has none', async () => {
        const a = await insert({ status: { state: 'running' } });
        const b = await insert({ status: { state: 'running' } });
        expect(await store.getJobUsage(a.id)).toBeNull();
        let ra = addSample(emptyUsage(a.id, 10), sample('2024-01-01T00:00:10.000Z', 5, 100 * 2 ** 20), FIXTURE_TIME, 4);
        const rb = addSample(emptyUsage(b.id, 10), sample('2024-01-01T00:00:10.000Z', 1, 2 ** 20), FIXTURE_TIME, 4);
        await store.saveJobUsage([ra, rb]);
        expect(await store.getJobUsage(a.id)).toEqual(ra);
        expect(await store.getJobUsage(b.id)).toEqual(rb);
        for (let i = 2; i <= 12; i++) {
          ra = addSample(
            ra,
            sample(
              `2024-01-01T00:0${Math.floor((i * 10) / 60)}:${String((i * 10) % 60).padStart(2, '0')}.000Z`,
              5 * i,
              100 * 2 ** 20,
            ),
            FIXTURE_TIME,
            4,
          );
        }
        expect(ra.series.length).toBeLessThanOrEqual(4);
        await store.saveJobUsage([ra]);
        expect(await store.getJobUsage(a.id)).toEqual(ra);
        expect(await store.getJobUsage(b.id)).toEqual(rb);
        await store.saveJobUsage([]);
        expect(await store.getJobUsage(a.id + b.id + 1000)).toBeNull();
      });
    });

    describe('updateEach', () => {
      const at = '2024-01-01T00:01:00.000Z';

      it('applies the group in order, each as updateJob would: a later change sees an earlier one', async () => {
        const a = await insert();
        const b = await insert({ status: { state: 'running' } });
        const results = await store.updateEach([
          { id: a.id, change: { state: { to: 'running', reason: 'started', at } }, expect: { states: ['pending'] } },
          { id: b.id, change: { state: { to: 'held', reason: 'held', at } }, expect: { states: ['pending'] } },
          { id: a.id, change: { state: { to: 'done', reason: 'exited with code 0', at }, status: { exitCode: 0 } } },
          { id: 999_999, change: { state: { to: 'done', reason: 'no such job', at } } },
          { id: a.id, change: { state: { to: 'failed', reason: 'too late', at } }, expect: { states: ['running'] } },
        ]);
        const [started, refused, ended, missing, stale] = results;
        expect((started as Job).status.state).toBe('running');
        expect(refused).toBeNull();
        expect((ended as Job).status).toMatchObject({ state: 'done', exitCode: 0 });
        expect((ended as Job).status.history.map((h) => h.state)).toEqual([
          ...a.status.history.map((h) => h.state),
          'running',
          'done',
        ]);
        expect(missing).toBeNull();
        expect(stale).toBeNull();
        expect(await store.getJob(a.id)).toEqual(ended);
        expect(await store.getJob(b.id)).toEqual(b);
        expect(withoutZeros(await store.countByState({}))).toEqual({ done: 1, running: 1 });
      });

      it("keeps an array parent's counts in step with its tasks' changes in the group", async () => {
        const { job: parent } = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true });
        const tasks = await listAll({ parentId: parent.id });
        const results = await store.updateEach(
          tasks.map((t) => ({ id: t.id, change: { state: { to: 'running' as const, reason: 'started', at } } })),
        );
        expect(results.every((r) => r !== null && !(r instanceof Error))).toBe(true);
        expect((await store.getJob(parent.id))?.array?.tasks).toEqual({ running: 3 });
        expect((await store.getJob(parent.id))?.status.state).toBe('running');
      });

      it('applies none of the group when one cannot be written', async () => {
        const a = await insert();
        const b = await insert();
        const unwritable = { status: { reason: 1n as unknown as string } };
        await expect(
          store.updateEach([
            { id: a.id, change: { state: { to: 'running', reason: 'started', at } } },
            { id: b.id, change: unwritable },
          ]),
        ).rejects.toThrow();
        expect(await store.getJob(a.id)).toEqual(a);
        expect(await store.getJob(b.id)).toEqual(b);
        expect(await store.updateEach([])).toEqual([]);
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

      it('records a placement with its host ports in one compare-and-set write, and empties them on requeue', async () => {
        const container = { ...makeJob().container, ports: [{ containerPort: 8080, protocol: 'tcp' as const }] };
        const job = await insert({ container });
        expect((await store.getJob(job.id))?.container.ports).toEqual(container.ports);
        const port: HostPort = { containerPort: 8080, protocol: 'tcp', hostPort: 20003, node: 'node-1', hostIp: '127.0.0.1' };
        const ports = [port];
        const placed = {
          state: { to: 'running' as const, reason: 'placed on node node-1', at },
          status: { node: 'node-1', ports },
        };
        const updated = await store.updateJob(job.id, placed, { states: ['pending'] });
        expect(updated?.status).toMatchObject({ state: 'running', node: 'node-1', ports });
        expect(await store.getJob(job.id)).toEqual(updated);
        expect((await store.jobsInStates(['running']))[0]?.status.ports).toEqual(ports);
        // A second placement of the same job (another daemon, a stale pass) finds it no longer pending.
        const other = { ...placed, status: { node: 'node-2', ports: [{ ...port, hostPort: 20004, node: 'node-2' }] } };
        expect(await store.updateJob(job.id, other, { states: ['pending'] })).toBeNull();
        expect((await store.getJob(job.id))?.status.ports).toEqual(ports);
        const requeued = await store.updateJob(
          job.id,
          { state: { to: 'pending', reason: 'requeued', at }, status: { node: null, ports: [] } },
          { states: ['running'] },
        );
        expect(requeued?.status).toMatchObject({ state: 'pending', node: null, ports: [] });
        expect(await store.getJob(job.id)).toEqual(requeued);
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

    describe('array parents', () => {
      const at = (minute: number) => `2024-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
      const move = (id: number, to: JobState, minute: number, extra: { hold?: boolean } = {}) =>
        store.updateJob(id, { state: { to, reason: `to ${to}`, at: at(minute) }, ...extra });

      async function parentOf(id: number): Promise<Job> {
        const parent = await store.getJob(id);
        if (!parent) throw new Error(`no parent ${id}`);
        return parent;
      }

      it('moves with each task, in the same change: counts, state, reason, start and end', async () => {
        const { job } = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true });
        const [t0, t1, t2] = (await store.listJobIds({ parentId: job.id })) as [number, number, number];

        await move(t0, 'running', 1);
        let parent = await parentOf(job.id);
        expect(parent.array?.tasks).toEqual({ pending: 2, running: 1 });
        expect(parent.status).toMatchObject({ state: 'running', reason: 'tasks: 2 pending, 1 running', startedAt: at(1) });
        expect(parent.status.endedAt).toBeNull();

        await move(t1, 'running', 2);
        await move(t0, 'done', 3);
        parent = await parentOf(job.id);
        expect(parent.array?.tasks).toEqual({ done: 1, pending: 1, running: 1 });
        // Still running since minute 1: no transition was recorded for these changes.
        expect(parent.status).toMatchObject({ state: 'running', reason: 'tasks: 2 pending, 1 running', startedAt: at(1) });

        // No task runs, one waits: the parent waits too.
        await move(t1, 'failed', 4);
        parent = await parentOf(job.id);
        expect(parent.status).toMatchObject({ state: 'pending', reason: 'tasks: 1 done, 1 failed, 1 pending' });

        await move(t2, 'running', 5);
        await move(t2, 'done', 6);
        parent = await parentOf(job.id);
        expect(parent.array?.tasks).toEqual({ done: 2, failed: 1 });
        expect(parent.status).toMatchObject({
          state: 'failed',
          reason: 'some tasks failed: 2 done, 1 failed',
          startedAt: at(1),
          endedAt: at(6),
        });
        expect(parent.status.history.map((h) => [h.state, h.at])).toEqual([
          ['pending', FIXTURE_TIME],
          ['running', at(1)],
          ['pending', at(4)],
          ['running', at(5)],
          ['failed', at(6)],
        ]);
        expect(await store.getJob(job.id)).toEqual(parent);
        expect(ids(await listAll({ states: ['failed'], arrayParent: true }))).toEqual([job.id]);
      });

      it('ends done when every task is done, and says so', async () => {
        const { job } = await store.insertJobs({ jobs: makeArrayJobs(2), isArray: true });
        for (const id of await store.listJobIds({ parentId: job.id })) {
          await move(id, 'running', 1);
          await move(id, 'done', 2);
        }
        expect((await parentOf(job.id)).status).toMatchObject({
          state: 'done',
          reason: 'all tasks done: 2 done',
          endedAt: at(2),
        });
      });

      it('leaves the parent alone when a change does not move its task, or does not apply', async () => {
        const { job } = await store.insertJobs({ jobs: makeArrayJobs(2), isArray: true });
        const [t0] = (await store.listJobIds({ parentId: job.id })) as [number];
        const before = await parentOf(job.id);
        await store.updateJob(t0, { usage: { wallSeconds: 3 }, status: { node: 'n1' } });
        expect(await store.updateJob(t0, { state: { to: 'done', reason: 'x', at: at(1) } }, { states: ['running'] })).toBeNull();
        expect(await parentOf(job.id)).toEqual(before);
      });

      it('counts the tasks afresh when counts set by hand cannot hold a change', async () => {
        const { job } = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true });
        const [t0] = (await store.listJobIds({ parentId: job.id })) as [number];
        const array = (await parentOf(job.id)).array as NonNullable<Job['array']>;
        await store.updateJob(job.id, { array: { ...array, tasks: { held: 3 } } });
        await move(t0, 'running', 1);
        expect((await parentOf(job.id)).array?.tasks).toEqual({ pending: 2, running: 1 });
        expect((await parentOf(job.id)).status.state).toBe('running');
      });

      it('holds, releases and kills a whole array through its tasks', async () => {
        const { job } = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true });
        const tasks = await store.listJobIds({ parentId: job.id });
        await Promise.all(
          tasks.map((id) =>
            store.updateJob(id, { state: { to: 'held', reason: 'held', at: at(1) }, hold: true }, { states: ['pending'] }),
          ),
        );
        expect((await parentOf(job.id)).status).toMatchObject({ state: 'held', reason: 'tasks: 3 held' });
        expect((await parentOf(job.id)).array?.tasks).toEqual({ held: 3 });

        await Promise.all(
          tasks.map((id) =>
            store.updateJob(id, { state: { to: 'pending', reason: 'released', at: at(2) }, hold: false }, { states: ['held'] }),
          ),
        );
        // Pending with the first task released: the reason gives the counts of that moment.
        expect((await parentOf(job.id)).status).toMatchObject({ state: 'pending', reason: 'tasks: 2 held, 1 pending' });
        expect((await parentOf(job.id)).array?.tasks).toEqual({ pending: 3 });

        await move(tasks[0] as number, 'running', 3);
        const kill = (id: number) =>
          store.updateJob(
            id,
            { state: { to: 'failed', reason: 'killed', at: at(4) } },
            { states: ['pending', 'held', 'running', 'suspended'] },
          );
        await Promise.all([...tasks.map(kill), kill(tasks[0] as number)]);
        const parent = await parentOf(job.id);
        expect(parent.array?.tasks).toEqual({ failed: 3 });
        expect(parent.status).toMatchObject({
          state: 'failed',
          reason: 'some tasks failed: 3 failed',
          endedAt: at(4),
          startedAt: at(3),
        });
      });

      it('counts the tasks not stored yet as waiting, until the last one lands', async () => {
        const [parentInput, ...taskInputs] = makeArrayJobs(4, { status: { state: 'held' } });
        const parentDoc = parentInput as NewJob;
        const created: NewJob = {
          ...parentDoc,
          array: { ...(parentDoc.array as NonNullable<NewJob['array']>), created: 2, tasks: { held: 2 } },
        };
        const { job } = await store.insertJobs({ jobs: [created, ...taskInputs.slice(0, 2)], isArray: true });
        for (const id of await store.listJobIds({ parentId: job.id })) {
          await move(id, 'pending', 1, { hold: false });
          await move(id, 'running', 2);
          await move(id, 'done', 3);
        }
        // Two done, two still to land (held, as the array was submitted): not ended.
        let parent = await parentOf(job.id);
        expect(parent.array?.tasks).toEqual({ done: 2 });
        expect(parent.status).toMatchObject({ state: 'held', reason: 'tasks: 2 done', endedAt: null });

        const landed = await store.addArrayTasks(job.id, taskInputs.slice(2));
        parent = await parentOf(job.id);
        expect(parent.array).toMatchObject({ created: 4, tasks: { done: 2, held: 2 } });
        expect(parent.status.state).toBe('held');
        for (const task of landed) {
          await move(task.id, 'failed', 4);
        }
        parent = await parentOf(job.id);
        expect(parent.status).toMatchObject({ state: 'failed', reason: 'some tasks failed: 2 done, 2 failed', endedAt: at(4) });
      });

      it('keeps the counts equal to a full count through many random and racing task changes', async () => {
        const rnd = random(10);
        const arrays = [makeArrayJobs(5), arrayIn('held', 8), makeArrayJobs(12, { user: { name: 'bob' } })];
        // The last array lands its second half during the changes.
        const landing = arrays[2] as NewJob[];
        const landingParent = landing[0] as NewJob;
        landingParent.array = { ...(landingParent.array as NonNullable<NewJob['array']>), created: 6, tasks: { pending: 6 } };
        const parents: number[] = [];
        for (const jobs of arrays) {
          parents.push((await store.insertJobs({ jobs: jobs === landing ? jobs.slice(0, 7) : jobs, isArray: true })).job.id);
        }
        const fromStates = (to: JobState) => JOB_STATES.filter((s) => canTransition(s, to));
        // Terminal states are rare, so most tasks keep moving to the end.
        const targets: JobState[] = [
          'pending',
          'pending',
          'held',
          'running',
          'running',
          'suspended',
          'running',
          'done',
          'failed',
        ];

        async function check(): Promise<void> {
          for (const id of parents) {
            const parent = await parentOf(id);
            const array = parent.array as NonNullable<Job['array']>;
            const counts = withoutZeros(await store.countByState({ parentId: id }));
            expect(array.tasks, `array ${id}`).toEqual(counts);
            const unstored = array.count - (array.created ?? array.count);
            const waiting = parent.hold ? 'held' : 'pending';
            const expected = parentState(unstored > 0 ? { ...counts, [waiting]: (counts[waiting] ?? 0) + unstored } : counts);
            expect(parent.status.state, `array ${id}`).toBe(expected);
          }
        }

        let minute = 0;
        for (let step = 0; step < 150; step++) {
          const tasks = await store.listJobIds({ parentId: pick(rnd, parents) });
          // A few changes at once, and now and then two on the same task (a kill racing an exit).
          const changes = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => {
            const to = pick(rnd, targets);
            return { id: pick(rnd, tasks), to };
          });
          if (rnd() < 0.2) changes.push({ ...(changes[0] as { id: number; to: JobState }), to: pick(rnd, targets) });
          minute = (minute + 1) % 60;
          await Promise.all(
            changes.map(({ id, to }) =>
              store.updateJob(
                id,
                { state: { to, reason: `to ${to}`, at: at(minute) }, hold: to === 'held' },
                { states: fromStates(to) },
              ),
            ),
          );
          if (step === 75) await store.addArrayTasks(parents[2] as number, landing.slice(7));
          await check();
        }
        expect((await parentOf(parents[2] as number)).array?.created).toBe(12);
      });
    });

    describe('users: priority, quota, updateUser', () => {
      it('gives a new user priority 0 and no quota unless told', async () => {
        await store.createUser({ name: 'alice', uid: 1, gid: 1, home: '/h', admin: false, createdAt: FIXTURE_TIME });
        expect(await store.getUser('alice')).toMatchObject({ priority: 0, quota: {} });
        const bob = makeUser('bob', { priority: -5, quota: { cpu: 4, ram: 2048 } });
        await store.createUser(bob);
        expect(await store.getUser('bob')).toEqual(bob);
      });

      it('changes only what the patch names; quota keys merge and null removes one', async () => {
        await store.createUser(makeUser('alice', { quota: { cpu: 4, gpus: 1 } }));
        await store.addToken('alice', 'hash-a', 'x');
        const updated = await store.updateUser('alice', { priority: 7, quota: { cpu: 8, gpus: null, runningJobs: 3 } });
        expect(updated).toEqual(makeUser('alice', { priority: 7, quota: { cpu: 8, runningJobs: 3 } }));
        expect(await store.getUser('alice')).toEqual(updated);
        expect((await store.findToken('hash-a'))?.user).toEqual(updated);
        const admin = await store.updateUser('alice', { admin: true });
        expect(admin).toEqual({ ...updated, admin: true });
        expect(await store.updateUser('alice', {})).toEqual(admin);
        const cpuTime = { seconds: 3600, windowSeconds: 86400 };
        expect((await store.updateUser('alice', { quota: { cpuTime } })).quota).toEqual({ cpu: 8, runningJobs: 3, cpuTime });
      });

      it('answers NOT_FOUND for an unknown user', async () => {
        expect((await failure(store.updateUser('ghost', { priority: 1 }))).code).toBe(ErrorCodes.NOT_FOUND);
      });
    });

    describe('projects', () => {
      it('has the default project after migrate, and every user is a member of it with 1 share', async () => {
        const empty = await store.getProject(DEFAULT_PROJECT);
        expect(empty).toMatchObject({ name: DEFAULT_PROJECT, shares: 1, priority: 0, quota: {}, members: [] });
        await store.createUser(makeUser('bob'));
        await store.createUser(makeUser('alice'));
        await store.migrate();
        expect((await store.getProject(DEFAULT_PROJECT))?.members).toEqual([
          { user: 'alice', shares: 1 },
          { user: 'bob', shares: 1 },
        ]);
        expect(await store.isMember(DEFAULT_PROJECT, 'alice')).toBe(true);
        expect((await store.projectsOfUser('alice')).map((p) => p.name)).toEqual([DEFAULT_PROJECT]);
      });

      it('does not add a member for a user that could not be created', async () => {
        await store.createUser(makeUser('alice'));
        await failure(store.createUser(makeUser('alice')));
        expect((await store.getProject(DEFAULT_PROJECT))?.members).toEqual([{ user: 'alice', shares: 1 }]);
      });

      it('creates, gets and lists projects, ordered by name', async () => {
        const quota = { cpu: 32, ram: 65536, gpus: 2, runningJobs: 10, pendingJobs: 1000 };
        const created = await store.createProject(
          makeProject('genomics', { description: 'DNA ✓', shares: 3, priority: -2, quota: { ...quota, cpuTime: null } }),
        );
        expect(created).toEqual({
          ...makeProject('genomics', { description: 'DNA ✓', shares: 3, priority: -2, quota }),
          members: [],
        });
        await store.createProject(makeProject('astro'));
        expect(await store.getProject('genomics')).toEqual(created);
        expect(await store.getProject('nope')).toBeNull();
        expect((await store.listProjects()).map((p) => p.name)).toEqual(['astro', DEFAULT_PROJECT, 'genomics']);
      });

      it('refuses a taken name with GOD_CONFLICT and keeps the first project', async () => {
        const first = await store.createProject(makeProject('genomics', { shares: 5 }));
        expect((await failure(store.createProject(makeProject('genomics')))).code).toBe(ErrorCodes.CONFLICT);
        expect((await failure(store.createProject(makeProject(DEFAULT_PROJECT)))).code).toBe(ErrorCodes.CONFLICT);
        expect(await store.getProject('genomics')).toEqual(first);
      });

      it('updates only what the patch names; quota keys merge and null removes one', async () => {
        await store.createProject(makeProject('p', { description: 'd', shares: 2, quota: { cpu: 4, ram: 1024 } }));
        const updated = await store.updateProject('p', { shares: 10, quota: { ram: null, gpus: 1 } });
        expect(updated).toEqual({
          ...makeProject('p', { description: 'd', shares: 10, quota: { cpu: 4, gpus: 1 } }),
          members: [],
        });
        const again = await store.updateProject('p', { description: '', priority: 100 });
        expect(again).toEqual({ ...updated, description: '', priority: 100 });
        expect(await store.getProject('p')).toEqual(again);
        expect((await failure(store.updateProject('ghost', { shares: 1 }))).code).toBe(ErrorCodes.NOT_FOUND);
      });

      it('adds, updates and removes members, and says why when it cannot', async () => {
        await store.createUser(makeUser('alice'));
        await store.createUser(makeUser('bob'));
        await store.createProject(makeProject('p'));
        await store.addMember('p', 'bob', 3);
        const withAlice = await store.addMember('p', 'alice', 1);
        expect(withAlice.members).toEqual([
          { user: 'alice', shares: 1 },
          { user: 'bob', shares: 3 },
        ]);
        expect((await store.updateMember('p', 'alice', 0)).members).toEqual([
          { user: 'alice', shares: 0 },
          { user: 'bob', shares: 3 },
        ]);
        expect((await store.removeMember('p', 'bob')).members).toEqual([{ user: 'alice', shares: 0 }]);
        expect(await store.isMember('p', 'bob')).toBe(false);

        expect((await failure(store.addMember('p', 'alice', 1))).code).toBe(ErrorCodes.CONFLICT);
        expect((await failure(store.addMember('ghost', 'alice', 1))).code).toBe(ErrorCodes.NOT_FOUND);
        expect((await failure(store.addMember('p', 'ghost', 1))).code).toBe(ErrorCodes.NOT_FOUND);
        expect((await failure(store.updateMember('p', 'bob', 1))).code).toBe(ErrorCodes.NOT_FOUND);
        expect((await failure(store.updateMember('ghost', 'bob', 1))).code).toBe(ErrorCodes.NOT_FOUND);
        expect((await failure(store.removeMember('p', 'bob'))).code).toBe(ErrorCodes.NOT_FOUND);
        expect((await failure(store.addMember('p', 'bob', -1))).code).toBe(ErrorCodes.INVALID_REQUEST);
        expect((await store.getProject('p'))?.members).toEqual([{ user: 'alice', shares: 0 }]);
      });

      it('keeps every user in the default project: removal is GOD_CONFLICT, shares may change', async () => {
        await store.createUser(makeUser('alice'));
        expect((await failure(store.removeMember(DEFAULT_PROJECT, 'alice'))).code).toBe(ErrorCodes.CONFLICT);
        expect((await failure(store.addMember(DEFAULT_PROJECT, 'alice', 1))).code).toBe(ErrorCodes.CONFLICT);
        expect((await store.updateMember(DEFAULT_PROJECT, 'alice', 0)).members).toEqual([{ user: 'alice', shares: 0 }]);
      });

      it('lists the projects of a user, with all their members', async () => {
        await store.createUser(makeUser('alice'));
        await store.createUser(makeUser('bob'));
        await store.createProject(makeProject('b-proj'));
        await store.createProject(makeProject('a-proj'));
        await store.createProject(makeProject('bobs-only'));
        await store.addMember('b-proj', 'alice', 1);
        await store.addMember('b-proj', 'bob', 2);
        await store.addMember('a-proj', 'alice', 4);
        await store.addMember('bobs-only', 'bob', 1);
        const mine = await store.projectsOfUser('alice');
        expect(mine.map((p) => p.name)).toEqual(['a-proj', 'b-proj', DEFAULT_PROJECT]);
        expect(mine[1]).toEqual(await store.getProject('b-proj'));
        expect(mine[1]?.members).toEqual([
          { user: 'alice', shares: 1 },
          { user: 'bob', shares: 2 },
        ]);
        expect(await store.projectsOfUser('nobody')).toEqual([]);
        expect(await store.isMember('bobs-only', 'alice')).toBe(false);
        expect(await store.isMember('a-proj', 'alice')).toBe(true);
        expect(await store.isMember('ghost', 'alice')).toBe(false);
      });

      it('deletes a project no job names, with its memberships', async () => {
        await store.createUser(makeUser('alice'));
        await store.createProject(makeProject('empty'));
        await store.addMember('empty', 'alice', 1);
        await store.deleteProject('empty');
        expect(await store.getProject('empty')).toBeNull();
        expect(await store.isMember('empty', 'alice')).toBe(false);
        expect((await store.projectsOfUser('alice')).map((p) => p.name)).toEqual([DEFAULT_PROJECT]);
        // The name is free again.
        expect((await store.createProject(makeProject('empty'))).members).toEqual([]);
      });

      it('refuses to delete the default project, a project jobs name, or an unknown one', async () => {
        await store.createProject(makeProject('busy'));
        await insert({ project: 'busy', status: { state: 'done' } });
        expect((await failure(store.deleteProject(DEFAULT_PROJECT))).code).toBe(ErrorCodes.CONFLICT);
        expect((await failure(store.deleteProject('busy'))).code).toBe(ErrorCodes.CONFLICT);
        expect((await failure(store.deleteProject('ghost'))).code).toBe(ErrorCodes.NOT_FOUND);
        expect(await store.getProject('busy')).not.toBeNull();
        expect(await store.getProject(DEFAULT_PROJECT)).not.toBeNull();
      });
    });

    describe('fair-share usage', () => {
      const row = (project: string, user: string, units: number, updatedAt = FIXTURE_TIME): UsageRow => ({
        project,
        user,
        units,
        updatedAt,
      });

      it('starts empty, saves many rows and replaces a row on the next save', async () => {
        expect(await store.getUsage()).toEqual([]);
        await store.saveUsage([row('p', 'alice', 10.5), row('p', 'bob', 0), row('q', 'alice', 1e9)]);
        await store.saveUsage([row('p', 'alice', 5.25, '2024-01-02T00:00:00.000Z')]);
        await store.saveUsage([]);
        expect(byProjectUser(await store.getUsage())).toEqual([
          row('p', 'alice', 5.25, '2024-01-02T00:00:00.000Z'),
          row('p', 'bob', 0),
          row('q', 'alice', 1e9),
        ]);
      });

      it('keeps usage of users and projects it does not know (former members count)', async () => {
        await store.saveUsage([row('gone', 'ghost', 3)]);
        expect(await store.getUsage()).toEqual([row('gone', 'ghost', 3)]);
      });

      it('saves nothing of a batch that holds a non-finite or negative amount', async () => {
        await store.saveUsage([row('p', 'alice', 1)]);
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
          await expect(store.saveUsage([row('p', 'alice', 2), row('p', 'bob', bad)])).rejects.toThrow();
        }
        expect(await store.getUsage()).toEqual([row('p', 'alice', 1)]);
      });
    });

    describe('cumulative cpu time', () => {
      const h = 3600;

      it('adds up cpu time in buckets and sums per project and user since a time', async () => {
        expect(await store.cpuTimeSince(0)).toEqual([]);
        await store.addCpuTime('p', 'alice', 10 * h, 100);
        await store.addCpuTime('p', 'alice', 10 * h, 50.5);
        await store.addCpuTime('p', 'alice', 11 * h, 25);
        await store.addCpuTime('p', 'bob', 9 * h, 7);
        await store.addCpuTime('q', 'alice', 12 * h, 1);
        expect(byProjectUser(await store.cpuTimeSince(0))).toEqual([
          { project: 'p', user: 'alice', cpuSeconds: 175.5 },
          { project: 'p', user: 'bob', cpuSeconds: 7 },
          { project: 'q', user: 'alice', cpuSeconds: 1 },
        ]);
        // A bucket counts when it starts at or after the time given.
        expect(byProjectUser(await store.cpuTimeSince(10 * h))).toEqual([
          { project: 'p', user: 'alice', cpuSeconds: 175.5 },
          { project: 'q', user: 'alice', cpuSeconds: 1 },
        ]);
        expect(byProjectUser(await store.cpuTimeSince(10 * h + 1))).toEqual([
          { project: 'p', user: 'alice', cpuSeconds: 25 },
          { project: 'q', user: 'alice', cpuSeconds: 1 },
        ]);
        expect(await store.cpuTimeSince(13 * h)).toEqual([]);
      });

      it('refuses a bucket that is not whole seconds and an amount that is not a finite number ≥ 0', async () => {
        await expect(store.addCpuTime('p', 'alice', 1.5, 1)).rejects.toThrow();
        await expect(store.addCpuTime('p', 'alice', h, Number.NaN)).rejects.toThrow();
        await expect(store.addCpuTime('p', 'alice', h, -1)).rejects.toThrow();
        expect(await store.cpuTimeSince(0)).toEqual([]);
      });

      it('resets everyone, a project, a user, or a user in a project, and says how many buckets went', async () => {
        const seed = async () => {
          await store.resetCpuTime();
          for (const [project, user] of [
            ['p', 'alice'],
            ['p', 'bob'],
            ['q', 'alice'],
            ['q', 'bob'],
          ] as const) {
            await store.addCpuTime(project, user, 0, 1);
            await store.addCpuTime(project, user, h, 1);
          }
        };
        const left = async () => byProjectUser(await store.cpuTimeSince(0)).map((r) => `${r.project}/${r.user}=${r.cpuSeconds}`);

        await seed();
        expect(await store.resetCpuTime('p', 'alice')).toBe(2);
        expect(await left()).toEqual(['p/bob=2', 'q/alice=2', 'q/bob=2']);
        await seed();
        expect(await store.resetCpuTime('p')).toBe(4);
        expect(await left()).toEqual(['q/alice=2', 'q/bob=2']);
        await seed();
        expect(await store.resetCpuTime(undefined, 'bob')).toBe(4);
        expect(await left()).toEqual(['p/alice=2', 'q/alice=2']);
        await seed();
        expect(await store.resetCpuTime()).toBe(8);
        expect(await left()).toEqual([]);
        expect(await store.resetCpuTime('nope')).toBe(0);
      });

      it('leaves fair-share usage alone when cpu time is reset', async () => {
        const usage: UsageRow = { project: 'p', user: 'alice', units: 9, updatedAt: FIXTURE_TIME };
        await store.saveUsage([usage]);
        await store.addCpuTime('p', 'alice', 0, 9);
        await store.resetCpuTime();
        expect(await store.getUsage()).toEqual([usage]);
      });
    });

    describe('ssh keys', () => {
      const key = (user: string, id: string, createdAt = FIXTURE_TIME): StoredSshKey => ({
        id,
        user,
        type: 'ssh-ed25519',
        fingerprint: `SHA256:${id}-fingerprint`,
        comment: `${user}@laptop`,
        publicKey: `ssh-ed25519 AAAA${id} ${user}@laptop`,
        createdAt,
      });

      beforeEach(async () => {
        await store.createUser(makeUser('alice'));
        await store.createUser(makeUser('bob'));
      });

      it('adds and lists a user\u2019s keys, oldest first, with the key line kept for the gateway only', async () => {
        const { publicKey: _line, ...shown } = key('alice', 'k2', '2030-01-01T00:00:01.000Z');
        expect(await store.addSshKey(key('alice', 'k2', '2030-01-01T00:00:01.000Z'))).toEqual(shown);
        await store.addSshKey(key('alice', 'k1', '2030-01-01T00:00:00.000Z'));
        await store.addSshKey(key('bob', 'k1'));
        expect(await store.listSshKeys('alice')).toEqual([
          key('alice', 'k1', '2030-01-01T00:00:00.000Z'),
          key('alice', 'k2', '2030-01-01T00:00:01.000Z'),
        ]);
        expect(await store.listSshKeys('bob')).toEqual([key('bob', 'k1')]);
        expect(await store.listSshKeys('carol')).toEqual([]);
      });

      it('refuses a key its user already has (GOD_CONFLICT) and a key of an unknown user (404)', async () => {
        await store.addSshKey(key('alice', 'k1'));
        const twice = await failure(store.addSshKey({ ...key('alice', 'k1'), comment: 'again' }));
        expect([twice.code, twice.status]).toEqual([ErrorCodes.CONFLICT, 409]);
        expect(await store.listSshKeys('alice')).toEqual([key('alice', 'k1')]);
        const nobody = await failure(store.addSshKey(key('carol', 'k1')));
        expect([nobody.code, nobody.status]).toEqual([ErrorCodes.NOT_FOUND, 404]);
      });

      it('removes one key of its user only; an unknown id is 404', async () => {
        await store.addSshKey(key('alice', 'k1'));
        await store.addSshKey(key('bob', 'k1'));
        await store.deleteSshKey('alice', 'k1');
        expect(await store.listSshKeys('alice')).toEqual([]);
        expect(await store.listSshKeys('bob')).toEqual([key('bob', 'k1')]);
        const missing = await failure(store.deleteSshKey('alice', 'k1'));
        expect([missing.code, missing.status]).toEqual([ErrorCodes.NOT_FOUND, 404]);
      });
    });

    describe("sacct's time window", () => {
      const at = (day: number) => `2024-03-${String(day).padStart(2, '0')}T12:00:00.000Z`;
      /** [submitted day, ended day or null (not ended), user, state] */
      const shapes: Array<[number, number | null, string, JobState]> = [
        [1, 2, 'alice', 'done'],
        [3, 5, 'bob', 'failed'],
        [4, null, 'alice', 'running'],
        [6, 7, 'alice', 'done'],
        [8, null, 'bob', 'pending'],
        [9, 9, 'bob', 'done'],
      ];
      let seeded: Job[];

      beforeEach(async () => {
        seeded = [];
        for (const [submitted, ended, user, state] of shapes) {
          seeded.push(
            await insert({
              user: { name: user },
              status: {
                state,
                submittedAt: at(submitted),
                endedAt: ended === null ? null : at(ended),
                startedAt: state === 'pending' ? null : at(submitted),
              },
            }),
          );
        }
      });

      /** Ids of the seeded jobs that ran at some time in [from, to], newest first. */
      function ranIn(from: number | null, to: number | null, only: (job: Job) => boolean = () => true): number[] {
        return ids(
          seeded.filter((j, i) => {
            const [submitted, ended] = shapes[i] as (typeof shapes)[number];
            return (to === null || submitted <= to) && (from === null || ended === null || ended >= from) && only(j);
          }),
        ).sort(newestFirst);
      }

      it('keeps jobs that ran at some time in the window, and only them, page after page', async () => {
        for (const [from, to] of [
          [5, 6],
          [3, null],
          [null, 3],
          [10, null],
          [2, 2],
        ] as Array<[number | null, number | null]>) {
          const window = { ...(from === null ? {} : { from: at(from) }), ...(to === null ? {} : { to: at(to) }) };
          expect(ids(await listAll({ window }, 2)), `window ${from}..${to}`).toEqual(ranIn(from, to));
        }
      });

      it('combines with the other filters and with counting', async () => {
        const window = { from: at(5), to: at(8) };
        expect(ids(await listAll({ window, user: 'bob' }))).toEqual(ranIn(5, 8, (j) => j.user.name === 'bob'));
        expect(ids(await listAll({ window, states: ['done', 'running'] }))).toEqual(
          ranIn(5, 8, (j) => ['done', 'running'].includes(j.status.state)),
        );
        expect((await store.listJobIds({ window })).sort(newestFirst)).toEqual(ranIn(5, 8));
      });

      it('sees a job end: once ended before the window it leaves it', async () => {
        const running = seeded[2] as Job;
        const window = { from: at(20) };
        expect(ids(await listAll({ window }))).toContain(running.id);
        await store.updateJob(running.id, { state: { to: 'done', reason: 'exited', at: at(10) }, status: { endedAt: at(10) } });
        expect(ids(await listAll({ window }))).not.toContain(running.id);
        expect(ids(await listAll({ window: { from: at(10) } }))).toContain(running.id);
      });
    });

    describe('notification outbox', () => {
      const record = (id: string, createdAt: string, jobId = 1): NotificationRecord => ({
        id,
        jobId,
        channel: id.endsWith('webhook') ? 'webhook' : 'mail',
        payload: JSON.stringify({ jobId, state: 'done' }),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: createdAt,
        lastError: null,
        createdAt,
        doneAt: null,
      });

      it('records a delivery once, however often it is recorded again', async () => {
        const first = record('1:2:mail', '2024-01-01T00:00:01.000Z');
        expect(await store.addNotifications([first, record('1:2:webhook', '2024-01-01T00:00:01.000Z')])).toBe(2);
        expect(
          await store.addNotifications([{ ...first, payload: 'changed' }, record('1:3:mail', '2024-01-01T00:00:02.000Z')]),
        ).toBe(1);
        const stored = await store.notificationsOfJob(1);
        expect(stored.map((r) => r.id)).toEqual(['1:2:mail', '1:2:webhook', '1:3:mail']);
        expect(stored[0]).toEqual(first);
      });

      it('hands out pending deliveries oldest first, and no longer those sent or given up', async () => {
        await store.addNotifications([
          record('2:1:mail', '2024-01-01T00:00:03.000Z', 2),
          record('1:1:mail', '2024-01-01T00:00:01.000Z'),
          record('1:1:webhook', '2024-01-01T00:00:02.000Z'),
        ]);
        expect((await store.pendingNotifications(2)).map((r) => r.id)).toEqual(['1:1:mail', '1:1:webhook']);
        await store.updateNotification('1:1:mail', {
          status: 'sent',
          attempts: 1,
          nextAttemptAt: '2024-01-01T00:00:01.000Z',
          lastError: null,
          doneAt: '2024-01-01T00:00:05.000Z',
        });
        await store.updateNotification('1:1:webhook', {
          status: 'failed',
          attempts: 5,
          nextAttemptAt: '2024-01-01T00:01:00.000Z',
          lastError: 'HTTP 404',
          doneAt: '2024-01-01T00:01:00.000Z',
        });
        expect((await store.pendingNotifications(10)).map((r) => r.id)).toEqual(['2:1:mail']);
        const [sent, failed] = await store.notificationsOfJob(1);
        expect(sent).toMatchObject({ status: 'sent', attempts: 1, doneAt: '2024-01-01T00:00:05.000Z' });
        expect(failed).toMatchObject({ status: 'failed', attempts: 5, lastError: 'HTTP 404' });
      });

      it('purges deliveries sent or given up before a time, and keeps pending and newer ones', async () => {
        await store.addNotifications([
          record('3:1:mail', '2024-01-01T00:00:01.000Z', 3),
          record('3:1:webhook', '2024-01-01T00:00:01.000Z', 3),
          record('3:2:mail', '2024-01-01T00:00:02.000Z', 3),
          record('3:3:mail', '2024-01-01T00:00:03.000Z', 3),
        ]);
        const done = (status: 'sent' | 'failed', doneAt: string) => ({
          status,
          attempts: 1,
          nextAttemptAt: '2024-01-01T00:00:01.000Z',
          lastError: status === 'failed' ? 'HTTP 404' : null,
          doneAt,
        });
        await store.updateNotification('3:1:mail', done('sent', '2024-01-02T00:00:00.000Z'));
        await store.updateNotification('3:1:webhook', done('failed', '2024-01-03T00:00:00.000Z'));
        await store.updateNotification('3:2:mail', done('sent', '2024-01-10T00:00:00.000Z'));
        // 3:3:mail stays pending: it is not delivered yet, however old.
        expect(await store.purgeNotifications('2024-01-05T00:00:00.000Z')).toBe(2);
        expect((await store.notificationsOfJob(3)).map((r) => r.id)).toEqual(['3:2:mail', '3:3:mail']);
        expect(await store.purgeNotifications('2024-01-05T00:00:00.000Z')).toBe(0);
        expect(await store.purgeNotifications('2030-01-01T00:00:00.000Z')).toBe(1);
        expect((await store.notificationsOfJob(3)).map((r) => r.id)).toEqual(['3:3:mail']);
        expect((await store.pendingNotifications(10)).map((r) => r.id)).toEqual(['3:3:mail']);
      });

      it('says NOT_FOUND for a delivery it never recorded', async () => {
        const error = await failure(
          store.updateNotification('9:9:mail', {
            status: 'sent',
            attempts: 1,
            nextAttemptAt: FIXTURE_TIME,
            lastError: null,
            doneAt: null,
          }),
        );
        expect(error.code).toBe(ErrorCodes.NOT_FOUND);
      });
    });

    describe('sessions', () => {
      const session = (user: string, name: string, kind: Session['kind'] = 'drmaa2'): Session => ({
        name,
        user,
        kind,
        createdAt: FIXTURE_TIME,
      });

      beforeEach(async () => {
        await store.createUser(makeUser('alice'));
        await store.createUser(makeUser('bob'));
      });

      it('creates, gets and lists a user\u2019s sessions, ordered by name', async () => {
        expect(await store.createSession(session('alice', 'run-b'))).toEqual(session('alice', 'run-b'));
        await store.createSession(session('alice', 'run-a', 'drmaa1'));
        await store.createSession(session('bob', 'run-c'));
        expect(await store.getSession('alice', 'run-a')).toEqual(session('alice', 'run-a', 'drmaa1'));
        expect(await store.getSession('alice', 'run-c')).toBeNull();
        expect(await store.listSessions('alice')).toEqual([session('alice', 'run-a', 'drmaa1'), session('alice', 'run-b')]);
        expect(await store.listSessions('carol')).toEqual([]);
      });

      it('keeps names per user: a taken name is GOD_CONFLICT for its owner only', async () => {
        await store.createSession(session('alice', 'default'));
        expect((await failure(store.createSession(session('alice', 'default', 'drmaa1')))).code).toBe(ErrorCodes.CONFLICT);
        expect(await store.getSession('alice', 'default')).toEqual(session('alice', 'default'));
        await store.createSession(session('bob', 'default'));
        expect(await store.getSession('bob', 'default')).toEqual(session('bob', 'default'));
      });

      it('deletes a session; its jobs stay, in no session, and a new session of that name starts empty', async () => {
        await store.createSession(session('alice', 's1'));
        const inside = await insert({ session: 's1', status: { state: 'running' } });
        const bobs = await insert({ user: { name: 'bob' }, session: 's1' });
        await store.deleteSession('alice', 's1');
        expect(await store.getSession('alice', 's1')).toBeNull();
        expect(await store.getJob(inside.id)).toEqual({ ...inside, session: null });
        expect(await store.getJob(bobs.id)).toEqual(bobs);
        expect(await store.listJobIds({ user: 'alice', session: 's1' })).toEqual([]);
        await store.createSession(session('alice', 's1'));
        expect(await store.listJobIds({ user: 'alice', session: 's1' })).toEqual([]);
        const error = await failure(store.deleteSession('alice', 'nope'));
        expect([error.code, error.status]).toEqual([ErrorCodes.SESSION_NOT_FOUND, 404]);
      });

      it('reaps a job once: the second reap, an unknown id and a racing reap get nothing', async () => {
        const a = await insert({ session: 's1', status: { state: 'done' } });
        const b = await insert({ session: 's1', status: { state: 'failed' } });
        expect(await store.reapJobs([a.id, 999_999], FIXTURE_TIME)).toEqual([a.id]);
        expect(await store.reapJobs([a.id], FIXTURE_TIME)).toEqual([]);
        const racing = await Promise.all([store.reapJobs([b.id], FIXTURE_TIME), store.reapJobs([b.id], FIXTURE_TIME)]);
        expect(racing.flat()).toEqual([b.id]);
        // Reaping takes a job out of its session's waits, not out of the store.
        expect(await store.getJob(a.id)).toEqual(a);
      });

      it('finds ended jobs older than a date not archived yet, by id; an archived one is left out and keeps its record', async () => {
        const at = (day: number) => `2024-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
        const old = await insert({ status: { state: 'done', endedAt: at(1) } });
        const oldFailed = await insert({ status: { state: 'failed', endedAt: at(2) } });
        await insert({ status: { state: 'done', endedAt: at(20) } });
        await insert({ status: { state: 'running', startedAt: at(1) } });
        await insert({ status: { state: 'pending' } });
        const older = await insert({ status: { state: 'done', endedAt: at(3) } });
        expect(ids(await store.endedJobsBefore(at(10), 0, 10))).toEqual([old.id, oldFailed.id, older.id]);
        expect(ids(await store.endedJobsBefore(at(10), 0, 2))).toEqual([old.id, oldFailed.id]);
        expect(ids(await store.endedJobsBefore(at(10), oldFailed.id, 2))).toEqual([older.id]);
        const archived = await store.updateJob(old.id, { status: { archivedAt: at(12) } }, { states: ['done', 'failed'] });
        expect(archived?.status.archivedAt).toBe(at(12));
        expect(archived?.status.state).toBe('done');
        expect(archived?.usage).toEqual(old.usage);
        expect((await store.getJob(old.id))?.status.archivedAt).toBe(at(12));
        expect(ids(await store.endedJobsBefore(at(10), 0, 10))).toEqual([oldFailed.id, older.id]);
      });

      it('lists job ids oldest first, by session, reaped mark and array parenthood', async () => {
        const single = await insert({ session: 's1' });
        const { job: parent } = await store.insertJobs({
          jobs: makeArrayJobs(2).map((j) => ({ ...j, session: 's1' })),
          isArray: true,
        });
        const tasks = await store.listJobIds({ parentId: parent.id });
        const elsewhere = await insert({ session: 's2' });
        await store.reapJobs([single.id], FIXTURE_TIME);
        expect(await store.listJobIds({ session: 's1' })).toEqual([single.id, parent.id, ...tasks]);
        expect(tasks).toHaveLength(2);
        expect(await store.listJobIds({ session: 's1', reaped: false, arrayParent: false })).toEqual(tasks);
        expect(await store.listJobIds({ session: 's1', reaped: true })).toEqual([single.id]);
        expect(await store.listJobIds({ arrayParent: true })).toEqual([parent.id]);
        expect(ids(await listAll({ session: 's1', reaped: false }))).toEqual([...tasks, parent.id].sort(newestFirst));
        expect(await store.listJobIds({ reaped: false, session: 's2' })).toEqual([elsewhere.id]);
        expect(await store.countByState({ session: 's1', reaped: false, arrayParent: false })).toEqual({ pending: 2 });
        expect(await store.listJobIds({ states: [] })).toEqual([]);
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
        await store.createProject(makeProject('genomics', { shares: 2, quota: { cpu: 8 } }));
        await store.addMember('genomics', 'alice', 3);
        const updatedAlice = await store.updateUser('alice', { priority: 4, quota: { gpus: 1 } });
        const usage: UsageRow = { project: 'genomics', user: 'alice', units: 12.5, updatedAt: FIXTURE_TIME };
        await store.saveUsage([usage]);
        await store.addCpuTime('genomics', 'alice', 7200, 30);
        const projects = await store.listProjects();
        const session: Session = { name: 's1', user: 'alice', kind: 'drmaa1', createdAt: FIXTURE_TIME };
        await store.createSession(session);
        const reaped = await insert({ session: 's1', status: { state: 'done' } });
        await store.reapJobs([reaped.id], FIXTURE_TIME);
        const drained = await store.drainNode({ name: 'node-1', reason: 'maintenance', by: 'alice', at: FIXTURE_TIME });
        const sampled = addSample(
          emptyUsage(parent.id, 10),
          {
            at: '2024-01-01T00:00:10.000Z',
            cpuSeconds: 3,
            memoryBytes: 2 ** 20,
            peakMemoryBytes: 2 ** 21,
            readBytes: 1,
            writeBytes: 2,
            rxBytes: 3,
            txBytes: 4,
          },
          FIXTURE_TIME,
          10,
        );
        await store.saveJobUsage([sampled]);

        await store.close();
        store = await reopen(store);
        // A restarting daemon migrates first; that must not touch the data either.
        await store.migrate();

        expect(await store.getUser('alice')).toEqual(updatedAlice);
        expect((await store.findToken('hash-1'))?.user).toEqual(updatedAlice);
        expect(await store.listProjects()).toEqual(projects);
        expect(await store.getUsage()).toEqual([usage]);
        expect(await store.cpuTimeSince(0)).toEqual([{ project: 'genomics', user: 'alice', cpuSeconds: 30 }]);
        expect(await store.getMeta('instance')).toBe('one');
        expect(await store.listSessions('alice')).toEqual([session]);
        expect(await store.drainedNodes()).toEqual([drained]);
        expect(await store.getJobUsage(parent.id)).toEqual(sampled);
        expect(await store.listJobIds({ reaped: true })).toEqual([reaped.id]);
        expect((await listAll({})).filter((j) => j.id !== reaped.id)).toEqual(before);
        expect(await store.getJob(parent.id)).toEqual(moved);
        expect(ids(await listAll({ states: ['running'] }))).toEqual([parent.id]);
        const retry = await store.insertJobs({ jobs: makeArrayJobs(3), isArray: true, idempotency });
        expect(retry).toEqual({ job: moved, created: false });
        const next = await insert();
        expect(next.id).toBeGreaterThan(Math.max(...ids(before)));
      });

    if (options.reopen)
      it('keeps an array\u2019s counts across close and reopen, and goes on moving them', async () => {
        const reopen = options.reopen as NonNullable<ConformanceOptions['reopen']>;
        const { job } = await store.insertJobs({ jobs: makeArrayJobs(2, { meta: { tags: ['gpu'] } }), isArray: true });
        const [t0, t1] = (await store.listJobIds({ parentId: job.id })) as [number, number];
        await store.updateJob(t0, { state: { to: 'running', reason: 'started', at: FIXTURE_TIME } });
        const before = await store.getJob(job.id);
        expect(before?.array?.tasks).toEqual({ pending: 1, running: 1 });

        await store.close();
        store = await reopen(store);
        await store.migrate();

        expect(await store.getJob(job.id)).toEqual(before);
        await store.updateJob(t0, { state: { to: 'done', reason: 'exited', at: FIXTURE_TIME } });
        await store.updateJob(t1, { state: { to: 'failed', reason: 'killed', at: FIXTURE_TIME } });
        expect(await store.getJob(job.id)).toMatchObject({
          array: { tasks: { done: 1, failed: 1 } },
          status: { state: 'failed', reason: 'some tasks failed: 1 done, 1 failed' },
        });
        expect(ids(await listAll({ tag: 'gpu', arrayParent: true }))).toEqual([job.id]);
      });
  });
}
