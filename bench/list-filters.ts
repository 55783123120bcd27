/**
 * Listing jobs with filters, straight on the SQLite store: a store of 100,000 jobs
 * (mixed states, skewed users, projects, sessions, tags, arrays), and for every
 * filter shape the API sends, one page of 50 (`listJobs(filter, { limit: 50 })`).
 *
 * Baseline, in the same run: the primary-key page `listJobs({}, { limit: 50 })`,
 * the cheapest listing there is. Each filter and the baseline run in pairs, A B A B
 * (each sample a few calls in a row), and the figure is the median of the
 * per-pair ratios. Target: every filter within 3x of the primary-key page, i.e.
 * answered from an index without walking the jobs that do not match.
 *
 * Counts (countByState, as the pending-quota check asks on every submit) are
 * printed too, with their time: they read as many index entries as they count.
 *
 *   npm run bench -- list-filters
 *   BENCH_JOBS=1000000 BENCH_PAIRS=21 npm run bench -- list-filters
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JobFilter, type NewJob, SqliteStore } from '@godocker/scheduler';
import type { Job, JobState } from '@godocker/sdk';
import { pick, random } from './lib/random.js';
import { fixed, row, target, title } from './lib/report.js';
import { median } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 100_000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 15);
/** Calls per sample: one page takes well under a millisecond, too short to time alone. */
const CALLS = 20;
const LIMIT = 50;
const TARGET_RATIO = 3;
const USERS = 20;
const PROJECTS = 5;
const T0 = Date.parse('2025-01-01T00:00:00.000Z');

const rnd = random(7);
const choose = <T>(xs: readonly T[]): T => pick(rnd, xs);

/** user0 submits 40% of the jobs, the others share the rest. */
const userOf = (): number => (rnd() < 0.4 ? 0 : 1 + Math.floor(rnd() * (USERS - 1)));
/** Each user works in their own project, and now and then in another. */
const projectOf = (u: number): string => `proj${rnd() < 0.9 ? u % PROJECTS : Math.floor(rnd() * PROJECTS)}`;

/** Mostly history; a queue and a few running jobs, as on a busy cluster. */
function singleState(): JobState {
  const x = rnd();
  if (x < 0.7) return 'done';
  if (x < 0.85) return 'failed';
  if (x < 0.95) return 'pending';
  if (x < 0.9985) return 'held';
  return x < 0.9995 ? 'running' : 'suspended';
}

function doc(n: number, u: number, state: JobState, extra: Partial<NewJob> = {}): NewJob {
  const at = new Date(T0 + n * 1000).toISOString();
  const tags = rnd() < 0.2 ? [choose(['gpu', 'rna', 'dna', 'urgent'])] : [];
  if (rnd() < 0.001) tags.push('rare');
  const terminal = state === 'done' || state === 'failed';
  const started = state !== 'pending' && state !== 'held';
  return {
    user: { name: `user${u}`, uid: 2000 + u, gid: 2000 },
    project: projectOf(u),
    session: null,
    meta: {
      name: rnd() < 0.5 ? 'job' : rnd() < 0.9 ? choose(['align', 'call', 'sort', 'index']) : `step${n}`,
      description: '',
      tags,
    },
    command: { script: `bwa mem ref.fa reads_${n}.fq > out_${n}.sam`, args: [], env: { THREADS: '4' }, workdir: null },
    container: { image: 'debian:bookworm-slim', volumes: [{ name: 'home', mode: 'rw' }], network: false, root: false },
    requirements: { cpu: 4, ram: 8192, gpus: 0, tmpstorage: 0, timeLimit: 3600, labels: {} },
    array: null,
    parentId: null,
    taskIndex: null,
    dependencies: [],
    priority: 0,
    hold: state === 'held',
    status: {
      state,
      reason: state,
      exitCode: state === 'done' ? 0 : state === 'failed' ? 1 : null,
      signal: null,
      oomKilled: false,
      submittedAt: at,
      startedAt: started ? at : null,
      endedAt: terminal ? at : null,
      node: started ? 'node-1' : null,
      containerId: null,
      history: [{ state: 'pending', at, reason: 'submitted' }, ...(state === 'pending' ? [] : [{ state, at, reason: state }])],
    },
    usage: { wallSeconds: terminal ? 60 : 0, cpuSeconds: null, maxMemoryMb: null },
    ...extra,
  };
}

