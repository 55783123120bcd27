/**
 * One scheduling pass over 100,000 pending jobs from 1,000 users in 50
 * projects onto 1,000 nodes (half full of running jobs), with the fair-share
 * policy, quotas, arrays with throttles, dependencies, labels and backfill.
 * Target: ≤ 50 ms median.
 *
 *   npm run bench -- scheduling-pass
 *   (or: node --expose-gc node_modules/vite-node/vite-node.mjs -c vitest.config.ts bench/scheduling-pass.ts)
 *
 * Prints the median over several runs, the curve for 1k, 10k and 100k pending
 * jobs (near-linear is the goal), each against a baseline measured in the same
 * process — a plain sort of the same jobs by a precomputed key, so a slower or
 * faster machine moves both — and the memory a pass's output keeps.
 * BENCH_RUNS and BENCH_SIZES (comma-separated) change the runs and the sizes.
 */
import type { Job, JobState, NodeInfo, Quota } from '@godocker/sdk';
import { userKey } from '../packages/scheduler/src/engine/fairshare.js';
import { type EngineInput, type ProjectPolicy, schedule, type UserPolicy } from '../packages/scheduler/src/engine/schedule.js';
import { pick, random } from './lib/random.js';
import { fixed, memory, processMemory, row, target, title } from './lib/report.js';
import { median } from './lib/stats.js';

const NODES = 1_000;
const USERS = 1_000;
const PROJECTS = 50;
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TARGET_MS = 50;
const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const GiB = 1024;

function job(
  id: number,
  fields: { user: string; project: string; cpu: number; ram: number; gpus: number; submitted: number },
): Job {
  return {
    id,
    user: { name: fields.user, uid: 2000, gid: 2000 },
    project: fields.project,
    session: null,
    meta: { name: `job${id}`, description: '', tags: [] },
    command: { script: 'true', args: [], env: {}, workdir: null },
    container: { image: 'debian:bookworm-slim', volumes: [], network: false, root: false },
    requirements: { cpu: fields.cpu, ram: fields.ram, gpus: fields.gpus, tmpstorage: 0, timeLimit: 3600, labels: {} },
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
      submittedAt: new Date(fields.submitted).toISOString(),
      startedAt: null,
      endedAt: null,
      node: null,
      containerId: null,
      history: [],
    },
    usage: { wallSeconds: 0, cpuSeconds: null, maxMemoryMb: null },
  };
}

/** The cluster, its people and a pending queue of `pendingCount` jobs. */
function workload(pendingCount: number): EngineInput {
  const rnd = random(42);
  const nodes: NodeInfo[] = Array.from(
    { length: NODES },
    (_, k): NodeInfo =>
      k % 10 === 9
        ? { name: `gpu${k}`, cpu: 32, ram: 256 * GiB, gpus: 4, labels: { gpu: 'a100' } }
        : { name: `node${k}`, cpu: 32, ram: 128 * GiB, gpus: 0, labels: {} },
  );
  const projects: ProjectPolicy[] = Array.from({ length: PROJECTS }, (_, p) => ({
    name: `proj${p}`,
    shares: 1 + (p % 5),
    priority: 0,
    quota: p % 10 === 0 ? { cpu: 600, runningJobs: 400 } : {},
    members: Array.from({ length: USERS / PROJECTS }, (_, u) => ({
      user: `user${p * (USERS / PROJECTS) + u}`,
      shares: 1 + (u % 3),
    })),
  }));
  const users: UserPolicy[] = Array.from({ length: USERS }, (_, u) => {
    const quota: Quota = u % 7 === 0 ? { cpu: 32, cpuTime: { seconds: 1e6, windowSeconds: 7 * 86400 } } : {};
    return { name: `user${u}`, priority: u % 11 === 0 ? 100 : 0, quota };
  });
  const projectOf = (u: number) => `proj${Math.floor(u / (USERS / PROJECTS))}`;
  const usage = { project: new Map<string, number>(), user: new Map<string, number>() };
  for (let u = 0; u < USERS; u++) {
    const units = rnd() * 1e7;
    usage.user.set(userKey(projectOf(u), `user${u}`), units);
    usage.project.set(projectOf(u), (usage.project.get(projectOf(u)) ?? 0) + units);
  }
  const cpuTime = { project: new Map<string, number>(), user: new Map<string, number>() };
  for (let u = 0; u < USERS; u += 7) cpuTime.user.set(`user${u}`, rnd() * 1.2e6);

  let id = 1;
  // Running jobs fill about half of every node.
  const active: Job[] = [];
  nodes.forEach((node) => {
    let cpu = 0;
    while (cpu < 16) {
      const u = Math.floor(rnd() * USERS);
      const j = job(id++, {
        user: `user${u}`,
        project: projectOf(u),
        cpu: 4,
        ram: 8 * GiB,
        gpus: node.gpus > 0 ? 1 : 0,
        submitted: NOW - 7200e3,
      });
      j.status.state = 'running';
      j.status.node = node.name;
      j.status.startedAt = new Date(NOW - rnd() * 3600e3).toISOString();
      active.push(j);
      cpu += 4;
    }
  });
  const dependencies = new Map<number, JobState>();
  for (const a of active) dependencies.set(a.id, 'running');
  for (let d = 0; d < 100; d++) dependencies.set(id++, d % 2 ? 'done' : 'failed');
  const arrays = new Map<number, { throttle: number | null }>();

  const pending: Job[] = [];
  let submitted = NOW - 86400e3;
  while (pending.length < pendingCount) {
    const u = Math.floor(rnd() * USERS);
    const base = {
      user: `user${u}`,
      project: projectOf(u),
      cpu: pick(rnd, [1, 1, 2, 4, 8]),
      ram: pick(rnd, [1, 2, 4, 8, 16]) * GiB,
      gpus: 0,
      submitted,
    };
    submitted += 500;
    const kind = rnd();
    if (kind < 0.1) {
      // An array of 50 tasks, throttled to 5 at once.
      const parentId = id++;
      arrays.set(parentId, { throttle: 5 });
      for (let t = 0; t < 50 && pending.length < pendingCount; t++) {
        const task = job(id++, base);
        task.parentId = parentId;
        task.taskIndex = t;
        pending.push(task);
      }
      continue;
    }
    const j = job(id++, base);
    if (kind < 0.15) {
      j.requirements.gpus = 1;
      j.requirements.labels = { gpu: 'a100' };
    } else if (kind < 0.2) {
      const on = pick(rnd, [...dependencies.keys()]);
      j.dependencies = [{ type: pick(rnd, ['afterok', 'afterany', 'afternotok'] as const), jobId: on }];
    } else if (kind < 0.25) {
      j.requirements.timeLimit = null;
    }
    pending.push(j);
  }
  return { now: NOW, pending, active, nodes, policy: 'fairshare', projects, users, usage, cpuTime, dependencies, arrays };
}

