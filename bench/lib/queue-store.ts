/**
 * A SQLite store that already holds a deep queue: `depth` single jobs of the user
 * `queue`, none of which can start, either held or behind a begin time far ahead.
 * A daemon started on a copy of it has that queue pending from its first pass.
 *
 * Built once per (schema version, job document, depth) through the store's own API
 * (insertBatch, 10,000 jobs a transaction) and cached outside the repository, in
 * $GODOCKER_BENCH_CACHE or ~/.cache/godocker-bench: a million jobs take a minute or
 * two to insert, and a copy of the file a few seconds. A new migration or a change to
 * the document below gives a new file name, so a stale store is never used; old
 * files are left for the user to delete.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type NewJob, SCHEMA_VERSION, SqliteStore } from '@godocker/scheduler';
import { DEFAULT_PROJECT } from '@godocker/sdk';
import { fixed } from './report.js';
import { since } from './stats.js';

/** held: out of the queue until released; begin: pending, eligible only at its begin time. */
export type QueueKind = 'held' | 'begin';
export const QUEUE_KINDS: readonly QueueKind[] = ['held', 'begin'];

/** The owner of the queue: not the benchmark's admin, whose home the benchmark daemon picks per run. */
const QUEUE_USER = { name: 'queue', uid: 1001, gid: 1001 };
/** Far enough that no run reaches it, and a year the API accepts. */
const BEGIN_AT = '2099-01-01T00:00:00.000Z';
/** Fixed, so that the document, and with it the cache key, does not change from one build to the next. */
const SUBMITTED_AT = '2026-01-01T00:00:00.000Z';
const BATCH = 10_000;

export function cacheDir(): string {
  return process.env.GODOCKER_BENCH_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'godocker-bench');
}

/** What the API stores for `{command: {script: 'true'}, requirements: {cpu: 1, ram: 64}}` held, or with a begin time. */
function queuedJob(kind: QueueKind): NewJob {
  const hold = kind === 'held';
  const state = hold ? 'held' : 'pending';
  const reason = hold ? 'held at submission: release it to let it run' : 'submitted';
  return {
    user: QUEUE_USER,
    project: DEFAULT_PROJECT,
    session: null,
    meta: { name: 'queued', description: '', tags: [] },
    command: { script: 'true', args: [], env: {}, workdir: null },
    container: { image: 'local/busybox:latest', volumes: [], network: false, root: false },
    requirements: { cpu: 1, ram: 64, gpus: 0, tmpstorage: 0, timeLimit: null, labels: {} },
    array: null,
    parentId: null,
    taskIndex: null,
    dependencies: [],
    priority: 0,
    hold,
    ...(hold ? {} : { beginAt: BEGIN_AT }),
    status: {
      state,
      reason,
      exitCode: null,
      signal: null,
      oomKilled: false,
      submittedAt: SUBMITTED_AT,
      startedAt: null,
      endedAt: null,
      node: null,
      containerId: null,
      history: [{ state, at: SUBMITTED_AT, reason }],
    },
    usage: { wallSeconds: 0, cpuSeconds: null, maxMemoryMb: null },
  };
}

function fileName(kind: QueueKind, depth: number): string {
  const doc = createHash('sha256')
    .update(JSON.stringify(queuedJob(kind)))
    .digest('hex')
    .slice(0, 10);
  return `queue-schema${SCHEMA_VERSION}-${kind}-${doc}-${depth}.db`;
}

async function build(path: string, kind: QueueKind, depth: number): Promise<void> {
  const store = SqliteStore.open(path);
  try {
    await store.migrate();
    await store.createUser({ ...QUEUE_USER, home: '/nonexistent', admin: false, createdAt: SUBMITTED_AT });
    const job = queuedJob(kind);
    for (let done = 0; done < depth; done += BATCH) {
      const n = Math.min(BATCH, depth - done);
      // The store copies each job before it writes it: one document serves the whole batch.
      await store.insertBatch({ submissions: Array.from({ length: n }, () => ({ jobs: [job], isArray: false })) });
    }
  } finally {
    // Closing checkpoints the WAL into the file: the cache is one self-contained file.
    await store.close();
  }
}

/** The files of builds whose process is gone (interrupted): they would never be finished. */
async function removeAbandonedBuilds(dir: string, name: string): Promise<void> {
  const prefix = `${name}.building-`;
  for (const file of await readdir(dir)) {
    // building-PID, building-PID-wal, building-PID-shm
    if (file.startsWith(prefix) && !alive(Number.parseInt(file.slice(prefix.length), 10)))
      await rm(join(dir, file), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The path of the cached store with `depth` queued jobs, built first if missing. The
 * file is the cache's: copy it (a daemon writes to its store).
 */
export async function queueStore(kind: QueueKind, depth: number): Promise<string> {
  const dir = cacheDir();
  const name = fileName(kind, depth);
  const path = join(dir, name);
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  await removeAbandonedBuilds(dir, name);
  // Each builder its own file: two benchmarks building the same store at once do not mix their rows.
  const building = `${path}.building-${process.pid}`;
  const start = performance.now();
  process.stdout.write(`  building the store with ${depth} ${kind} jobs (once; cached in ${dir}) ... `);
  try {
    await build(building, kind, depth);
    await rename(building, path);
  } catch (e) {
    for (const suffix of ['', '-wal', '-shm']) await rm(`${building}${suffix}`, { force: true });
    throw e;
  }
  console.log(`${fixed(since(start) / 1000, 1)} s`);
  return path;
}
