/**
 * One scheduling pass over 10,000 pending jobs as the leader runs it, with the store on
 * MongoDB-wire (FerretDB, at GODOCKER_MONGO_URL or mongodb://127.0.0.1:27017/) against
 * SQLite, in the same process: the engine is the same, what differs is what the store costs.
 *
 * - load: what a daemon does when it starts leading (JobRuntime.start): the queue read from
 *   the store in pages of 5,000 (`queuedJobs`) into the incremental queue, and the scheduling
 *   inputs (projects, users, fair-share usage, cpu time);
 * - pass: one pass (JobRuntime #passOnce): the engine input (policy cached, as between two
 *   passes), `scheduleQueue`, and the starts it decides stored as one group commit
 *   (`updateEach`, pending -> running, compare-and-set): 4 of them (one node with 4 free cpu),
 *   as when a few jobs end; they stay running, so each run has 4 fewer pending jobs.
 *
 * The same jobs on both: the SQLite store is filled through its API, then copied into the
 * MongoDB database as `godocker admin migrate` does (untimed; a few minutes on a loaded FerretDB).
 * Runs interleaved (SQLite, MongoDB, SQLite, ...), each from a fresh read of the store.
 * Baseline: the SQLite store's medians; the ratios are MongoDB over SQLite. No target in the
 * issue. On FerretDB 1.24 (SQLite backend) every query but by _id scans the collection, and the
 * store reads a job by its key: a MongoDB run takes minutes at 10,000 jobs on a loaded machine.
 *
 *   npm run bench -- store-pass
 *   (or: node --expose-gc node_modules/vite-node/vite-node.mjs -c vitest.config.ts bench/store-pass.ts)
 *   BENCH_PASS_DEPTH (default 10000) pending jobs, BENCH_RUNS (default 3) runs per store.
 *
 * Like queue-pass.ts it imports engine internals from packages/scheduler/src, so it runs
 * with vite-node (bench/tsconfig.json leaves it out; the root typecheck covers it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, MongoStore, migrateSqliteToMongo, type NewJob, SqliteStore, type Store } from '@godocker/scheduler';
import { DEFAULT_PROJECT, type Job, type NodeInfo } from '@godocker/sdk';
import { PendingQueue } from '../packages/scheduler/src/engine/pending-queue.js';
import { scheduleQueue } from '../packages/scheduler/src/engine/queue-pass.js';
import { SchedulingInputs } from '../packages/scheduler/src/runtime/scheduling-inputs.js';
import { fixed, memory, processMemory, row, runMain, title } from './lib/report.js';
import { dropDatabases, MONGO_URL } from './lib/site.js';
import { median, since } from './lib/stats.js';

const DEPTH = Number(process.env.BENCH_PASS_DEPTH ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const USERS = 20;
const PAGE = 5_000;
const INSERT_BATCH = 1_000;
/** One node with 4 free cpu: a pass that starts 4 jobs, as when a few end (every start is a store change). */
const NODES: NodeInfo[] = [{ name: 'n0', cpu: 4, ram: 32_768, gpus: 0, labels: {} }];
const SUBMITTED = Date.parse('2026-01-01T00:00:00.000Z');

function pendingJob(i: number): NewJob {
  const user = i % USERS;
  const at = new Date(SUBMITTED + i * 100).toISOString();
  return {
    user: { name: `user${user}`, uid: 2000 + user, gid: 2000 },
    project: DEFAULT_PROJECT,
    session: null,
    meta: { name: 'queued', description: '', tags: [] },
    command: { script: 'true', args: [], env: {}, workdir: null },
    container: { image: 'local/busybox:latest', volumes: [], network: false, root: false },
    requirements: { cpu: 1, ram: 64, gpus: 0, tmpstorage: 0, timeLimit: 3600, labels: {} },
    array: null,
    parentId: null,
    taskIndex: null,
    dependencies: [],
    priority: 0,
    hold: false,
    status: {
      state: 'pending',
      reason: 'submitted',
      exitCode: null,
      signal: null,
      oomKilled: false,
      submittedAt: at,
      startedAt: null,
      endedAt: null,
      node: null,
      containerId: null,
      history: [{ state: 'pending', at, reason: 'submitted' }],
    },
    usage: { wallSeconds: 0, cpuSeconds: null, maxMemoryMb: null },
  };
}

/** The SQLite store with the queue, through the store's API. */
async function fill(store: Store): Promise<void> {
  await store.migrate();
  for (let u = 0; u < USERS; u++) {
    await store.createUser({
      name: `user${u}`,
      uid: 2000 + u,
      gid: 2000,
      home: '/nonexistent',
      admin: false,
      createdAt: new Date(SUBMITTED).toISOString(),
    });
  }
  for (let done = 0; done < DEPTH; done += INSERT_BATCH) {
    const n = Math.min(INSERT_BATCH, DEPTH - done);
    await store.insertBatch({
      submissions: Array.from({ length: n }, (_, k) => ({ jobs: [pendingJob(done + k)], isArray: false })),
    });
  }
}

interface Run {
  loadMs: number;
  passMs: number;
  engineMs: number;
  commitMs: number;
  starts: number;
}

