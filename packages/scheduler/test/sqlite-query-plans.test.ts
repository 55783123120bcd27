/**
 * Every job filter the API sends is answered from an index, as SQLite's own
 * EXPLAIN QUERY PLAN says: no walk of the whole jobs table (or of a whole index),
 * no sort of every match. Checked on a fresh database (no statistics) and after
 * ANALYZE on a mixed one, since the planner's choice may follow the statistics.
 * How fast that makes a page is measured in bench/list-filters.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobState } from '@godocker/sdk';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COUNT_BY_PROJECT_STATE_SQL,
  COUNT_PARENTS_BY_PROJECT_STATE_SQL,
  countQuery,
  idsQuery,
  jobsQuery,
  listQuery,
  QUEUED_JOBS_SQL,
  type Query,
} from '../src/store/sqlite-job-queries.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { JobFilter, NewJob } from '../src/store/store.js';
import { makeArrayJobs, makeJob } from './fixtures/jobs.js';
import { pick, random } from './sim/random.js';

const STATES: JobState[] = ['pending', 'held', 'running', 'suspended', 'done', 'failed'];
const PARENT = 1;

/** The shapes listJobs gets from GET /jobs (an admin's, and a user's: always with `user`) and the DRMAA sessions. */
const LISTS: JobFilter[] = [
  { states: ['done'] },
  { states: ['pending', 'held'] },
  { states: ['pending', 'held', 'running', 'suspended'] },
  { user: 'u1' },
  { user: 'u1', states: ['running'] },
  { user: 'u1', states: ['done', 'failed'] },
  { project: 'p1' },
  { project: 'p1', states: ['held'] },
  { user: 'u1', project: 'p2' },
  { tag: 'gpu' },
  { user: 'u1', tag: 'gpu' },
  { user: 'u1', tag: 'gpu', states: ['pending', 'running'] },
  { name: 'align' },
  { user: 'u1', name: 'align' },
  { session: 's1' },
  { user: 'u1', session: 's1' },
  { user: 'u1', session: 's1', reaped: false },
  { user: 'u1', session: 's1', reaped: true },
  { user: 'u1', session: 's1', reaped: false, arrayParent: false },
  { parentId: PARENT },
  { parentId: PARENT, states: ['failed'] },
  { parentId: PARENT, states: ['done', 'failed'] },
  { user: 'u1', parentId: PARENT },
  { reaped: true },
  { reaped: false },
  { user: 'u1', reaped: false },
  { arrayParent: false },
  { arrayParent: true },
  { user: 'u1', arrayParent: false },
  { states: ['pending'], arrayParent: false },
  { user: 'u1', states: ['running', 'held'], arrayParent: false },
];

/** listJobIds: a session's waits and actions, an array's tasks (DRMAA 1). */
const ID_LISTS: JobFilter[] = [
  { user: 'u1', session: 's1', reaped: false, arrayParent: false },
  { user: 'u1', session: 's1', reaped: false },
  { user: 'u1', session: 's1', reaped: false, states: ['pending', 'held', 'running', 'suspended'] },
  { parentId: PARENT },
];

/** countByState: the pending quotas at each submit; an array's tasks. */
const COUNTS: JobFilter[] = [
  { user: 'u1', states: ['pending', 'held'] },
  { project: 'p1', states: ['pending', 'held'] },
  { parentId: PARENT },
];

