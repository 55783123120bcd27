/**
 * The scheduling engine: one pure pass from (pending jobs, active jobs, nodes,
 * projects, users, usage, quotas, dependency states, the clock) to decisions
 * (which jobs start where, why every other job waits, which jobs can never
 * run).
 *
 * ```ts
 * const out = schedule({ now: Date.now(), pending, active, nodes, policy: 'fairshare', projects, users, usage });
 * for (const { jobId, node } of out.start) launch(jobId, node);
 * for (const { jobId, reason } of out.unsatisfiable) fail(jobId, reason);
 * out.waiting.get(42); // { code: 'UserCpuLimit', message: 'user alice uses 16 of their 16 cpu; the job needs 4' }
 * ```
 *
 * A pending job is *eligible* when its begin time (if any) has come, all its
 * dependencies are met, its array is under its `%N` throttle, and one more
 * job of its size keeps its user and its project under every concurrent quota
 * (cpu, ram, gpus, running jobs) with cpu-time left in their windows. Eligible jobs are taken in the policy's
 * priority order (then submission, then id) and placed first-fit on a node
 * with the resources free and the labels asked for.
 *
 * When an eligible job does not fit now:
 * - with backfill (the default), the first such job gets a reservation on the
 *   node that frees up soonest (`backfill.ts`), and lower-priority jobs start
 *   only where they do not delay it (EASY backfill);
 * - without backfill, it closes the nodes it could use to every lower-priority
 *   job: strict priority order, as Slurm's sched/builtin. Without that, a job
 *   needing a whole node would wait forever behind a stream of small ones.
 * Ineligible jobs (begin time, dependencies, throttle, quotas) block nobody,
 * and neither does a job no node could ever hold. The earliest begin time still
 * ahead comes out as `nextBeginAt`, for the runtime to wake a pass then.
 *
 * Cost: O(P + S log N + A) for P pending jobs, S starts, N nodes and A active
 * jobs — the order is a radix sort, and once the cluster is full each
 * remaining job is turned away at the root of a tree. Reasons are sentences
 * built only when read (`reasons.ts`).
 */
import type { Job, NodeInfo } from '@godocker/sdk';
import { type AccountState, Accounts } from './accounts.js';
import { earliestStart, freeAt, type Release, Reservation, Timeline } from './backfill.js';
import { Cluster, hasKeys, type Pool } from './cluster.js';
import { DEPENDENCIES_NEVER, DEPENDENCIES_WAIT, type DependencyStates, dependenciesStatus, neverMet } from './dependencies.js';
import type { BackfillSettings, EngineInput, EngineOutput, Placement, ReservationInfo, UnsatisfiableJob } from './engine-io.js';
import { type ArrayCount, BEHIND, type BlockKind, blockingOf, explainWait, type PassFacts, RESERVED, STRICT } from './explain.js';
import { schedulingOrder } from './job-order.js';
import { type PolicyContext, resolvePolicy } from './policy.js';
import { DEFAULT_PRIORITY_WEIGHTS, type PriorityBreakdown } from './priority.js';
import { QUOTA_OK } from './quotas.js';
import { CODE, type WaitCode, WaitReasons } from './reasons.js';
import { isoToMillis } from './timestamps.js';
import type { Blocking } from './wait-sentences.js';

export type * from './engine-io.js';
export type { Account, Policy, PolicyContext, PolicyName, Ranking } from './policy.js';
export { fairSharePolicy, fifoPolicy, POLICIES, resolvePolicy } from './policy.js';
export type { WaitCode, WaitReason } from './reasons.js';
export { WAIT_CODES, WaitReasons } from './reasons.js';

/** Backfill on; jobs without a time limit are assumed to run 30 days (the default `limits.maxTimeLimit`). */
export const DEFAULT_BACKFILL: Readonly<BackfillSettings> = { enabled: true, maxTimeLimitSeconds: 30 * 24 * 3600 };

const NO_STATES: DependencyStates = new Map();

const USER_CODE_BASE = CODE.UserCpuLimit - 1;
const PROJECT_CODE_BASE = CODE.ProjectCpuLimit - 1;

// Imports read once into locals: under vite-node (the tests, the benchmark)
// every use of an imported name is a getter call, and the loops below run
// 100,000 times a pass.
const NEVER = DEPENDENCIES_NEVER;
const WAIT = DEPENDENCIES_WAIT;
const OK = QUOTA_OK;
const C_PRIORITY = CODE.Priority;
const C_RESOURCES = CODE.Resources;
const C_DEPENDENCY = CODE.Dependency;
const C_NEVER = CODE.DependencyNeverSatisfied;
const C_BEGIN = CODE.BeginTime;
const C_THROTTLE = CODE.JobArrayTaskLimit;
const C_NO_NODE = CODE.NoNodeFits;
const statusOf = dependenciesStatus;
const parseIso = isoToMillis;