const LIVE_TASKS = 2000;

/** An array of `count` tasks from job number `n` on: ended, or running (8 tasks) with half its tasks done. */
async function array(store: SqliteStore, n: number, u: number, count: number, live: boolean): Promise<number> {
  const tasks = Array.from({ length: count }, (_, i) => {
    const state: JobState = live ? (i < 8 ? 'running' : i < count / 2 ? 'done' : 'pending') : rnd() < 0.9 ? 'done' : 'failed';
    return doc(n + 1 + i, u, state, { taskIndex: i });
  });
  const counts: Partial<Record<JobState, number>> = {};
  for (const t of tasks) counts[t.status.state] = (counts[t.status.state] ?? 0) + 1;
  const state: JobState = live ? 'running' : counts.failed ? 'failed' : 'done';
  const parent = doc(n, u, state, { array: { start: 0, end: count - 1, step: 1, throttle: null, count, tasks: counts } });
  for (const t of tasks) t.project = parent.project;
  return (await store.insertJobs({ jobs: [parent, ...tasks], isArray: true })).job.id;
}

/** Fills the store: single jobs in batches, arrays (about 30% of the jobs are tasks), and last a running array of user3. */
async function populate(store: SqliteStore): Promise<{ arrays: number[] }> {
  const arrays: number[] = [];
  let n = 0;
  let batch: NewJob[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await store.insertBatch({ submissions: batch.map((j) => ({ jobs: [j], isArray: false })) });
    batch = [];
  };
  const end = JOBS - LIVE_TASKS - 1;
  while (n < end) {
    const u = userOf();
    if (rnd() < 0.003) {
      await flush();
      const count = Math.min(end - n - 1, choose([100, 100, 100, 2000]));
      if (count < 1) break;
      arrays.push(await array(store, n, u, count, n > JOBS * 0.9));
      n += count + 1;
      continue;
    }
    const state = singleState();
    // A tenth in DRMAA sessions (the same names for every user), most of those ended ones reaped.
    batch.push(doc(n, u, state, rnd() < 0.1 ? { session: `s${Math.floor(rnd() * 3)}` } : {}));
    n++;
    if (batch.length === 500) await flush();
  }
  await flush();
  arrays.push(await array(store, n, 3, LIVE_TASKS, true));
  const ended = await store.listJobIds({ states: ['done', 'failed'], session: 's0' });
  await store.reapJobs(
    ended.filter(() => rnd() < 0.9),
    new Date(T0).toISOString(),
  );
  return { arrays };
}

function timeCalls(fn: () => void): number {
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) fn();
  return (performance.now() - start) / CALLS;
}

interface Shape {
  label: string;
  filter: JobFilter;
}