const dir = mkdtempSync(join(tmpdir(), 'godocker-plans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A mixed store: users, projects, sessions (some reaped), tags, names and arrays. */
async function populate(path: string): Promise<void> {
  const store = SqliteStore.open(path);
  await store.migrate();
  const rnd = random(3);
  await store.insertJobs({ jobs: makeArrayJobs(300, { user: { name: 'u1' }, project: 'p1' }), isArray: true });
  const submissions = Array.from({ length: 3000 }, (_, i) => {
    const u = rnd() < 0.5 ? 0 : Math.floor(rnd() * 20);
    const job: NewJob = makeJob({
      user: { name: `u${u}` },
      project: `p${u % 4}`,
      session: rnd() < 0.2 ? pick(rnd, ['s1', 's2']) : null,
      meta: { name: pick(rnd, ['job', 'job', 'align', `n${i}`]), tags: rnd() < 0.2 ? [pick(rnd, ['gpu', 'cpu'])] : [] },
      status: { state: pick(rnd, ['done', 'done', 'done', 'failed', 'pending', 'held', 'running'] as const) },
    });
    return { jobs: [job], isArray: false };
  });
  await store.insertBatch({ submissions });
  for (let a = 0; a < 20; a++) await store.insertJobs({ jobs: makeArrayJobs(20, { user: { name: `u${a}` } }), isArray: true });
  const ended = await store.listJobIds({ states: ['done', 'failed'], session: 's1' });
  await store.reapJobs(
    ended.filter((_, i) => i % 4 !== 0),
    '2024-01-02T00:00:00.000Z',
  );
  await store.close();
}

function planOf(db: Database.Database, query: Query): string[] {
  return db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${query.sql}`)
    .all(...query.params)
    .map((row) => row.detail);
}

/** The lines of a plan that read every job (of the table or of a whole index), or sort every match. */
function walksEverything(plan: string[]): string[] {
  return plan.filter((line) => /^SCAN (jobs|t|job_tags)\b/.test(line) || line.includes('TEMP B-TREE'));
}

describe.each([
  ['a fresh database', false],
  ['a database with statistics (ANALYZE)', true],
])('query plans on %s', (_, analyze) => {
  let db: Database.Database;

  beforeAll(async () => {
    const path = join(dir, `plans-${analyze}.db`);
    await populate(path);
    db = new Database(path);
    // Closing the store may have gathered statistics already (PRAGMA optimize): make each case what it says.
    if (analyze) db.exec('ANALYZE');
    else if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get()) db.exec('DELETE FROM sqlite_stat1');
    const stats = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get()
      ? db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM sqlite_stat1').get()?.n
      : 0;
    expect(stats === 0).toBe(!analyze);
    // Statistics are read when a connection opens.
    db.close();
    db = new Database(path);
  });

  afterAll(() => db.close());

  it.each(LISTS.map((f) => [JSON.stringify(f), f] as const))('lists %s from an index, without and with a cursor', (_, f) => {
    for (const page of [{ limit: 50 }, { limit: 50, cursor: 2000 }]) {
      const plan = planOf(db, listQuery(f, page) as Query);
      expect(walksEverything(plan), plan.join('\n')).toEqual([]);
    }
  });

  it.each(ID_LISTS.map((f) => [JSON.stringify(f), f] as const))('lists the ids of %s from an index', (_, f) => {
    const plan = planOf(db, idsQuery(f) as Query);
    expect(walksEverything(plan), plan.join('\n')).toEqual([]);
  });

  it.each(COUNTS.map((f) => [JSON.stringify(f), f] as const))('counts %s from an index alone', (_, f) => {
    const plan = planOf(db, countQuery(f) as Query);
    expect(walksEverything(plan), plan.join('\n')).toEqual([]);
    // Covering: the count reads index entries, never a job's row.
    expect(plan.join('\n')).toMatch(/COVERING INDEX/);
  });

  it('counts every job by project and state (/metrics) from the index alone, and the array parents by theirs', () => {
    // Every job is counted, so every index entry is read; but never a job's row, and nothing sorted.
    expect(planOf(db, { sql: COUNT_BY_PROJECT_STATE_SQL, params: [] })).toEqual([
      'SCAN jobs USING COVERING INDEX jobs_project_state',
    ]);
    const parents = planOf(db, { sql: COUNT_PARENTS_BY_PROJECT_STATE_SQL, params: [] });
    expect(parents[0]).toBe('SEARCH jobs USING INDEX jobs_array_parent (array_parent=?)');
  });

  it('reads the jobs of some states, and the queue page by page, from the state index (a daemon starting)', () => {
    for (const states of [['running', 'suspended'], ['pending'], ['pending', 'held', 'running', 'suspended']] as JobState[][]) {
      const plan = planOf(db, jobsQuery({ states }) as Query);
      expect(walksEverything(plan), plan.join('\n')).toEqual([]);
    }
    const plan = planOf(db, { sql: QUEUED_JOBS_SQL, params: [1000, 5000] });
    expect(plan).toEqual(['SEARCH jobs USING INDEX jobs_state (state=? AND id>?)']);
  });

  it('walks the primary key for the unfiltered page, and stops at its end', () => {
    expect(planOf(db, listQuery({}, { limit: 50 }) as Query)).toEqual(['SCAN jobs']);
  });

  it('has a shape for every state and every pair of states', () => {
    for (const a of STATES) {
      for (const b of STATES) {
        const plan = planOf(db, listQuery({ states: a === b ? [a] : [a, b] }, { limit: 50 }) as Query);
        expect(walksEverything(plan), plan.join('\n')).toEqual([]);
      }
    }
  });
});
