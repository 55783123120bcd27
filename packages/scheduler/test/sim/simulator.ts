/**
 * A discrete-event simulator of a GoDocker cluster: a simulated clock, a
 * simulated executor (a job runs for its given duration, or is killed at its
 * time limit), fair-share usage that accrues in billing units and decays with
 * the half-life, and cumulative cpu-time windows. The REAL engine schedules,
 * as the daemon runs it: a pass over the incremental queue (`scheduleQueue`,
 * which looks at the first jobs of each class and decides as `schedule` over
 * all of them), with the REAL fair-share and priority modules inside it;
 * usage is charged with the real `billingUnits` and `decay`.
 *
 * After every pass the simulator checks, with its own plain judgement rather
 * than the engine's code:
 * - no node holds more than it has; no user or project goes over a
 *   concurrent quota; no job starts while its user's or project's cpu-time
 *   window is used up;
 * - no job starts before its dependencies allow, no array runs more tasks
 *   than its throttle;
 * - every pending job that did not start has a reason, and the reason is
 *   true (the quota named is reached, the job named is ahead of it, no node
 *   has room, ...).
 * A broken rule throws, with the time and the job.
 *
 * ```ts
 * const sim = new Simulation({ nodes: [node('n1', 16)], projects, policy: 'fairshare' });
 * sim.load([{ at: 0, user: 'alice', project: 'p', duration: 600, cpu: 4 }]);
 * sim.runUntilIdle(86400);
 * ```
 */
import type { Dependency, DependencyType, Job, JobState, NodeInfo } from '@godocker/sdk';
import { type BillingWeights, billingUnits, DEFAULT_BILLING_WEIGHTS, decay, userKey } from '../../src/engine/fairshare.js';
import { PendingQueue } from '../../src/engine/pending-queue.js';
import type { PriorityWeights } from '../../src/engine/priority.js';
import { type QueuePass, scheduleQueue } from '../../src/engine/queue-pass.js';
import type {
  BackfillSettings,
  EngineInput,
  EngineOutput,
  PolicyName,
  ProjectPolicy,
  UnsatisfiableJob,
  UserPolicy,
  WaitCode,
  WaitReason,
} from '../../src/engine/schedule.js';
import { parentState } from '../../src/store/array-parent.js';
import { makeJob } from '../fixtures/jobs.js';
import { EventQueue } from './event-queue.js';

/** One submission of a workload. */
export interface WorkloadJob {
  /** Submission time, seconds from the start of the simulation. */
  at: number;
  user: string;
  project: string;
  cpu?: number;
  /** MiB */
  ram?: number;
  gpus?: number;
  labels?: Record<string, string>;
  /** How long it runs, in seconds (each task, for an array). */
  duration: number;
  /** Time limit in seconds; default: the duration; null for none. */
  limit?: number | null;
  priority?: number;
  /** It ends failed (a non-zero exit) instead of done. */
  fails?: boolean;
  /** Dependencies on earlier entries of the workload, by index (an array entry means the whole array). */
  after?: Array<{ type: DependencyType; on: number }>;
  /** Raw dependencies, by job id (for ids that do not exist). */
  dependencies?: Dependency[];
  array?: { count: number; throttle: number | null };
}

export interface SimOptions {
  nodes: NodeInfo[];
  projects?: ProjectPolicy[];
  users?: UserPolicy[];
  policy?: PolicyName;
  backfill?: BackfillSettings;
  weights?: PriorityWeights;
  /** Fair-share usage half-life; default 7 days. */
  halfLifeSeconds?: number;
  billing?: BillingWeights;
  /** Seconds between passes when nothing happens (the daemon's tick); default 60. */
  tickSeconds?: number;
  /** Decayed usage at time 0, per project and per `${project}/${user}`. */
  usage?: { project?: Record<string, number>; user?: Record<string, number> };
  /** Epoch ms of time 0. */
  epoch?: number;
}

export interface SimJob {
  job: Job;
  /** Index of its workload entry. */
  entry: number;
  /** Sim seconds. */
  submitAt: number;
  startAt: number | null;
  endAt: number | null;
  duration: number;
  fails: boolean;
  /** Wait codes it was given, in order, repeats folded. */
  codes: WaitCode[];
  /** Its reason after the last pass in which it waited. */
  lastReason: WaitReason | null;
  /** Why it failed, when the simulator failed it. */
  failure: string | null;
  isParent: boolean;
}