/** better-sqlite3 answers synchronously: the promise is settled when the call returns, so a sample times the query alone. */
function sync(run: () => Promise<unknown>): () => void {
  return () => {
    void run();
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'godocker-bench-list-'));
  const store = SqliteStore.open(join(dir, 'jobs.db'));
  try {
    await store.migrate();
    title('list-filters', [
      `what:     listJobs(filter, { limit: ${LIMIT} }) on a SQLite store of ${JOBS} jobs, for each filter shape the API sends`,
      `baseline: the primary-key page listJobs({}, { limit: ${LIMIT} }) in the same run; A B A B, ${PAIRS} pairs of ${CALLS} calls, median of the ratios`,
    ]);
    const fillStart = performance.now();
    const { arrays } = await populate(store);
    row('populate', `${fixed((performance.now() - fillStart) / 1000)} s`, `${JOBS} jobs, ${arrays.length} arrays`);
    const big = arrays.at(-1) as number;

    const page = { limit: LIMIT };
    const list = (filter: JobFilter) => () => store.listJobs(filter, page);
    const matching = async (filter: JobFilter) =>
      Object.values(await store.countByState(filter)).reduce((a, b) => a + (b ?? 0), 0);
    const shapes: Shape[] = [
      { label: 'state=done', filter: { states: ['done'] } },
      { label: 'state=running', filter: { states: ['running'] } },
      { label: 'state=pending,held', filter: { states: ['pending', 'held'] } },
      { label: 'state=held,suspended', filter: { states: ['held', 'suspended'] } },
      { label: 'user (40% of jobs)', filter: { user: 'user0' } },
      { label: 'user (2%)', filter: { user: 'user5' } },
      { label: 'user+state=failed', filter: { user: 'user5', states: ['failed'] } },
      { label: 'user+state=running', filter: { user: 'user0', states: ['running'] } },
      { label: 'user+state=pending,held', filter: { user: 'user5', states: ['pending', 'held'] } },
      { label: 'project', filter: { project: 'proj3' } },
      { label: 'project+state=held', filter: { project: 'proj3', states: ['held'] } },
      { label: 'user+project (other)', filter: { user: 'user6', project: 'proj2' } },
      { label: 'tag', filter: { tag: 'gpu' } },
      { label: 'tag (rare)', filter: { tag: 'rare' } },
      { label: 'user+tag', filter: { user: 'user5', tag: 'rna' } },
      { label: 'name', filter: { name: 'align' } },
      { label: 'user+name', filter: { user: 'user5', name: 'job' } },
      { label: 'session', filter: { session: 's1' } },
      { label: 'user+session', filter: { user: 'user3', session: 's1' } },
      { label: 'session wait', filter: { user: 'user3', session: 's0', reaped: false, arrayParent: false } },
      { label: 'parent', filter: { parentId: big } },
      { label: 'parent+state=running', filter: { parentId: big, states: ['running'] } },
      { label: 'parent+state=done,failed', filter: { parentId: big, states: ['done', 'failed'] } },
      { label: 'user+parent', filter: { user: 'user3', parentId: big } },
      { label: 'reaped=true', filter: { reaped: true } },
      { label: 'reaped=false', filter: { reaped: false } },
      { label: 'no array parents', filter: { arrayParent: false } },
      { label: 'array parents', filter: { arrayParent: true } },
      { label: 'user, no parents', filter: { user: 'user5', arrayParent: false } },
      { label: 'state, no parents', filter: { states: ['pending'], arrayParent: false } },
    ];
    const baseline = sync(list({}));
    // Warm up: every statement prepared, the pages in SQLite's and the OS's caches.
    for (const s of [{ label: 'pk', filter: {} }, ...shapes]) for (let i = 0; i < 3; i++) await list(s.filter)();

    const baseMs: number[] = [];
    let worst = 0;
    for (const shape of shapes) {
      const ratios: number[] = [];
      const ms: number[] = [];
      const measured = sync(list(shape.filter));
      for (let p = 0; p < PAIRS; p++) {
        const a = timeCalls(baseline);
        const b = timeCalls(measured);
        baseMs.push(a);
        ms.push(b);
        ratios.push(b / a);
      }
      const ratio = median(ratios);
      worst = Math.max(worst, ratio);
      const over = ratio > TARGET_RATIO ? '  <-- over' : '';
      const matches = await matching(shape.filter);
      row(shape.label.padEnd(26), `${fixed(median(ms), 3)} ms`, `${fixed(ratio, 2).padStart(5)}x   ${matches} match${over}`);
    }
    row('primary-key page'.padEnd(26), `${fixed(median(baseMs), 3)} ms`, 'baseline');

    const counts: Array<[string, () => Promise<unknown>]> = [
      ['count user waiting', () => store.countByState({ user: 'user0', states: ['pending', 'held'] })],
      ['count project waiting', () => store.countByState({ project: 'proj0', states: ['pending', 'held'] })],
      ['count array tasks', () => store.countByState({ parentId: big })],
    ];
    for (const [label, run] of counts) {
      const samples = Array.from({ length: PAIRS }, () => timeCalls(sync(run)));
      row(label.padEnd(26), `${fixed(median(samples), 3)} ms`);
    }
    const parent = (await store.getJob(big)) as Job;
    row('array of the counts'.padEnd(26), JSON.stringify(parent.array?.tasks));
    target(`every filter within ${TARGET_RATIO}x of the primary-key page (worst ${fixed(worst, 2)}x)`, worst <= TARGET_RATIO);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
