/**
 * A scheduling pass at queue depth: the incremental queue (`scheduleQueue`,
 * what the daemon runs) against `schedule()` over every pending job (what it
 * ran before), on the same cluster, at 1k, 10k and 100k pending jobs (1M with
 * BENCH_SIZES=...,1000000). The queue is what sites see: a few dozen users,
 * each with arrays of thousands of tasks and runs of look-alike jobs, on a
 * cluster that is full but for a few slots.
 *
 *   npm run bench -- queue-pass
 *
 * Per depth: the median time of each (interleaved A B A B, median of the
 * per-pair ratios), their ratio, and the incremental pass's time against its
 * own at the smallest depth (flat is the goal). Target: the incremental pass at
 * the deepest queue within 2x of its time at 1k.
 */
import type { Job, NodeInfo } from '@godocker/sdk';
import { PendingQueue } from '../packages/scheduler/src/engine/pending-queue.js';
import { scheduleQueue } from '../packages/scheduler/src/engine/queue-pass.js';
import { type EngineInput, type ProjectPolicy, schedule } from '../packages/scheduler/src/engine/schedule.js';
import { fixed, row, target, title } from './lib/report.js';
import { median } from './lib/stats.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const PAIRS = Number(process.env.BENCH_RUNS ?? 7);
const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const USERS = 40;
const GiB = 1024;

function job(
  id: number,
  user: number,
  cpu: number,
  parentId: number | null,
  submitted: number,
  state: Job['status']['state'],
): Job {
  return {
    id,
    user: { name: `user${user}`, uid: 2000 + user, gid: 2000 },
    project: `proj${user % 4}`,
    session: null,
    meta: { name: `job${id}`, description: '', tags: [] },
    command: { script: 'true', args: [], env: {}, workdir: null },
    container: { image: 'debian:bookworm-slim', volumes: [], network: false, root: false },
    requirements: { cpu, ram: 2 * GiB, gpus: 0, tmpstorage: 0, timeLimit: 3600, labels: {} },
    array: null,
    parentId,
    taskIndex: parentId === null ? null : id - parentId - 1,
    dependencies: [],
    priority: 0,
    hold: false,
    status: {
      state,
      reason: 'submitted',
      exitCode: null,
      signal: null,
      oomKilled: false,
      submittedAt: new Date(submitted).toISOString(),
      startedAt: state === 'running' ? new Date(NOW - 600_000).toISOString() : null,
      endedAt: null,
      node: null,
      containerId: null,
      history: [],
    },
    usage: { wallSeconds: 0, cpuSeconds: null, maxMemoryMb: null },
  };
}

function workload(depth: number): EngineInput {
  const nodes: NodeInfo[] = Array.from({ length: 50 }, (_, k) => ({
    name: `n${k}`,
    cpu: 32,
    ram: 128 * GiB,
    gpus: 0,
    labels: {},
  }));
  let id = 1;
  const active: Job[] = [];
  // Full but for 8 cpu on the last node.
  for (const n of nodes) {
    const slots = n.name === 'n49' ? 24 : 32;
    for (let c = 0; c < slots; c++) {
      const j = job(id++, c % USERS, 1, null, NOW - 3600_000, 'running');
      j.status.node = n.name;
      active.push(j);
    }
  }
  const pending: Job[] = [];
  let submitted = NOW - 86_400_000;
  while (pending.length < depth) {
    const user = pending.length % USERS;
    const parentId = id++;
    // An array of up to 5,000 tasks, then 50 look-alike single jobs.
    const tasks = Math.min(5_000, depth - pending.length);
    for (let t = 0; t < tasks; t++) pending.push(job(id++, user, 1, parentId, submitted, 'pending'));
    for (let t = 0; t < 50 && pending.length < depth; t++) {
      submitted += 100;
      pending.push(job(id++, (user + 1) % USERS, 2, null, submitted, 'pending'));
    }
    submitted += 1000;
  }
  const projects: ProjectPolicy[] = [0, 1, 2, 3].map((p) => ({
    name: `proj${p}`,
    shares: p + 1,
    members: Array.from({ length: USERS }, (_, u) => ({ user: `user${u}`, shares: 1 })),
  }));
  return {
    now: NOW,
    pending,
    active,
    nodes,
    policy: 'fairshare',
    projects,
    users: [],
    dependencies: new Map(),
    arrays: new Map(),
  };
}

function time(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

title('queue-pass', [
  'a scheduling pass at queue depth: the incremental queue against schedule() over every pending job,',
  `${PAIRS} interleaved pairs per depth, medians; 50 nodes full but for 8 cpu, ${USERS} users with arrays and look-alike jobs`,
]);
let smallest: number | undefined;
let deepest = 0;
for (const depth of SIZES) {
  const input = workload(depth);
  const queue = new PendingQueue();
  for (const j of input.pending) queue.add(j, new Map(), NOW);
  const { pending: _all, dependencies: _none, ...rest } = input;
  // Same decisions, or the comparison means nothing.
  const full = schedule(input);
  const pass = scheduleQueue(queue, rest);
  if (JSON.stringify(full.start) !== JSON.stringify(pass.out.start)) throw new Error(`depth ${depth}: the two passes disagree`);
  const fullMs: number[] = [];
  const queueMs: number[] = [];
  const ratios: number[] = [];
  for (let k = 0; k < PAIRS; k++) {
    const a = time(() => schedule(input));
    const b = time(() => scheduleQueue(queue, rest));
    fullMs.push(a);
    queueMs.push(b);
    ratios.push(a / b);
  }
  const q = median(queueMs);
  smallest ??= q;
  deepest = q;
  row(
    `${depth / 1000}k pending`,
    `${fixed(q, 3)} ms`,
    `full pass ${fixed(median(fullMs), 2)} ms (${fixed(median(ratios), 1)}x the queue's); ${fixed(q / smallest, 2)}x the queue's at the smallest depth`,
  );
}
if (smallest !== undefined) {
  target(
    `incremental pass at the deepest queue within 2x of the smallest: ${fixed(deepest / smallest, 2)}x`,
    deepest / smallest <= 2,
  );
}