type SimEvent = { kind: 'submit'; entry: number } | { kind: 'end'; id: number };

export interface PassRecord {
  /** Sim seconds. */
  at: number;
  input: EngineInput;
  out: EngineOutput;
}

const EPS = 1e-9;

export class Simulation {
  /** Sim seconds since time 0. */
  now = 0;
  passes = 0;
  readonly jobs = new Map<number, SimJob>();
  /** Job id of each workload entry (the parent's, for an array). */
  readonly idOfEntry: number[] = [];
  readonly usage = { project: new Map<string, number>(), user: new Map<string, number>() };
  readonly #o: Required<Omit<SimOptions, 'usage' | 'projects' | 'users' | 'weights'>> &
    Pick<SimOptions, 'weights'> & { projects: ProjectPolicy[]; users: UserPolicy[] };
  readonly #queue = new EventQueue<SimEvent>();
  readonly #workload: WorkloadJob[] = [];
  readonly #observers: Array<(pass: PassRecord, sim: Simulation) => void> = [];
  readonly #userPolicy = new Map<string, UserPolicy>();
  readonly #projectPolicy = new Map<string, ProjectPolicy>();
  #nextId = 1;
  #lastPass = Number.NEGATIVE_INFINITY;
  /** Jobs running now, and pending ones (array tasks included, parents not). */
  readonly #runningSet = new Set<SimJob>();
  readonly #pendingSet = new Set<SimJob>();
  /** Task counts by state of each array, kept as tasks change state. */
  readonly #taskCounts = new Map<number, Partial<Record<JobState, number>>>();

