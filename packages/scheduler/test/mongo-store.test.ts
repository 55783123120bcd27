/**
 * The MongoDB store against a real MongoDB-wire server (FerretDB, helpers/mongo.ts): the
 * conformance suite the SQLite store passes, every test of it, and what the store adds for
 * a server without multi-document transactions (a writer that died half-way).
 */
import { ErrorCodes, type GodockerError } from '@godocker/sdk';
import { MongoClient } from 'mongodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jobFields } from '../src/store/mongo-job-docs.js';
import { MongoStore } from '../src/store/mongo-store.js';
import { STALE_MS } from '../src/store/mongo-versions.js';
import type { NewJob, Store } from '../src/store/store.js';
import { FIXTURE_TIME, makeArrayJobs, makeJob } from './fixtures/jobs.js';
import { MONGO_URL, mongoDatabases, requireMongo } from './helpers/mongo.js';
import { describeStoreConformance } from './store-conformance.js';

beforeAll(requireMongo);

const newDatabase = mongoDatabases('godocker_store');
const databaseOf = new WeakMap<Store, string>();

async function open(database = newDatabase()): Promise<MongoStore> {
  const store = await MongoStore.open({ url: MONGO_URL, database });
  databaseOf.set(store, database);
  return store;
}

describeStoreConformance('mongodb (FerretDB)', () => open(), {
  reopen: async (previous) => {
    const database = databaseOf.get(previous);
    if (database === undefined) throw new Error('reopen was given a store this test did not open');
    return open(database);
  },
});

/** Two daemons on one database: each its own store (its own connections), as on two machines. */
async function twoStores(): Promise<[MongoStore, MongoStore]> {
  const database = newDatabase();
  const a = await open(database);
  await a.migrate();
  const b = await open(database);
  await b.migrate();
  return [a, b];
}