/** The packed record of a pending job: its fields, at these offsets. */
const REC = 9;
const R_CPU = 0;
const R_RAM = 1;
const R_GPUS = 2;
/** Expected end (ms) if it started now: now + its time limit, or the backfill maximum. */
const R_END = 3;
/** Its array's parent id, -1 for a single job, ARRAY_PARENT for a parent (never scheduled itself). */
const R_PARENT = 4;
const ARRAY_PARENT = -2;
const R_ACCOUNT = 5;
const R_POOL = 6;
const R_ID = 7;
/** How many host ports it asks for (its container ports). */
const R_PORTS = 8;

export function schedule(input: EngineInput): EngineOutput {
  return schedulePass(input).out;
}

/**
 * How a pass left each job it saw, for the incremental queue (`queue-pass.ts`): whether a
 * later job of the same class would surely fare alike (`absorbed`), and whom a `Priority`
 * job waits behind.
 */
export interface PassDetail {
  /**
   * `started`; `open` when a later look-alike could still fare otherwise (it was turned
   * away by a reservation or, without backfill, by a node claimed for another job, and the
   * cluster may fill meanwhile); `absorbed` when every later look-alike in the same pass
   * fails alike, with no effect on any other job; `unknown` for a job not in the pass.
   */
  outcome(jobId: number): 'started' | 'open' | 'absorbed' | 'unknown';
  blocking(jobId: number): Blocking | undefined;
}