  constructor(options: SimOptions) {
    this.#o = {
      nodes: options.nodes,
      projects: options.projects ?? [],
      users: options.users ?? [],
      policy: options.policy ?? 'fairshare',
      backfill: options.backfill ?? { enabled: true, maxTimeLimitSeconds: 7 * 86400 },
      weights: options.weights,
      halfLifeSeconds: options.halfLifeSeconds ?? 7 * 86400,
      billing: options.billing ?? DEFAULT_BILLING_WEIGHTS,
      tickSeconds: options.tickSeconds ?? 60,
      epoch: options.epoch ?? Date.parse('2025-01-01T00:00:00.000Z'),
    };
    for (const p of this.#o.projects) this.#projectPolicy.set(p.name, p);
    for (const u of this.#o.users) this.#userPolicy.set(u.name, u);
    for (const [k, v] of Object.entries(options.usage?.project ?? {})) this.usage.project.set(k, v);
    for (const [k, v] of Object.entries(options.usage?.user ?? {})) this.usage.user.set(k, v);
  }

  /** Called after every pass, once the simulator's own checks passed. */
  onPass(fn: (pass: PassRecord, sim: Simulation) => void): void {
    this.#observers.push(fn);
  }

  load(workload: readonly WorkloadJob[]): void {
    for (const w of workload) {
      const entry = this.#workload.length;
      this.#workload.push(w);
      this.#queue.push(w.at, { kind: 'submit', entry });
    }
  }

  /** Submits now (from an observer: a user who keeps their queue full). */
  submitNow(w: Omit<WorkloadJob, 'at'>): void {
    this.load([{ ...w, at: this.now }]);
  }

  /** Pending jobs (tasks included) of a user. */
  pendingOf(user: string): number {
    let n = 0;
    for (const j of this.#pendingSet) if (j.job.user.name === user) n++;
    return n;
  }

  get epochMs(): number {
    return this.#o.epoch + this.now * 1000;
  }

  /** Runs events and passes up to `until` (sim seconds). */
  run(until: number): void {
    for (;;) {
      const nextEvent = this.#queue.peekTime();
      const nextTick = this.#hasPending() ? this.#lastPass + this.#o.tickSeconds : Number.POSITIVE_INFINITY;
      const t = Math.min(nextEvent, nextTick);
      if (t > until || t === Number.POSITIVE_INFINITY) {
        if (until !== Number.POSITIVE_INFINITY) this.#advance(until);
        return;
      }
      this.#advance(t);
      let changed = false;
      while (this.#queue.peekTime() <= t) {
        const e = this.#queue.pop();
        if (!e) break;
        this.#handle(e.event);
        changed = true;
      }
      if (changed || t >= nextTick) this.#pass();
    }
  }

  /** Runs until every job has ended; throws if that takes longer than `limit` sim seconds. */
  runUntilIdle(limit: number): void {
    this.run(limit);
    const left = [...this.jobs.values()].filter((j) => !j.isParent && j.endAt === null);
    if (left.length > 0 || this.#queue.size > 0) {
      const sample = left
        .slice(0, 5)
        .map((j) => `job ${j.job.id} (${j.job.status.state}: ${j.lastReason?.code} ${j.lastReason?.message})`);
      throw new Error(`${left.length} jobs still not ended at t=${limit}s: ${sample.join('; ')}`);
    }
  }

  /** The jobs of one workload entry (its tasks, for an array). */
  jobsOf(entry: number): SimJob[] {
    return [...this.jobs.values()].filter((j) => j.entry === entry && !j.isParent);
  }

  /** Cpu-seconds delivered to jobs matching `which` between two sim times. */
  delivered(from: number, to: number, which: (j: SimJob) => boolean): number {
    let sum = 0;
    for (const j of this.jobs.values()) {
      if (j.isParent || j.startAt === null || !which(j)) continue;
      const s = Math.max(from, j.startAt);
      const e = Math.min(to, j.endAt ?? this.now);
      if (e > s) sum += (e - s) * j.job.requirements.cpu;
    }
    return sum;
  }

  // ---- events -------------------------------------------------------------

  #handle(e: SimEvent): void {
    if (e.kind === 'submit') this.#submit(e.entry);
    else this.#end(e.id);
  }

  #submit(entry: number): void {
    const w = this.#workload[entry] as WorkloadJob;
    const dependencies: Dependency[] = [
      ...(w.dependencies ?? []),
      ...(w.after ?? []).map((a) => ({ type: a.type, jobId: this.idOfEntry[a.on] ?? 999_999_999 })),
    ];
    const base = makeJob({
      user: { name: w.user },
      project: w.project,
      requirements: {
        cpu: w.cpu ?? 1,
        ram: w.ram ?? 1024,
        gpus: w.gpus ?? 0,
        timeLimit: w.limit === undefined ? w.duration : w.limit,
        labels: w.labels ?? {},
      },
      priority: w.priority ?? 0,
      dependencies,
      status: { state: 'pending', submittedAt: new Date(this.epochMs).toISOString() },
    });
    const record = (job: Job, isParent: boolean): void => {
      const sj: SimJob = {
        job,
        entry,
        submitAt: this.now,
        startAt: null,
        endAt: null,
        duration: w.duration,
        fails: w.fails ?? false,
        codes: [],
        lastReason: null,
        failure: null,
        isParent,
      };
      this.jobs.set(job.id, sj);
      if (isParent) return;
      this.#pendingSet.add(sj);
      if (job.parentId !== null) this.#count(job.parentId, 'pending', 1);
    };
    if (!w.array) {
      const job: Job = { id: this.#nextId++, ...base };
      this.idOfEntry[entry] = job.id;
      record(job, false);
      return;
    }
    const { count, throttle } = w.array;
    const parent: Job = {
      id: this.#nextId++,
      ...base,
      array: { start: 0, end: count - 1, step: 1, throttle, count, tasks: { pending: count } },
    };
    this.idOfEntry[entry] = parent.id;
    record(parent, true);
    for (let t = 0; t < count; t++) {
      record({ id: this.#nextId++, ...structuredClone(base), parentId: parent.id, taskIndex: t }, false);
    }
  }

  #end(id: number): void {
    const j = this.jobs.get(id);
    if (!j || j.startAt === null) return;
    const ran = this.now - j.startAt;
    const killed = j.job.requirements.timeLimit !== null && j.duration > j.job.requirements.timeLimit;
    this.#setState(j, killed || j.fails ? 'failed' : 'done');
    j.endAt = this.now;
    j.job.usage.wallSeconds = ran;
  }

  #count(parentId: number, state: JobState, delta: number): void {
    const c = this.#taskCounts.get(parentId) ?? {};
    c[state] = (c[state] ?? 0) + delta;
    this.#taskCounts.set(parentId, c);
  }

  #setState(j: SimJob, state: JobState): void {
    const from = j.job.status.state;
    if (j.job.parentId !== null) {
      this.#count(j.job.parentId, from, -1);
      this.#count(j.job.parentId, state, 1);
    }
    for (const [s, set] of [
      ['pending', this.#pendingSet],
      ['running', this.#runningSet],
    ] as const) {
      if (from === s) set.delete(j);
      if (state === s) set.add(j);
    }
    j.job.status.state = state;
    j.job.status.history.push({ state, at: new Date(this.epochMs).toISOString(), reason: 'simulated' });
  }

  // ---- time -----------------------------------------------------------------

  /** Moves the clock to `t`: usage decays, running jobs accrue billing units (integrated under the decay). */
  #advance(t: number): void {
    const dt = t - this.now;
    if (dt <= 0) return;
    const h = this.#o.halfLifeSeconds;
    for (const m of [this.usage.project, this.usage.user]) for (const [k, v] of m) m.set(k, decay(v, dt, h));
    // ∫0..dt rate·2^(-(dt-s)/h) ds = rate·h/ln2·(1 - 2^(-dt/h)); without decay, rate·dt.
    const weight = h > 0 ? (h / Math.LN2) * (1 - decay(1, dt, h)) : dt;
    for (const j of this.#running()) {
      const units = billingUnits(j.job.requirements, 1, this.#o.billing) * weight;
      const p = j.job.project;
      const key = userKey(p, j.job.user.name);
      this.usage.project.set(p, (this.usage.project.get(p) ?? 0) + units);
      this.usage.user.set(key, (this.usage.user.get(key) ?? 0) + units);
    }
    this.now = t;
  }

  // ---- passes ---------------------------------------------------------------

  #hasPending(): boolean {
    return this.#pendingSet.size > 0;
  }

  #running(): Iterable<SimJob> {
    return this.#runningSet;
  }