const gc = (globalThis as { gc?: () => void }).gc;

function time(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** The baseline: sort the same pending jobs by a key computed beforehand (priority, then id), as a plain engine would. */
function baseline(input: EngineInput): number {
  const keyed = input.pending.map((job) => ({ job, key: ((job.id * 2654435761) % 1000) / 1000 }));
  return time(() => [...keyed].sort((a, b) => b.key - a.key || a.job.id - b.job.id));
}

/** Heap plus array buffers (the engine's typed arrays live there), after a full collection when --expose-gc. */
function retainedMiB(): number {
  // Several collections: one can leave garbage that only the next one frees.
  for (let i = 0; i < 4; i++) gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

interface Measured {
  size: number;
  pass: number;
  base: number;
  starts: number;
  runs: number;
}

function measure(size: number): { m: Measured; input: EngineInput } {
  const input = workload(size);
  // Warm the JIT on this size (half a second of passes) so no measured run is an interpreter run.
  const warmUntil = performance.now() + 500;
  while (performance.now() < warmUntil) schedule(input);
  const passes: number[] = [];
  const baselines: number[] = [];
  let starts = 0;
  // Small passes are short and noisy: more of them.
  const runs = RUNS * Math.max(1, Math.round(100_000 / size / 4));
  for (let r = 0; r < runs; r++) {
    baselines.push(baseline(input));
    passes.push(
      time(() => {
        starts = schedule(input).start.length;
      }),
    );
  }
  return { m: { size, pass: median(passes), base: median(baselines), starts, runs }, input };
}

title('scheduling-pass', [
  `what:     one schedule() pass, fairshare + EASY backfill: ${NODES} nodes (1 in 10 with 4 gpus and a label), ${USERS} users`,
  `          in ${PROJECTS} projects, 16 cpu of 32 busy on every node; pending jobs of 1-8 cpu with arrays (%5),`,
  '          gpu jobs, dependencies, jobs without a time limit, user and project quotas, cpu-time quotas',
  'baseline: sorting the same pending jobs by a precomputed key (Array.prototype.sort on key, then id), same process',
]);
const results: Measured[] = [];
let largest: EngineInput | undefined;
for (const size of SIZES) {
  const { m, input } = measure(size);
  results.push(m);
  largest = input;
  row(
    `${size / 1000}k pending`,
    `${fixed(m.pass, 2)} ms`,
    `median of ${m.runs}; ${fixed((m.pass * 1000) / size, 3)} µs/job; ${m.starts} start; baseline ${fixed(m.base, 2)} ms, ratio ${fixed(m.pass / m.base, 2)}`,
  );
}
const growth = results.slice(1).map((m, i) => {
  const prev = results[i] as Measured;
  return `${prev.size / 1000}k -> ${m.size / 1000}k ×${fixed(m.pass / prev.pass, 1)} (jobs ×${m.size / prev.size})`;
});
row('growth', '', growth.join(', '));
const top = results[results.length - 1];
if (top && largest) {
  row('ratio', fixed(top.pass / top.base, 2), `pass / sort of the same ${top.size / 1000}k jobs`);
  target(`one pass over ${top.size.toLocaleString('en')} pending jobs <= ${TARGET_MS} ms median`, top.pass <= TARGET_MS);
  const before = retainedMiB();
  const kept = schedule(largest);
  const after = retainedMiB();
  row(
    'kept',
    `${fixed(after - before, 1)} MiB`,
    `heap + buffers held by one pass's output (${kept.waiting.size} waiting, reasons built on demand)`,
  );
  const sample = largest.pending[largest.pending.length - 1] as Job;
  const first = time(() => kept.waiting.get(sample.id));
  const other = largest.pending[largest.pending.length - 2] as Job;
  const next = time(() => kept.waiting.get(other.id));
  row(
    'explain',
    `${fixed(next, 3)} ms`,
    `a waiting.get (the first, cold: ${fixed(first, 2)} ms): ${JSON.stringify(kept.waiting.get(sample.id))}`,
  );
}
memory('bench', processMemory());