export function schedulePass(input: EngineInput): { out: EngineOutput; detail: PassDetail } {
  const { now, nodes } = input;
  const jobs = input.pending;
  const n = jobs.length;
  const weights = input.weights ?? DEFAULT_PRIORITY_WEIGHTS;
  const backfill = input.backfill ?? DEFAULT_BACKFILL;
  const policy = resolvePolicy(input.policy ?? 'fairshare');
  const depStates = input.dependencies ?? NO_STATES;
  const strict = !backfill.enabled;
  const defaultLimitMs = backfill.maxTimeLimitSeconds * 1000;

  const accounts = new Accounts(input.projects ?? [], input.users ?? [], input.cpuTime);
  const cluster = new Cluster(nodes, strict);

  // Throttled arrays and their running tasks; null for an array without a throttle.
  const arrays = new Map<number, ArrayCount | null>();
  const arrayOf = (parentId: number): ArrayCount | null => {
    let a = arrays.get(parentId);
    if (a === undefined) {
      const throttle = input.arrays?.get(parentId)?.throttle;
      a = throttle === null || throttle === undefined ? null : { throttle, running: 0 };
      arrays.set(parentId, a);
    }
    return a;
  };

  // What running and suspended jobs hold: node resources, quotas, array slots.
  const activeNode = new Int32Array(input.active.length).fill(-1);
  const heldPorts = new Float64Array(input.active.length);
  input.active.forEach((job, a) => {
    const r = job.requirements;
    heldPorts[a] = job.status.ports?.length ?? 0;
    accounts.user(job.user.name).charge(r.cpu, r.ram, r.gpus);
    accounts.project(job.project).charge(r.cpu, r.ram, r.gpus);
    if (job.parentId !== null) {
      const arr = arrayOf(job.parentId);
      if (arr) arr.running += 1;
    }
    const k = job.status.node === null ? undefined : cluster.byName.get(job.status.node);
    if (k !== undefined) {
      cluster.hold(k, r.cpu, r.ram, r.gpus, heldPorts[a] as number);
      activeNode[a] = k;
    }
  });

  // Per pending job, read once in input order: what the main loop needs, packed
  // in one record of 72 bytes, because the main loop visits jobs in priority
  // order — all over memory — and chasing each job's objects there cost more
  // than everything else in the pass.
  const rec = new Float64Array(n * REC);
  const ids = new Float64Array(n);
  const submittedAt = new Float64Array(n);
  const accountOf = new Int32Array(n);
  const jobPriority = new Float64Array(n);
  const depStatus = new Uint8Array(n);
  let lastUser = '';
  let lastProject = '';
  let lastAccount: AccountState | undefined;
  let lastLabels: Readonly<Record<string, string>> | undefined;
  let lastPool: Pool | undefined;
  let lastSubmitted = '';
  let lastSubmittedAt = now;
  // Begin times still ahead, by pending index (0: none, or already come); allocated
  // only when a job has one, so a pass without begin times pays nothing.
  let beginsAt: Float64Array | undefined;
  let lastBegin = '';
  let lastBeginMs = 0;
  let nextBeginAt = Number.POSITIVE_INFINITY;
  // Most jobs ask for no labels, each with its own empty object: one pool for all of them.
  let plainPool: Pool | undefined;
  for (let i = 0; i < n; i++) {
    const job = jobs[i] as Job;
    const r = job.requirements;
    ids[i] = job.id;
    jobPriority[i] = job.priority;
    // Consecutive jobs mostly come from one submission (arrays): skip the lookups.
    if (lastAccount === undefined || job.user.name !== lastUser || job.project !== lastProject) {
      lastUser = job.user.name;
      lastProject = job.project;
      lastAccount = accounts.of(lastUser, lastProject);
    }
    accountOf[i] = lastAccount.index;
    // The tasks of an array share their submission time: parse it once.
    if (job.status.submittedAt !== lastSubmitted) {
      lastSubmitted = job.status.submittedAt;
      const t = parseIso(lastSubmitted);
      lastSubmittedAt = Number.isNaN(t) ? now : t;
    }
    submittedAt[i] = lastSubmittedAt;
    if (lastPool === undefined || r.labels !== lastLabels) {
      lastLabels = r.labels;
      if (hasKeys(r.labels)) lastPool = cluster.poolFor(r.labels);
      else {
        plainPool ??= cluster.poolFor(r.labels);
        lastPool = plainPool;
      }
    }
    if (job.dependencies.length > 0) depStatus[i] = statusOf(job.dependencies, depStates);
    const begin = job.beginAt;
    if (begin !== undefined && job.array === null) {
      if (begin !== lastBegin) {
        lastBegin = begin;
        const t = parseIso(begin);
        lastBeginMs = Number.isNaN(t) ? 0 : t;
      }
      if (lastBeginMs > now) {
        beginsAt ??= new Float64Array(n);
        beginsAt[i] = lastBeginMs;
        if (lastBeginMs < nextBeginAt) nextBeginAt = lastBeginMs;
      } else if (lastBeginMs > lastSubmittedAt) {
        // As Slurm's age factor: a job waits in the queue from when it may run, not
        // from its submission, so a job held back by its begin time gains no age.
        submittedAt[i] = lastBeginMs;
      }
    }
    const o = i * REC;
    rec[o + R_CPU] = r.cpu;
    rec[o + R_RAM] = r.ram;
    rec[o + R_GPUS] = r.gpus;
    rec[o + R_END] = now + (r.timeLimit === null ? defaultLimitMs : r.timeLimit * 1000);
    rec[o + R_PARENT] = job.array !== null ? ARRAY_PARENT : (job.parentId ?? -1);
    rec[o + R_ACCOUNT] = lastAccount.index;
    rec[o + R_POOL] = lastPool.index;
    rec[o + R_ID] = job.id;
    rec[o + R_PORTS] = job.container.ports?.length ?? 0;
  }
  cluster.seal();

  const ctx: PolicyContext = {
    now,
    weights,
    submittedAt,
    jobPriority,
    accounts: accounts.list,
    accountOf,
    projects: input.projects ?? [],
    usage: input.usage ?? { project: new Map(), user: new Map() },
  };
  const ranking = policy.order(jobs, ctx);
  const order = schedulingOrder(ranking.priority, submittedAt, ids);

  const codes = new Uint8Array(n);
  const blockedBy = new Int32Array(n).fill(-1);
  const blockKind = new Uint8Array(n);
  const start: Placement[] = [];
  const unsatisfiable: UnsatisfiableJob[] = [];
  const reservationOnNode = new Map<number, Reservation>();
  const reservationOfJob = new Map<number, Reservation>();
  // Expected releases, built the first time a reservation is needed.
  const startedHere: Array<[number, Release]> = [];
  let timeline: Timeline | undefined;
  const freeOf = (k: number) => ({
    cpu: cluster.freeCpu[k] as number,
    ram: cluster.freeRam[k] as number,
    gpus: cluster.freeGpus[k] as number,
    ports: cluster.freePorts[k] as number,
  });
  const buildTimeline = (): Timeline => {
    const t = new Timeline(nodes.length);
    input.active.forEach((job, a) => {
      const k = activeNode[a] as number;
      if (k < 0) return;
      const r = job.requirements;
      const startedMs = job.status.startedAt === null ? Number.NaN : parseIso(job.status.startedAt);
      const limitMs = r.timeLimit === null ? defaultLimitMs : r.timeLimit * 1000;
      const end = (Number.isNaN(startedMs) ? now : startedMs) + limitMs;
      t.add(k, { end, cpu: r.cpu, ram: r.ram, gpus: r.gpus, ports: heldPorts[a] as number });
    });
    for (const [k, rel] of startedHere) t.add(k, rel);
    return t;
  };

  let refusedBy: Reservation | undefined;
  /** First node of the pool open to this job now, honouring reservations; -1 if none. */
  const findNode = (pool: Pool, cpu: number, ram: number, gpus: number, ports: number, end: number): number => {
    refusedBy = undefined;
    let from = 0;
    for (;;) {
      const pos = pool.open.firstFit(cpu, ram, gpus, ports, from);
      if (pos < 0) return -1;
      const k = pool.nodes[pos] as number;
      const res = reservationOnNode.size === 0 ? undefined : reservationOnNode.get(k);
      if (res === undefined || res.admit(end, cpu, ram, gpus, ports)) return k;
      refusedBy ??= res;
      from = pos + 1;
    }
  };

  const reserve = (i: number, pool: Pool, cpu: number, ram: number, gpus: number, ports: number): void => {
    timeline ??= buildTimeline();
    let best = Number.POSITIVE_INFINITY;
    let bestNode = -1;
    for (const k of pool.nodes) {
      const t = earliestStart(timeline.releases(k), now, freeOf(k), cpu, ram, gpus, ports);
      if (t < best) {
        best = t;
        bestNode = k;
      }
    }
    if (bestNode < 0) return;
    const at = freeAt(timeline.releases(bestNode), best, freeOf(bestNode));
    const extra = { cpu: at.cpu - cpu, ram: at.ram - ram, gpus: at.gpus - gpus, ports: at.ports - ports };
    const res = new Reservation(i, bestNode, best, extra);
    reservationOnNode.set(bestNode, res);
    reservationOfJob.set(i, res);
    for (const p of cluster.pools) if (p.nodes.includes(bestNode)) p.reserved = true;
  };

  for (let j = 0; j < n; j++) {
    const i = order[j] as number;
    const o = i * REC;
    const parentId = rec[o + R_PARENT] as number;
    // An array's parent given by mistake: its tasks are the jobs; it gets no decision and no reason.
    if (parentId === ARRAY_PARENT) continue;
    const dep = depStatus[i];
    if (dep === NEVER) {
      codes[i] = C_NEVER;
      const job = jobs[i] as Job;
      const never = neverMet(job.dependencies, depStates);
      if (never) unsatisfiable.push({ jobId: job.id, ...never });
      continue;
    }
    // After NEVER, so a job that can never run fails now rather than at its begin time.
    if (beginsAt !== undefined && (beginsAt[i] as number) > 0) {
      codes[i] = C_BEGIN;
      continue;
    }
    if (dep === WAIT) {
      codes[i] = C_DEPENDENCY;
      continue;
    }
    const arr = parentId < 0 ? null : arrayOf(parentId);
    if (arr !== null && arr.running >= arr.throttle) {
      codes[i] = C_THROTTLE;
      continue;
    }
    const cpu = rec[o + R_CPU] as number;
    const ram = rec[o + R_RAM] as number;
    const gpus = rec[o + R_GPUS] as number;
    const ports = rec[o + R_PORTS] as number;
    const account = accounts.list[rec[o + R_ACCOUNT] as number] as AccountState;
    let breach = account.userQuota.breach(cpu, ram, gpus);
    if (breach !== OK) {
      codes[i] = USER_CODE_BASE + breach;
      continue;
    }
    breach = account.projectQuota.breach(cpu, ram, gpus);
    if (breach !== OK) {
      codes[i] = PROJECT_CODE_BASE + breach;
      continue;
    }

    const pool = cluster.pools[rec[o + R_POOL] as number] as Pool;
    const end = rec[o + R_END] as number;
    const k = findNode(pool, cpu, ram, gpus, ports, end);
    if (k >= 0) {
      cluster.place(k, cpu, ram, gpus, ports);
      account.userQuota.charge(cpu, ram, gpus);
      account.projectQuota.charge(cpu, ram, gpus);
      if (arr !== null) arr.running += 1;
      start.push({ jobId: rec[o + R_ID] as number, node: (nodes[k] as NodeInfo).name });
      const release = { end, cpu, ram, gpus, ports };
      if (timeline) timeline.add(k, release);
      else startedHere.push([k, release]);
      continue;
    }
    if (!cluster.bigEnough(pool, cpu, ram, gpus, ports)) {
      codes[i] = C_NO_NODE;
      continue;
    }
    // It fits now, but a reservation or (without backfill) a higher-priority job holds those nodes.
    if (refusedBy !== undefined) {
      codes[i] = C_PRIORITY;
      blockedBy[i] = refusedBy.job;
      blockKind[i] = RESERVED;
      continue;
    }
    if (strict) {
      const pos = pool.free.firstFit(cpu, ram, gpus, ports);
      if (pos >= 0) {
        codes[i] = C_PRIORITY;
        blockedBy[i] = cluster.claimedBy?.[pool.nodes[pos] as number] ?? -1;
        blockKind[i] = STRICT;
        continue;
      }
    }
    // It does not fit anywhere now: first in line for these nodes, or behind the one who is.
    if (pool.waiter >= 0) {
      codes[i] = C_PRIORITY;
      blockedBy[i] = pool.waiter;
      blockKind[i] = BEHIND;
      continue;
    }
    codes[i] = C_RESOURCES;
    for (const q of pool.overlaps) if (q.waiter < 0) q.waiter = i;
    if (strict) cluster.claim(pool, i);
    else if (!pool.reserved) reserve(i, pool, cpu, ram, gpus, ports);
  }

  const facts: PassFacts = {
    now,
    jobs,
    nodes,
    strict,
    depStates,
    ranking,
    pool: (i) => cluster.pools[rec[i * REC + R_POOL] as number] as Pool,
    account: (i) => accounts.list[accountOf[i] as number] as AccountState,
    array: (parentId) => arrays.get(parentId) ?? undefined,
    blocker: (i) => ({ index: blockedBy[i] as number, kind: blockKind[i] as BlockKind }),
    reservation: (i) => reservationOfJob.get(i),
    beginAt: (i) => beginsAt?.[i] ?? now,
  };
  const message = (i: number, code: WaitCode): string => explainWait(facts, i, code);
  const waiting = new WaitReasons(ids, codes, message);
  const reservations: ReservationInfo[] = [...reservationOfJob.values()].map((r) => ({
    jobId: (jobs[r.job] as Job).id,
    node: (nodes[r.node] as NodeInfo).name,
    at: r.at,
  }));
  const detail: PassDetail = {
    outcome: (jobId) => {
      const i = waiting.indexOf(jobId);
      if (i < 0) return 'unknown';
      const code = codes[i] as number;
      if (code === 0) return 'started';
      if (code === C_PRIORITY && blockKind[i] !== BEHIND) return 'open';
      return 'absorbed';
    },
    blocking: (jobId) => {
      const i = waiting.indexOf(jobId);
      return i < 0 || codes[i] !== C_PRIORITY ? undefined : blockingOf(facts, i);
    },
  };
  const out: EngineOutput = {
    policy: policy.name,
    start,
    waiting,
    unsatisfiable,
    reservations,
    nextBeginAt: nextBeginAt === Number.POSITIVE_INFINITY ? null : nextBeginAt,
    priority: (jobId) => {
      const i = waiting.indexOf(jobId);
      return i < 0 ? undefined : ranking.breakdown(i);
    },
  };
  return { out, detail };
}

/**
 * The priority a job would have in a pass over `input`, with its factors: for a pending job
 * the pass did not look at (the incremental queue hands it only the first jobs of each class).
 */
export function priorityOfJob(input: EngineInput, job: Job): PriorityBreakdown {
  const accounts = new Accounts(input.projects ?? [], input.users ?? [], input.cpuTime);
  const account = accounts.of(job.user.name, job.project);
  const submitted = parseIso(job.status.submittedAt);
  let at = Number.isNaN(submitted) ? input.now : submitted;
  const begin = job.beginAt === undefined ? Number.NaN : parseIso(job.beginAt);
  // As the pass: a job whose begin time came ages from then.
  if (!(begin > input.now) && begin > at) at = begin;
  const ctx: PolicyContext = {
    now: input.now,
    weights: input.weights ?? DEFAULT_PRIORITY_WEIGHTS,
    submittedAt: Float64Array.of(at),
    jobPriority: Float64Array.of(job.priority),
    accounts: accounts.list,
    accountOf: Int32Array.of(account.index),
    projects: input.projects ?? [],
    usage: input.usage ?? { project: new Map(), user: new Map() },
  };
  return resolvePolicy(input.policy ?? 'fairshare')
    .order([job], ctx)
    .breakdown(0);
}