describe('MongoStore: several daemons on a server whose conditional updates are not atomic', () => {
  let stores: MongoStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  it('the server itself: of racing conditional updates of one document, several report that they won (recorded: FerretDB 1.24)', async () => {
    // What the store is built around (mongo-versions.ts). On MongoDB exactly one would win.
    // A double win needs the updates to interleave inside FerretDB, which a quiet or a busy machine
    // makes rarer: racers on connections of their own, and rounds until one is seen (bounded).
    const clients = [0, 1, 2, 3].map(() => new MongoClient(MONGO_URL));
    const db = newDatabase();
    const colls = clients.map((c) => c.db(db).collection<{ _id: number; v: number }>('race'));
    const [first] = colls as [(typeof colls)[number]];
    try {
      let doubleWins = 0;
      for (let i = 0; i < 400 && doubleWins === 0; i++) {
        await first.insertOne({ _id: i, v: 0 });
        const r = await Promise.all([...colls, ...colls].map((coll) => coll.updateOne({ _id: i, v: 0 }, { $set: { v: 1 } })));
        if (r.filter((x) => x.modifiedCount === 1).length > 1) doubleWins++;
      }
      expect(doubleWins).toBeGreaterThan(0);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('lets exactly one of racing compare-and-sets from two daemons win, every time', async () => {
    stores = await twoStores();
    const [a, b] = stores as [MongoStore, MongoStore];
    for (let i = 0; i < 20; i++) {
      const { job } = await a.insertJobs({ jobs: [makeJob()], isArray: false });
      const change = (who: string) => ({ state: { to: 'running' as const, reason: `started by ${who}`, at: FIXTURE_TIME } });
      const results = await Promise.all([
        a.updateJob(job.id, change('a'), { states: ['pending'] }),
        b.updateJob(job.id, change('b'), { states: ['pending'] }),
        a.updateJob(job.id, change('a2'), { states: ['pending'] }),
        b.updateJob(job.id, change('b2'), { states: ['pending'] }),
      ]);
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      const stored = await b.getJob(job.id);
      expect(stored?.status.history.filter((h) => h.state === 'running')).toHaveLength(1);
      expect(stored?.status.reason).toBe(winners[0]?.status.reason);
    }
  });

  it('stores one job for racing submits with one idempotency key from two daemons', async () => {
    stores = await twoStores();
    const [a, b] = stores as [MongoStore, MongoStore];
    const idempotency = { user: 'alice', key: 'once' };
    const results = await Promise.all(
      [a, b, a, b, a, b].map((s) => s.insertJobs({ jobs: makeArrayJobs(3), isArray: true, idempotency })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(await a.countByState({})).toEqual({ pending: 4 });
  });

  it('gives racing submits from two daemons ids no other job has, also when the id counter fell behind', async () => {
    stores = await twoStores();
    const [a, b] = stores as [MongoStore, MongoStore];
    const submitRound = () =>
      Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 3 === 0
            ? (i % 2 === 0 ? a : b).insertJobs({ jobs: makeArrayJobs(4), isArray: true })
            : (i % 2 === 0 ? a : b).insertEach([
                { jobs: [makeJob()], isArray: false },
                { jobs: [makeJob()], isArray: false },
              ]),
        ),
      );
    await submitRound();
    // Each job's first version superseded and removed: a new job written at an id in use would
    // not even meet a duplicate key, only lie below the job there.
    for (const id of await a.listJobIds({})) await a.updateJob(id, { hold: true });
    await a.settled();
    // A counter that lags (a lost write of it, a restored backup): ids must still never repeat.
    const db = new MongoClient(MONGO_URL);
    try {
      await db
        .db(databaseOfStore(a))
        .collection<{ _id: string; seq: number }>('counters')
        .updateOne({ _id: 'jobs' }, { $set: { seq: 0 } });
    } finally {
      await db.close();
    }
    await submitRound();
    await a.settled();
    await b.settled();
    const ids = await a.listJobIds({});
    // Per round: 3 arrays of 4 tasks and a parent, 5 groups of 2 single jobs.
    expect(ids).toHaveLength(2 * (3 * 5 + 5 * 2));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect((await b.getJob(id))?.id).toBe(id);
  });

  it('keeps a quota of waiting jobs against racing submits from two daemons', async () => {
    stores = await twoStores();
    const [a, b] = stores as [MongoStore, MongoStore];
    const limits = [{ scope: 'user' as const, name: 'alice', max: 5, adds: 1 }];
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).insertJobs({ jobs: [makeJob()], isArray: false, limits })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as GodockerError).code).toBe(ErrorCodes.QUOTA_EXCEEDED);
    expect(await b.countByState({ user: 'alice' })).toEqual({ pending: 5 });
  });

  it('shows nothing of an array whose writer died before it committed, and removes it once stale', async () => {
    stores = await twoStores();
    const [a] = stores as [MongoStore];
    const before = await a.insertJobs({ jobs: [makeJob()], isArray: false });
    // What a writer killed half-way through an array's insert leaves: some versions of its change, no decision.
    const db = new MongoClient(MONGO_URL);
    try {
      const jobs = db.db(databaseOfStore(a)).collection<{ _id: string }>('jobs');
      const tx = 'dead-writer';
      await jobs.insertMany(
        [100, 101, 102].map((k, i) => ({
          _id: `${k}#1`,
          k,
          v: 1,
          at: Date.now(),
          tx,
          undecided: true,
          ...jobFields(makeJob({ taskIndex: i === 0 ? null : i }), i === 0 ? null : 100, null),
        })),
      );
      expect((await a.listJobs({}, { limit: 10 })).jobs.map((j) => j.id)).toEqual([before.job.id]);
      expect(await a.getJob(101)).toBeNull();
      expect(await a.countByState({})).toEqual({ pending: 1 });
      await a.recover(Date.now() + STALE_MS + 1_000);
      expect(await jobs.countDocuments({ tx })).toBe(0);
      expect(
        await db
          .db(databaseOfStore(a))
          .collection('txns')
          .findOne({ _id: tx as never }),
      ).toMatchObject({ state: 'aborted' });
    } finally {
      await db.close();
    }
  });

  it('shows all of a change whose writer died after it committed, and finishes it', async () => {
    stores = await twoStores();
    const [a] = stores as [MongoStore];
    const { job } = await a.insertJobs({ jobs: [makeJob()], isArray: false });
    const db = new MongoClient(MONGO_URL);
    try {
      const database = db.db(databaseOfStore(a));
      const tx = 'committed-then-died';
      const versions = database.collection<Record<string, unknown>>('jobs');
      const stored = (await versions.findOne({ k: job.id })) as unknown as Record<string, unknown>;
      const doc = JSON.parse(stored.doc as string) as NewJob;
      const next = { ...doc, status: { ...doc.status, state: 'running' as const, reason: 'started' } };
      await versions.insertOne({
        ...stored,
        _id: `${job.id}#2` as never,
        v: 2,
        tx,
        undecided: true,
        state: 'running',
        doc: JSON.stringify(next),
      });
      await database.collection('txns').insertOne({ _id: tx as never, state: 'committed', at: Date.now() });
      expect((await a.getJob(job.id))?.status.state).toBe('running');
      expect(await a.countByState({})).toEqual({ running: 1 });
      await a.recover(Date.now() + STALE_MS + 1_000);
      expect(await database.collection('jobs').countDocuments({ k: job.id })).toBe(1);
      expect(await database.collection('jobs').countDocuments({ tx })).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe('MongoStore: what each daemon keeps of users, tokens and projects', () => {
  let stores: MongoStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  it('sees a change made through another daemon within a quarter of a second, and its own at once', async () => {
    stores = await twoStores();
    const [a, b] = stores as [MongoStore, MongoStore];
    const user = { name: 'carol', uid: 2100, gid: 2100, home: '/home/carol', admin: false, createdAt: FIXTURE_TIME };
    await a.createUser(user);
    await a.createProject({ name: 'genomics', description: '', shares: 1, priority: 0, quota: {}, createdAt: FIXTURE_TIME });
    // An unknown token is never kept: one added elsewhere works at once.
    expect(await b.findToken('h1')).toBeNull();
    await a.addToken('carol', 'h1', 'test');
    expect((await b.findToken('h1'))?.user.admin).toBe(false);
    expect((await b.getProject('genomics'))?.shares).toBe(1);

    await a.updateUser('carol', { admin: true });
    await a.updateProject('genomics', { shares: 7 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await b.findToken('h1'))?.user.admin).toBe(true);
    expect((await b.getUser('carol'))?.admin).toBe(true);
    expect((await b.getProject('genomics'))?.shares).toBe(7);

    await b.addMember('genomics', 'carol', 3);
    expect((await b.getProject('genomics'))?.members).toEqual([{ user: 'carol', shares: 3 }]);
  });
});

function databaseOfStore(store: MongoStore): string {
  const name = databaseOf.get(store);
  if (!name) throw new Error('a store this file did not open');
  return name;
}

describe('MongoStore: fencing a leader that was taken over', () => {
  let stores: MongoStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  it('refuses every job change of a daemon whose epoch a later leader left behind, and keeps the site epoch from going back', async () => {
    stores = await twoStores();
    const [old, next] = stores as [MongoStore, MongoStore];
    let oldEpoch: number | null = 1;
    old.fence(() => oldEpoch);
    next.fence(() => 2);
    expect(await old.claimLeadership(1)).toBe(1);
    const { job } = await old.insertJobs({ jobs: [makeJob()], isArray: false });
    const running = { state: { to: 'running' as const, reason: 'placed', at: FIXTURE_TIME } };
    expect(await old.updateJob(job.id, running, { states: ['pending'] })).not.toBeNull();

    // The old leader was paused past its lease; the next one claimed the site.
    expect(await next.claimLeadership(2)).toBe(2);
    const ended = { state: { to: 'done' as const, reason: 'exited with code 0', at: FIXTURE_TIME } };
    const refused = await old.updateJob(job.id, ended).then(
      () => null,
      (e: unknown) => e as GodockerError,
    );
    expect(refused?.name).toBe('FencedError');
    expect(refused?.message).toMatch(/epoch 1.*taken over.*epoch 2/);
    await expect(old.insertJobs({ jobs: [makeJob()], isArray: false })).rejects.toThrow(/taken over/);
    expect((await next.getJob(job.id))?.status.state).toBe('running');
    // A daemon that does not lead (no epoch) changes nothing either.
    oldEpoch = null;
    await expect(old.updateJob(job.id, ended)).rejects.toThrow(/does not lead/);
    // The new leader goes on; an older claim does not take the site back.
    expect((await next.updateJob(job.id, ended))?.status.state).toBe('done');
    expect(await old.claimLeadership(1)).toBe(2);
    expect(await old.siteEpoch()).toBe(2);
  });
});