/** `queued`: the pending jobs the store holds now (the starts of earlier runs stay running). */
async function run(store: Store, config: ReturnType<typeof loadConfig>, queued: number): Promise<Run> {
  const now = Date.now();
  // load: as a daemon that starts leading.
  let t = performance.now();
  const queue = new PendingQueue();
  let read = 0;
  for (let afterId = 0; ; ) {
    const page = await store.queuedJobs(afterId, PAGE);
    if (page.length === 0) break;
    afterId = page[page.length - 1]?.id as number;
    for (const q of page) {
      if (q.job) {
        queue.add(q.job, new Map(), now);
        read++;
      }
    }
  }
  const inputs = new SchedulingInputs(store, config);
  await inputs.load(now, []);
  const loadMs = since(t);
  if (read !== queued) throw new Error(`the store gave ${read} pending jobs, not ${queued}`);
  // pass: as #passOnce.
  t = performance.now();
  const {
    pending: _none,
    dependencies: _met,
    ...input
  } = await inputs.engineInput({ now, pending: [], active: [], nodes: NODES }, new Map());
  const e = performance.now();
  const pass = scheduleQueue(queue, input);
  const engineMs = since(e);
  const c = performance.now();
  const at = new Date().toISOString();
  const started = await store.updateEach(
    pass.out.start.map((p) => ({
      id: p.jobId,
      change: { state: { to: 'running' as const, reason: `placed on node ${p.node}`, at }, status: { node: p.node } },
      expect: { states: ['pending' as const] },
    })),
  );
  const commitMs = since(c);
  const passMs = since(t);
  const ran = started.filter((j): j is Job => j !== null && !(j instanceof Error));
  if (ran.length !== pass.out.start.length)
    throw new Error(`${pass.out.start.length - ran.length} of the starts were not stored`);
  return { loadMs, passMs, engineMs, commitMs, starts: ran.length };
}

function show(label: string, r: Run): void {
  row(
    label,
    `${fixed(r.passMs, 1)} ms`,
    `pass: engine ${fixed(r.engineMs, 1)} ms, ${r.starts} starts stored in ${fixed(r.commitMs, 1)} ms; load ${fixed(r.loadMs / 1000, 2)} s`,
  );
}

function summary(label: string, runs: readonly Run[]): Record<keyof Run, number> {
  const m = (k: keyof Run) => median(runs.map((r) => r[k]));
  const s = { loadMs: m('loadMs'), passMs: m('passMs'), engineMs: m('engineMs'), commitMs: m('commitMs'), starts: m('starts') };
  row(
    label,
    `${fixed(s.passMs, 1)} ms`,
    `pass, median of ${runs.length}: engine ${fixed(s.engineMs, 1)} ms, ${s.starts} starts stored in ${fixed(s.commitMs, 1)} ms; load ${fixed(s.loadMs / 1000, 2)} s`,
  );
  return s;
}

async function main(): Promise<void> {
  if (!(Number.isInteger(DEPTH) && DEPTH > 0 && Number.isInteger(RUNS) && RUNS > 0))
    throw new Error('BENCH_PASS_DEPTH and BENCH_RUNS must be whole numbers > 0');
  const database = `godocker_bench_${randomBytes(4).toString('hex')}_pass`;
  const dir = await mkdtemp(join(tmpdir(), 'godocker-bench-pass-'));
  title('store-pass', [
    `what:     one scheduling pass over ${DEPTH.toLocaleString('en')} pending jobs (${USERS} users, fairshare) onto one node of 4 free cpu,`,
    `          as the leader runs it, the store on MongoDB-wire (${MONGO_URL}): engine input, scheduleQueue, the starts stored;`,
    '          and the load before it (the queue and the inputs read from the store, as a new leader does)',
    `baseline: the same on the SQLite store, ${RUNS} runs each, interleaved`,
  ]);
  const config = loadConfig({ env: {}, overrides: { dataDir: dir } });
  let sqlite: Store | undefined;
  let mongo: Store | undefined;
  try {
    // The same site on both: the SQLite store filled through its API, then copied as `godocker admin migrate` does.
    const path = join(dir, 'godocker.db');
    const filling = SqliteStore.open(path);
    await fill(filling);
    await filling.close();
    const start = performance.now();
    await migrateSqliteToMongo(path, { url: MONGO_URL, database });
    row(
      'copied',
      `${fixed(since(start) / 1000, 1)} s`,
      `${DEPTH} pending jobs into MongoDB (godocker admin migrate; untimed setup)`,
    );
    sqlite = SqliteStore.open(path);
    mongo = await MongoStore.open({ url: MONGO_URL, database });
    const s: Run[] = [];
    const m: Run[] = [];
    const left = (runs: readonly Run[]) => DEPTH - runs.reduce((n, r) => n + r.starts, 0);
    for (let r = 0; r < RUNS; r++) {
      s.push(await run(sqlite, config, left(s)));
      show(`sqlite ${r + 1}`, s.at(-1) as Run);
      m.push(await run(mongo, config, left(m)));
      show(`mongodb ${r + 1}`, m.at(-1) as Run);
    }
    const a = summary('sqlite', s);
    const b = summary('mongodb', m);
    row('ratio', fixed(b.passMs / a.passMs, 1), 'MongoDB pass / SQLite pass (the engine alone is the same work on both)');
    row('ratio', fixed(b.loadMs / a.loadMs, 1), 'MongoDB load / SQLite load');
    memory('bench', processMemory());
  } finally {
    await sqlite?.close();
    await mongo?.close();
    await rm(dir, { recursive: true, force: true });
    await dropDatabases([database]);
  }
}

runMain(main);