  /** A job's state as the runtime would report it to the engine: an array's parent sums up its tasks. */
  #stateOf(id: number): JobState | undefined {
    const j = this.jobs.get(id);
    if (!j) return undefined;
    if (!j.isParent) return j.job.status.state;
    const counts: Partial<Record<JobState, number>> = {};
    for (const [s, n] of Object.entries(this.#taskCounts.get(id) ?? {})) if (n) counts[s as JobState] = n;
    return parentState(counts);
  }

  /** Cpu-seconds used by matching jobs in the last `window` seconds, running jobs' part included. */
  #cpuTimeUsed(window: number, which: (j: SimJob) => boolean): number {
    return this.delivered(this.now - window, this.now, which);
  }

  #cpuTimeInput(): NonNullable<EngineInput['cpuTime']> {
    const user = new Map<string, number>();
    const project = new Map<string, number>();
    for (const u of this.#o.users) {
      const q = u.quota?.cpuTime;
      if (q)
        user.set(
          u.name,
          this.#cpuTimeUsed(q.windowSeconds, (j) => j.job.user.name === u.name),
        );
    }
    for (const p of this.#o.projects) {
      const q = p.quota?.cpuTime;
      if (q)
        project.set(
          p.name,
          this.#cpuTimeUsed(q.windowSeconds, (j) => j.job.project === p.name),
        );
    }
    return { user, project };
  }

  #pass(): void {
    this.#lastPass = this.now;
    if (this.#pendingSet.size === 0) return;
    const pending = [...this.#pendingSet].map((j) => j.job).sort((a, b) => a.id - b.id);
    const active = [...this.#runningSet].map((j) => j.job);
    const arrays = new Map<number, { throttle: number | null }>();
    for (const parentId of this.#taskCounts.keys()) {
      arrays.set(parentId, { throttle: this.jobs.get(parentId)?.job.array?.throttle ?? null });
    }
    const dependencies = new Map<number, JobState>();
    for (const job of pending) {
      for (const d of job.dependencies) {
        const s = this.#stateOf(d.jobId);
        if (s !== undefined) dependencies.set(d.jobId, s);
      }
    }
    const cpuTime = this.#cpuTimeInput();
    const input: EngineInput = {
      now: this.epochMs,
      pending,
      active,
      nodes: this.#o.nodes,
      policy: this.#o.policy,
      projects: this.#o.projects,
      users: this.#o.users,
      usage: { project: new Map(this.usage.project), user: new Map(this.usage.user) },
      cpuTime,
      dependencies,
      arrays,
      backfill: this.#o.backfill,
      ...(this.#o.weights ? { weights: this.#o.weights } : {}),
    };
    const queue = new PendingQueue();
    const doomed: UnsatisfiableJob[] = [];
    for (const job of pending) {
      const d = queue.add(job, dependencies, this.epochMs);
      if (d) for (const jobId of d.ids) doomed.push({ jobId, dependency: d.dependency, reason: d.reason });
    }
    const { pending: _all, dependencies: _states, ...rest } = input;
    const pass = scheduleQueue(queue, rest);
    const out = pass.out;
    this.passes++;

    for (const u of [...doomed, ...out.unsatisfiable]) {
      const j = this.#job(u.jobId);
      const s = this.#stateOf(u.dependency.jobId);
      this.#expect(
        j.job.dependencies.some((d) => d.jobId === u.dependency.jobId && d.type === u.dependency.type) &&
          neverMet(u.dependency.type, s),
        `job ${u.jobId} was failed for ${u.dependency.type}:${u.dependency.jobId} (${s}), which could still be met`,
      );
      j.failure = u.reason;
      this.#setState(j, 'failed');
      j.endAt = this.now;
    }
    for (const p of out.start) {
      const j = this.#job(p.jobId);
      this.#expect(j.job.status.state === 'pending', `job ${p.jobId} started while ${j.job.status.state}`);
      for (const d of j.job.dependencies) {
        const s = this.#stateOf(d.jobId);
        this.#expect(met(d.type, s), `job ${p.jobId} started before ${d.type}:${d.jobId} was met (it is ${s})`);
      }
      this.#checkCpuTime(j, cpuTime);
      const nodeInfo = this.#o.nodes.find((n) => n.name === p.node);
      this.#expect(
        nodeInfo !== undefined && labelsMatch(j.job, nodeInfo),
        `job ${p.jobId} placed on ${p.node}, which lacks its labels`,
      );
      this.#setState(j, 'running');
      j.job.status.node = p.node;
      j.job.status.startedAt = new Date(this.epochMs).toISOString();
      j.startAt = this.now;
      const limit = j.job.requirements.timeLimit;
      this.#queue.push(this.now + (limit === null ? j.duration : Math.min(j.duration, limit)), { kind: 'end', id: j.job.id });
    }
    this.#checkHoldings();
    this.#checkReasons(pass, dependencies, cpuTime);
    for (const fn of this.#observers) fn({ at: this.now, input, out }, this);
  }

  #job(id: number): SimJob {
    const j = this.jobs.get(id);
    if (!j) throw new Error(`t=${this.now}s: the engine named job ${id}, which does not exist`);
    return j;
  }

  #expect(ok: boolean, what: string): void {
    if (!ok) throw new Error(`t=${this.now}s: ${what}`);
  }

  // ---- the checks --------------------------------------------------------------

  #checkCpuTime(j: SimJob, used: NonNullable<EngineInput['cpuTime']>): void {
    const uq = this.#userPolicy.get(j.job.user.name)?.quota?.cpuTime;
    if (uq) {
      const u = used.user.get(j.job.user.name) ?? 0;
      this.#expect(
        u < uq.seconds,
        `job ${j.job.id} started with user ${j.job.user.name}'s cpu time used up (${u} of ${uq.seconds})`,
      );
    }
    const pq = this.#projectPolicy.get(j.job.project)?.quota?.cpuTime;
    if (pq) {
      const u = used.project.get(j.job.project) ?? 0;
      this.#expect(
        u < pq.seconds,
        `job ${j.job.id} started with project ${j.job.project}'s cpu time used up (${u} of ${pq.seconds})`,
      );
    }
  }

  /** What every node, user, project and array holds now. */
  holdings() {
    const node = new Map<string, Sum>();
    const user = new Map<string, Sum>();
    const project = new Map<string, Sum>();
    const array = new Map<number, number>();
    const add = <K>(m: Map<K, Sum>, k: K, job: Job) => {
      const s = m.get(k) ?? { cpu: 0, ram: 0, gpus: 0, jobs: 0 };
      s.cpu += job.requirements.cpu;
      s.ram += job.requirements.ram;
      s.gpus += job.requirements.gpus;
      s.jobs += 1;
      m.set(k, s);
    };
    for (const j of this.#running()) {
      add(node, j.job.status.node ?? '', j.job);
      add(user, j.job.user.name, j.job);
      add(project, j.job.project, j.job);
      if (j.job.parentId !== null) array.set(j.job.parentId, (array.get(j.job.parentId) ?? 0) + 1);
    }
    return { node, user, project, array };
  }

  #checkHoldings(): void {
    const h = this.holdings();
    for (const n of this.#o.nodes) {
      const s = h.node.get(n.name);
      if (!s) continue;
      this.#expect(
        s.cpu <= n.cpu + EPS && s.ram <= n.ram && s.gpus <= n.gpus,
        `node ${n.name} over capacity: ${JSON.stringify(s)}`,
      );
    }
    const within = (what: string, s: Sum | undefined, q: ProjectPolicy['quota']) => {
      if (!s || !q) return;
      this.#expect(s.cpu <= (q.cpu ?? Number.POSITIVE_INFINITY) + EPS, `${what} uses ${s.cpu} cpu, over its quota ${q.cpu}`);
      this.#expect(s.ram <= (q.ram ?? Number.POSITIVE_INFINITY), `${what} uses ${s.ram} MiB, over its quota ${q.ram}`);
      this.#expect(s.gpus <= (q.gpus ?? Number.POSITIVE_INFINITY), `${what} uses ${s.gpus} gpus, over its quota ${q.gpus}`);
      this.#expect(
        s.jobs <= (q.runningJobs ?? Number.POSITIVE_INFINITY),
        `${what} runs ${s.jobs} jobs, over its quota ${q.runningJobs}`,
      );
    };
    for (const u of this.#o.users) within(`user ${u.name}`, h.user.get(u.name), u.quota);
    for (const p of this.#o.projects) within(`project ${p.name}`, h.project.get(p.name), p.quota);
    for (const [parentId, running] of h.array) {
      const throttle = this.jobs.get(parentId)?.job.array?.throttle ?? null;
      this.#expect(
        throttle === null || running <= throttle,
        `array ${parentId} runs ${running} tasks, over its throttle ${throttle}`,
      );
    }
  }

  /**
   * Every pending job has a reason, and the reason holds in the cluster as the
   * pass left it — dependencies as the pass saw them, before the jobs it found
   * doomed were failed.
   */
  #checkReasons(pass: QueuePass, seen: ReadonlyMap<number, JobState>, cpuTime: NonNullable<EngineInput['cpuTime']>): void {
    const h = this.holdings();
    const free = (n: NodeInfo) => {
      const s = h.node.get(n.name);
      return { cpu: n.cpu - (s?.cpu ?? 0), ram: n.ram - (s?.ram ?? 0), gpus: n.gpus - (s?.gpus ?? 0) };
    };
    const fits = (job: Job, room: { cpu: number; ram: number; gpus: number }) =>
      job.requirements.cpu <= room.cpu + EPS && job.requirements.ram <= room.ram && job.requirements.gpus <= room.gpus;
    const totals = new Map<number, number>();
    const priorityOf = (id: number) => {
      let p = totals.get(id);
      if (p === undefined) {
        const j = this.jobs.get(id);
        p = (j ? pass.priorityOf(j.job)?.total : undefined) ?? 0;
        totals.set(id, p);
      }
      return p;
    };
    for (const j of this.#pendingSet) {
      const job = j.job;
      const reason = pass.reasonOf(job);
      this.#expect(reason !== undefined, `pending job ${job.id} did not start and has no reason`);
      if (!reason) continue;
      j.lastReason = reason;
      if (j.codes[j.codes.length - 1] !== reason.code) j.codes.push(reason.code);
      const why = `job ${job.id} waits with ${reason.code} (${reason.message})`;
      const nodes = this.#o.nodes.filter((n) => labelsMatch(job, n));
      const states = job.dependencies.map((d) => seen.get(d.jobId));
      const req = job.requirements;
      switch (reason.code) {
        case 'Dependency':
          this.#expect(
            job.dependencies.some((d, i) => !met(d.type, states[i])) &&
              !job.dependencies.some((d, i) => neverMet(d.type, states[i])),
            `${why}, but its dependencies are ${JSON.stringify(states)}`,
          );
          break;
        case 'DependencyNeverSatisfied':
          this.#expect(
            job.dependencies.some((d, i) => neverMet(d.type, states[i])),
            `${why}, but ${JSON.stringify(states)}`,
          );
          break;
        case 'JobArrayTaskLimit': {
          const throttle = job.parentId === null ? null : (this.jobs.get(job.parentId)?.job.array?.throttle ?? null);
          const running = job.parentId === null ? 0 : (h.array.get(job.parentId) ?? 0);
          this.#expect(throttle !== null && running >= throttle, `${why}, but the array runs ${running} of ${throttle}`);
          break;
        }
        case 'NoNodeFits':
          this.#expect(!nodes.some((n) => fits(job, n)), `${why}, but a node is big enough`);
          break;
        case 'Resources':
          this.#expect(!nodes.some((n) => fits(job, free(n))), `${why}, but a node has room now`);
          break;
        case 'Priority': {
          const blocker = Number(/job (\d+)/.exec(reason.message)?.[1]);
          const b = this.jobs.get(blocker);
          this.#expect(b?.job.status.state === 'pending', `${why}, but job ${blocker} is not pending`);
          const mine = priorityOf(job.id);
          const theirs = priorityOf(blocker);
          // Priorities within 2^-32 are one level to the engine: the older job goes first.
          const ahead = theirs > mine + 1e-9 || (theirs >= mine - 1e-9 && (b?.submitAt ?? 0) <= j.submitAt);
          this.#expect(ahead, `${why}, but job ${blocker} has priority ${theirs} against its ${mine}`);
          if (reason.message.startsWith('would delay')) {
            this.#expect(
              pass.out.reservations.some((r) => r.jobId === blocker),
              `${why}, but job ${blocker} holds no reservation`,
            );
          } else {
            this.#expect(
              (b ? pass.reasonOf(b.job)?.code : undefined) === 'Resources',
              `${why}, but job ${blocker} does not wait for resources`,
            );
          }
          if (reason.message.startsWith('waits behind') && !reason.message.includes('without backfill')) {
            this.#expect(!nodes.some((n) => fits(job, free(n))), `${why}, but a node has room now`);
          }
          break;
        }
        default: {
          const scope = reason.code.startsWith('User') ? 'user' : 'project';
          const name = scope === 'user' ? job.user.name : job.project;
          const quota = (scope === 'user' ? this.#userPolicy.get(name) : this.#projectPolicy.get(name))?.quota ?? {};
          const held = (scope === 'user' ? h.user : h.project).get(name) ?? { cpu: 0, ram: 0, gpus: 0, jobs: 0 };
          const over: Record<string, boolean> = {
            CpuLimit: held.cpu + req.cpu > (quota.cpu ?? Number.POSITIVE_INFINITY) + EPS,
            RamLimit: held.ram + req.ram > (quota.ram ?? Number.POSITIVE_INFINITY),
            GpuLimit: held.gpus + req.gpus > (quota.gpus ?? Number.POSITIVE_INFINITY),
            RunningJobsLimit: held.jobs + 1 > (quota.runningJobs ?? Number.POSITIVE_INFINITY),
            CpuTimeLimit:
              ((scope === 'user' ? cpuTime.user : cpuTime.project).get(name) ?? 0) >=
              (quota.cpuTime?.seconds ?? Number.POSITIVE_INFINITY),
          };
          const dim = reason.code.replace(/^(User|Project)/, '');
          this.#expect(
            over[dim] === true,
            `${why}, but ${scope} ${name} holds ${JSON.stringify(held)} under ${JSON.stringify(quota)}`,
          );
        }
      }
    }
  }
}

interface Sum {
  cpu: number;
  ram: number;
  gpus: number;
  jobs: number;
}

function labelsMatch(job: Job, node: NodeInfo): boolean {
  return Object.entries(job.requirements.labels).every(([k, v]) => node.labels[k] === v);
}

/** The simulator's own reading of Slurm's dependency words. */
function met(type: DependencyType, s: JobState | undefined): boolean {
  if (type === 'afterok') return s === 'done';
  if (type === 'afternotok') return s === 'failed';
  return s === 'done' || s === 'failed';
}

function neverMet(type: DependencyType, s: JobState | undefined): boolean {
  if (s === undefined) return true;
  if (type === 'afterok') return s === 'failed';
  if (type === 'afternotok') return s === 'done';
  return false;
}
