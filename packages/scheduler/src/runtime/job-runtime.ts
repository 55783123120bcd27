/**
 * The heart of the daemon: takes submissions and actions, runs scheduling
 * passes on events (not on a tick alone), dispatches placements to the
 * executor, watches tasks to their end, and reconciles with the executor after
 * a restart so that no job is lost or run twice.
 *
 * Jobs holding resources (running, suspended) are kept in memory as documents;
 * pending jobs only in the incremental queue (`engine/pending-queue.ts`: an id
 * and a time each), held jobs only in the store. A pass reads no store, and
 * costs the same with a million jobs queued as with ten. Every change goes to
 * the store first (compare-and-set on the state), then to memory, then to the
 * event bus.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import {
  canTransition,
  ErrorCodes,
  EXECUTOR_LABEL,
  type Executor,
  type ExecutorFeatures,
  ExecutorSet,
  type ExecutorUnavailableError,
  type ExitInfo,
  ForbiddenError,
  formatDuration,
  type HostPort,
  InFlight,
  InvalidStateError,
  isExecutorUnavailable,
  isTaskNotPlaced,
  isTerminal,
  type Job,
  type JobAction,
  type JobState,
  type JobSubmission,
  type Logger,
  type NodeInfo,
  type NodeView,
  NotFoundError,
  NotSupportedError,
  type Project,
  signalOfStopStatus,
  type TaskHandle,
  taskKey,
  type User,
  ValidationError,
  writingTo,
} from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import { NotLeaderError } from '../coordination/coordination-errors.js';
import type { Placement } from '../engine/engine-io.js';
import type { DoomedJobs } from '../engine/pending-queue.js';
import { PendingQueue } from '../engine/pending-queue.js';
import { describePriority, type PriorityBreakdown } from '../engine/priority.js';
import { type QueuePass, scheduleQueue } from '../engine/queue-pass.js';
import type { WaitReason } from '../engine/reasons.js';
import type { EventBus } from '../events/event-bus.js';
import { ensureJobDir, jobDirOf, jobsDirOf } from '../job-files/job-dir.js';
import { isStoreUnavailable } from '../store/mongo-store.js';
import type {
  DrainedNode,
  Idempotency,
  InsertBatchResult,
  InsertResult,
  JobChange,
  NewJob,
  QueuedJob,
  Store,
} from '../store/store.js';
import { ANSWER_WHOLE_ARRAY_UP_TO, firstBatch, landArrayTasks } from './array-landing.js';
import { type EndResult, endStatus, exitOutcome, timeLimitKillReason, userKillReason } from './exit-outcome.js';
import { GroupCommit, UpdateGroup } from './group-commit.js';
import { NodeStates } from './node-states.js';
import { allocatePorts, poolConfigOf, portsInUse, portsOf, withPortPools } from './port-pools.js';
import { buildRunSpec } from './run-spec.js';
import type { RuntimeObserver } from './runtime-observer.js';
import { SchedulingInputs } from './scheduling-inputs.js';
import { nodeFits, resolveSubmission } from './submission.js';
import { checkDependencies, checkFitsQuotas, inBatch, waitingLimits } from './submit-checks.js';
import { type SampledTask, UsageSampler } from './usage-sampler.js';
import { finalUsage } from './usage-series.js';

export interface RuntimeDeps {
  store: Store;
  executor: Executor;
  /** Names a job may ask for with `requirements.executor`, the default first. */
  executorNames: readonly string[];
  bus: EventBus;
  config: GodockerConfig;
  clusterId: string;
  logger: Logger;
  clock?: () => Date;
  /** Told of submits, starts, ends and passes (the daemon's metrics); it outlives a leader's runtime. */
  observer?: RuntimeObserver;
}

/** setTimeout fires at once for longer delays; a timer that far off wakes early and is set again. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How soon, then how seldom at most, an executor that does not answer is asked again. */
const PROBE_MIN_MS = 500;
const PROBE_MAX_MS = 30_000;
/**
 * Starts of one job that may fail for the executor's sake in a row. Each comes after a probe
 * the executor answered, so a job past this is failing for a cause of its own that looks like
 * an outage: it fails instead of going round forever.
 */
const MAX_REQUEUES = 20;

/** Pending jobs read from the store at a time when the daemon starts. */
const LOAD_PAGE = 5_000;

/** While an array's tasks land, the scheduler looks at those already stored this often at most. */
const LANDING_PASS_MS = 250;

/**
 * Looks a kill takes at a job that keeps moving under it (started, requeued) before it says it
 * cannot: each look follows a change of state that another writer made, so a few do.
 */
const KILL_LOOKS = 5;

/** A submission checked and ready to store: the job, or an array's parent and first tasks. */
interface CheckedSubmission {
  jobs: NewJob[];
  isArray: boolean;
  project: Project | null;
  /** Jobs it adds to the waiting ones: 1, or an array's task count. */
  waiting: number;
}

function waitingOf(checked: readonly CheckedSubmission[]): number {
  return checked.reduce((n, c) => n + c.waiting, 0);
}

/** Why the executor cannot take work now, and when to ask it again. */
interface ExecutorDown {
  message: string;
  timer: NodeJS.Timeout | undefined;
}

const NO_STATES: ReadonlyMap<number, JobState> = new Map();

const ALL_STATES: JobState[] = ['pending', 'held', 'running', 'suspended', 'done', 'failed'];
const fromStatesOf = (to: JobState) => ALL_STATES.filter((s) => canTransition(s, to));

export class JobRuntime {
  readonly #d: RuntimeDeps;
  readonly #now: () => Date;
  /** Running and suspended jobs that are not array parents. */
  readonly #active = new Map<number, Job>();
  /** Pending jobs (not held): ids by class, no documents. */
  readonly #queue = new PendingQueue();
  readonly #handles = new Map<number, TaskHandle>();
  /** Starts in flight: a job is `running` from its dispatch, before its task exists. */
  readonly #launching = new InFlight<number, void>();
  /** Why GoDocker is stopping a task (user kill, time limit): decides its final reason. */
  readonly #kills = new Map<number, string>();
  /** Why GoDocker is stopping a task as finished (an idle interactive job): it ends done. */
  readonly #finishes = new Map<number, string>();
  readonly #timers = new Map<number, NodeJS.Timeout>();
  readonly #finishing = new Set<number>();
  #lastPass: QueuePass | null = null;
  readonly #inputs: SchedulingInputs;
  #usageTimer: NodeJS.Timeout | undefined;
  readonly #sampler: UsageSampler;
  readonly #users = new Map<string, User>();
  readonly #dirtyParents = new Set<number>();
  #nodes: NodeInfo[] = [];
  #anyDown = false;
  readonly #nodeStates: NodeStates;
  #unwatchNodes: (() => void) | undefined;
  #refreshing = false;
  #refreshAgain = false;
  /** Drained by an admin, by node name (the store keeps them across restarts). */
  readonly #drained = new Map<string, DrainedNode>();
  #passScheduled = false;
  #passRunning = false;
  #passAgain = false;
  #parentsScheduled = false;
  #tick: NodeJS.Timeout | undefined;
  /** Wakes a pass at the earliest begin time still ahead (`#beginTimerAt`, ms; Infinity when none). */
  #beginTimer: NodeJS.Timeout | undefined;
  #beginTimerAt = Number.POSITIVE_INFINITY;
  #reconcileTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Set while the executor (or the data folder) cannot take work: nothing is dispatched until a probe answers. */
  #down: ExecutorDown | null = null;
  /** Grows with each outage that follows another closely, back to the minimum after a start that works. */
  #probeDelayMs = PROBE_MIN_MS;
  /** Jobs whose task wait broke (the executor went away): their ends are read again once it answers. */
  readonly #unwatched = new Set<number>();
  /** Ends seen, and tasks collected, that the store has not taken yet (it did not answer): recorded at the next try. */
  readonly #collected = new Map<number, ExitInfo>();
  /** Jobs whose start the store refused with an error: it may have taken it all the same. */
  readonly #uncertain = new Set<number>();
  /** Running jobs with no task watched at the last periodic check (a dispatch may just be landing: wait one more). */
  #orphans = new Set<number>();
  /** Starts of a job in a row that the executor could not make (reset by a start that works). */
  readonly #requeues = new Map<number, number>();
  /** Arrays whose tasks are still being stored, by parent id. */
  readonly #landing = new Map<number, Promise<void>>();
  /** Settles when in-flight work (dispatches, exits) is done; used by stop(). */
  readonly #inflight = new Set<Promise<unknown>>();
  /** Single submits, stored together when they come together. */
  readonly #submits: GroupCommit;
  readonly #updates: UpdateGroup;

  constructor(deps: RuntimeDeps) {
    this.#d = deps;
    this.#now = deps.clock ?? (() => new Date());
    this.#inputs = new SchedulingInputs(deps.store, deps.config, (jobId) => this.#sampler.cpuSecondsOf(jobId));
    this.#submits = new GroupCommit(deps.store, deps.config.store.groupCommit);
    this.#updates = new UpdateGroup(deps.store, deps.config.store.groupCommit);
    this.#nodeStates = new NodeStates(deps.config.scheduler.failurePolicy.nodeLostSeconds * 1000, (node, ms) =>
      this.#track(this.#nodeLost(node, ms)),
    );
    this.#sampler = new UsageSampler({
      store: deps.store,
      executor: deps.executor,
      logger: deps.logger,
      settings: deps.config.usage,
      tasks: () => this.#sampledTasks(),
      clock: this.#now,
    });
  }

  /** Running jobs whose task is known (a suspended one uses nothing worth reading). */
  #sampledTasks(): SampledTask[] {
    const tasks: SampledTask[] = [];
    for (const job of this.#active.values()) {
      const handle = this.#handles.get(job.id);
      if (job.status.state === 'running' && handle && job.status.startedAt && !this.#finishing.has(job.id)) {
        tasks.push({ jobId: job.id, handle, startedAt: job.status.startedAt });
      }
    }
    return tasks;
  }

  /** What a job's task was last read using (cpu, memory, io): `GET /jobs/{id}/usage` reads the store. */
  get sampler(): UsageSampler {
    return this.#sampler;
  }

  get nodes(): readonly NodeInfo[] {
    return this.#nodes;
  }

  /** The nodes as `godocker nodes` shows them: state, capacity, and what the running jobs use. */
  nodeViews(): NodeView[] {
    const used = new Map<string, NodeView['used'] & { jobs: number }>();
    for (const job of this.#active.values()) {
      const node = job.status.node;
      if (node === null) continue;
      const u = used.get(node) ?? { cpu: 0, ram: 0, gpus: 0, jobs: 0 };
      u.cpu += job.requirements.cpu;
      u.ram += job.requirements.ram;
      u.gpus += job.requirements.gpus;
      u.jobs += 1;
      used.set(node, u);
    }
    return this.#nodes.map((n) => {
      const { jobs, ...u } = used.get(n.name) ?? { cpu: 0, ram: 0, gpus: 0, jobs: 0 };
      const down = n.state === 'down';
      // An admin's drain says who and when; a backend's (a cordoned node) says why, as the backend put it.
      const drain =
        this.#drained.get(n.name) ??
        (n.state === 'drained' ? { reason: n.reason ?? 'drained in its backend', by: this.#executorName(n), at: '' } : undefined);
      return {
        name: n.name,
        // Down says more than drained: nothing runs there whatever the admin decides.
        state: down ? 'down' : drain ? 'drained' : 'ready',
        downReason: down ? (n.reason ?? 'its backend does not answer') : null,
        drain: drain ? { reason: drain.reason, by: drain.by, at: drain.at } : null,
        labels: { ...n.labels },
        capacity: { cpu: n.cpu, ram: n.ram, gpus: n.gpus },
        used: u,
        jobs,
      };
    });
  }

  /** An admin drains a node: it takes no new job; what runs there goes on. The latest reason wins. */
  async drainNode(name: string, reason: string, by: string): Promise<NodeView> {
    this.#knownNode(name);
    const drained = await this.#d.store.drainNode({ name, reason, by, at: this.#now().toISOString() });
    this.#drained.set(name, drained);
    this.#d.logger.info({ node: name, by, reason }, 'node drained');
    return this.#nodeView(name);
  }

  /**
   * The node takes new jobs again. Resuming a node that is not drained is not an error (as
   * `kubectl uncordon` answers "already uncordoned"): a script that resumes every node after
   * maintenance should not fail on those that were never drained.
   */
  async resumeNode(name: string, by: string): Promise<NodeView> {
    if (!this.#drained.has(name)) this.#knownNode(name);
    if (await this.#d.store.resumeNode(name)) this.#d.logger.info({ node: name, by }, 'node resumed');
    this.#drained.delete(name);
    this.requestPass();
    return this.#nodeView(name);
  }

  #knownNode(name: string): void {
    if (!this.#nodes.some((n) => n.name === name)) {
      const names = this.#nodes.map((n) => n.name).join(', ') || 'none';
      throw new NotFoundError(`no node named "${name}" (the executor's nodes: ${names}; \`godocker nodes\` lists them)`);
    }
  }

  #nodeView(name: string): NodeView {
    const view = this.nodeViews().find((v) => v.name === name);
    if (view) return view;
    // A drained node the executor no longer reports: its drain is all there is to show.
    const drain = this.#drained.get(name);
    return {
      name,
      state: drain ? 'drained' : 'ready',
      downReason: null,
      drain: drain ? { reason: drain.reason, by: drain.by, at: drain.at } : null,
      labels: {},
      capacity: { cpu: 0, ram: 0, gpus: 0 },
      used: { cpu: 0, ram: 0, gpus: 0 },
      jobs: 0,
    };
  }

  /**
   * The executor a job runs on (its node's) or will run on (the one its labels ask for), with
   * what it can do: an action it cannot do is refused before anything is done.
   */
  executorOf(job: { status: { node: string | null }; requirements: { labels: Record<string, string> } }): {
    name: string;
    features: ExecutorFeatures;
  } {
    const asked = job.requirements.labels[EXECUTOR_LABEL];
    const node =
      job.status.node ?? (asked === undefined ? undefined : this.#nodes.find((n) => n.labels[EXECUTOR_LABEL] === asked)?.name);
    const info = node === undefined ? undefined : this.#nodes.find((n) => n.name === node);
    return {
      name: info?.labels[EXECUTOR_LABEL] ?? asked ?? this.#d.executor.name,
      features: this.#d.executor.features(node ?? null),
    };
  }

  /** The nodes a pass may place jobs on: the executor's, less the drained and the down ones. */
  #placeable(): NodeInfo[] {
    if (this.#drained.size === 0 && !this.#anyDown) return this.#nodes;
    return this.#nodes.filter((n) => !this.#isDrained(n) && n.state !== 'down');
  }

  /** Drained by an admin here, or by its backend (a cordoned node). */
  #isDrained(n: NodeInfo): boolean {
    return this.#drained.has(n.name) || n.state === 'drained';
  }

  #executorName(n: NodeInfo): string {
    return n.labels[EXECUTOR_LABEL] ?? this.#d.executor.name;
  }

  // ---- nodes, as the executor reports them --------------------------------------

  /** Reads the executor's nodes; a node back from down gets its leftovers reconciled. */
  async #readNodes(): Promise<void> {
    const nodes = withPortPools(await this.#d.executor.nodes(), this.#d.config, (n) => this.#d.executor.features(n.name).ports);
    this.#nodes = nodes;
    // Any node the pass must leave out for the backend's own reasons (down, or drained there).
    this.#anyDown = nodes.some((n) => n.state === 'down' || n.state === 'drained');
    const changes = this.#nodeStates.update(nodes, Date.now());
    for (const node of changes.wentDown) {
      this.#d.logger.warn({ node, reason: nodes.find((n) => n.name === node)?.reason }, 'node down: nothing new goes there');
    }
    if (changes.returned.length > 0) await this.#reconcileReturned(new Set(changes.returned));
    if (changes.returned.length > 0 || changes.wentDown.length > 0) this.requestPass();
  }

  /** The executor says its nodes changed: read them again (reads asked for meanwhile make one more). */
  #refreshNodes(): void {
    if (this.#stopped) return;
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = true;
    this.#track(
      (async () => {
        try {
          do {
            this.#refreshAgain = false;
            await this.#readNodes();
          } while (this.#refreshAgain && !this.#stopped);
        } catch (e) {
          if (isExecutorUnavailable(e) && e.node === undefined) this.#executorDown(e);
          else this.#d.logger.warn({ err: e }, 'executor did not report its nodes');
        } finally {
          this.#refreshing = false;
        }
      })(),
    );
  }

  /** One node's backend does not answer: that node is down, the others go on; else nothing can start. */
  #unavailable(e: ExecutorUnavailableError): void {
    if (e.node !== undefined) this.#refreshNodes();
    else this.#executorDown(e);
  }

  /** A node down for `nodeLostSeconds`: its jobs go through the failure policy. */
  async #nodeLost(node: string, downForMs: number): Promise<void> {
    const seconds = Math.round(downForMs / 1000);
    for (const job of [...this.#active.values()]) {
      const { state } = job.status;
      if (job.status.node !== node || (state !== 'running' && state !== 'suspended') || this.#finishing.has(job.id)) continue;
      const handle = this.#handles.get(job.id) ?? { key: taskKey(this.#d.clusterId, job.id), id: job.status.containerId, node };
      await this.#taskVanished(job.id, handle, `its node ${node} has not answered for ${seconds} s`).catch((e) =>
        this.#d.logger.warn({ err: e, jobId: job.id }, 'could not requeue a job of a lost node'),
      );
    }
  }

  /**
   * A node answers again. What it still holds may belong to jobs that the failure policy has
   * moved on (requeued and run elsewhere, or failed): those tasks go, so that none runs twice.
   * The jobs still placed there are watched again.
   */
  async #reconcileReturned(nodes: ReadonlySet<string>): Promise<void> {
    const { executor, logger } = this.#d;
    let tasks: Awaited<ReturnType<Executor['list']>>;
    try {
      tasks = await executor.list();
    } catch (e) {
      logger.warn({ err: e }, 'could not list the tasks of nodes that came back');
      return;
    }
    for (const t of tasks) {
      if (t.handle.node === null || !nodes.has(t.handle.node) || this.#launching.get(t.jobId) !== undefined) continue;
      const job = this.#active.get(t.jobId);
      if (job && job.status.node === t.handle.node) continue;
      logger.warn({ jobId: t.jobId, key: t.key, node: t.handle.node }, 'removing a task its job no longer runs on this node');
      await executor.kill(t.handle, 0).catch(() => undefined);
      await executor.collect(t.handle, jobDirOf(this.#d.config, t.jobId)).catch(() => undefined);
    }
    for (const [jobId, handle] of [...this.#handles]) {
      if (this.#unwatched.has(jobId) && handle.node !== null && nodes.has(handle.node)) this.#waitFor(jobId, handle);
    }
  }

  async start(): Promise<void> {
    this.#unwatchNodes = this.#d.executor.watchNodes?.(() => this.#refreshNodes());
    await this.#readNodes();
    const { store } = this.#d;
    for (const drained of await store.drainedNodes()) this.#drained.set(drained.name, drained);
    const parents: Job[] = [];
    for (const job of await store.jobsInStates(['running', 'suspended'])) {
      if (job.array === null) this.#active.set(job.id, job);
      else parents.push(job);
    }
    for (const id of await store.listJobIds({ states: ['held'], arrayParent: true })) {
      const parent = await store.getJob(id);
      if (parent) parents.push(parent);
    }
    // The queue in pages, oldest first, tasks without their documents: a million pending jobs never sit in memory.
    const shapes = new Map<number, Job | null>();
    for (let afterId = 0; ; ) {
      const page = await store.queuedJobs(afterId, LOAD_PAGE);
      if (page.length === 0) break;
      afterId = (page.at(-1) as QueuedJob).id;
      const pending: Job[] = [];
      for (const q of page) {
        if (q.job?.array) parents.push(q.job);
        else if (q.job) pending.push(q.job);
        else if (q.parentId !== null) {
          let shape = shapes.get(q.parentId);
          if (shape === undefined) {
            shape = await store.getJob(q.id);
            shapes.set(q.parentId, shape);
          }
          if (shape) pending.push({ ...shape, id: q.id, status: { ...shape.status, submittedAt: q.submittedAt } });
        }
      }
      await this.#enqueue(pending);
    }
    await this.#inputs.load(this.#now().getTime(), parents);
    for (const parent of parents) this.#landArray(parent);
    await this.#reconcile();
    const { tickSeconds, reconcileSeconds } = this.#d.config.scheduler;
    this.#tick = setInterval(() => this.requestPass(), tickSeconds * 1000);
    this.#tick.unref();
    this.#reconcileTimer = setInterval(() => this.#track(this.#periodicCheck()), reconcileSeconds * 1000);
    this.#reconcileTimer.unref();
    this.#usageTimer = setInterval(() => this.#track(this.#accrueUsage()), this.#d.config.scheduler.usageSeconds * 1000);
    this.#usageTimer.unref();
    this.#sampler.start();
    this.requestPass();
  }

  /** Stops scheduling and watching; running tasks keep running (a restart picks them up). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unwatchNodes?.();
    this.#nodeStates.close();
    clearInterval(this.#tick);
    clearInterval(this.#reconcileTimer);
    clearInterval(this.#usageTimer);
    clearTimeout(this.#beginTimer);
    clearTimeout(this.#down?.timer);
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await Promise.allSettled([...this.#inflight]);
    await this.#sampler.stop();
    await this.#accrueUsage();
  }

  /** Why a pending job waits, as of the last pass (or because the executor does not answer). */
  waitReason(job: Job): WaitReason | undefined {
    const why = this.#lastPass?.reasonOf(job);
    // Only a job that would otherwise start is waiting for the executor; a dependency or a quota still says so.
    if (this.#down && (!why || why.code === 'Priority' || why.code === 'Resources')) {
      return { code: 'ExecutorUnavailable', message: `the executor does not answer: ${this.#down.message}` };
    }
    if (why?.code === 'NoNodeFits') {
      // Its executor has not answered since the daemon started: none of its nodes is known.
      const asked = job.requirements.labels[EXECUTOR_LABEL];
      const executor = this.#d.executor;
      const away = asked !== undefined && executor instanceof ExecutorSet ? executor.memberDown(asked) : null;
      if (away !== null && !this.#nodes.some((n) => n.labels[EXECUTOR_LABEL] === asked)) {
        return { code: 'ExecutorUnavailable', message: `the ${asked} executor does not answer: ${away}` };
      }
    }
    if (why?.code === 'NoNodeFits' && (this.#drained.size > 0 || this.#anyDown)) {
      const out = this.#nodes.filter((n) => (this.#isDrained(n) || n.state === 'down') && nodeFits(job.requirements, n));
      if (out.length > 0) {
        const names = out.map((n) => {
          const d = this.#drained.get(n.name);
          if (n.state === 'down') return `${n.name} (down: ${n.reason ?? 'does not answer'})`;
          if (!d) return `${n.name} (drained in ${this.#executorName(n)}: ${n.reason ?? 'no reason given'})`;
          return `${n.name} (drained by ${d.by}: ${d.reason})`;
        });
        // Which of its constraints only those nodes meet: what the user may want to change.
        const asked = Object.entries(job.requirements.labels)
          .filter(([k]) => k !== EXECUTOR_LABEL)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
        const carrying = asked === '' ? '' : ` (the nodes with ${asked})`;
        if (out.some((n) => n.state === 'down')) {
          return {
            code: 'NodesDown',
            message: `only nodes that are down or drained can run it${carrying}: ${names.join(', ')}`,
          };
        }
        return { code: 'NodesDrained', message: `only drained nodes can run it${carrying}: ${names.join(', ')}` };
      }
    }
    return why;
  }

  /** The priority of a pending job as of the last pass, with its factors. */
  priority(job: Job): PriorityBreakdown | undefined {
    return this.#lastPass?.priorityOf(job);
  }

  /** A job as users should see it: a pending job's reason is the engine's latest word on it. */
  present(job: Job): Job {
    if (job.status.state !== 'pending') return job;
    const why = this.waitReason(job);
    return why ? { ...job, status: { ...job.status, reason: why.message } } : job;
  }

  /** Explanation of a job's state with the numbers (`godocker why`). */
  explain(job: Job): { code: string; message: string; priority: (PriorityBreakdown & { sentence: string }) | null } {
    const p = job.status.state === 'pending' ? this.priority(job) : undefined;
    const priority = p ? { ...p, sentence: describePriority(p) } : null;
    const why = job.status.state === 'pending' ? this.waitReason(job) : undefined;
    if (why) return { code: why.code, message: why.message, priority };
    const code = {
      pending: 'Pending',
      held: 'JobHeldUser',
      running: 'Running',
      suspended: 'Suspended',
      done: 'Done',
      failed: 'Failed',
    }[job.status.state];
    return { code, message: job.status.reason, priority };
  }

  /** Admin changed projects, users, shares or quotas: the next pass reads them afresh. */
  policyChanged(): void {
    this.#inputs.invalidatePolicy();
    this.requestPass();
  }

  /** The fair-share usage the engine sees (for `godocker share`). */
  get inputs(): SchedulingInputs {
    return this.#inputs;
  }

  async #accrueUsage(): Promise<void> {
    const running = [...this.#active.values()].filter((j) => j.status.state === 'running' || j.status.state === 'suspended');
    const now = this.#now().getTime();
    this.#inputs.usage.charge(running, [], now);
    await this.#inputs.usage.flush();
    this.#inputs.invalidatePolicy();
    await this.#inputs.refreshPolicy(now);
  }

  // ---- submissions and actions ------------------------------------------------

  /**
   * Stores a submission. An array's parent comes back with its first tasks; the
   * others land in batches after (`landed`), awaited here up to
   * ANSWER_WHOLE_ARRAY_UP_TO tasks: a larger array answers while `array.created`
   * is still below its count.
   */
  async submit(user: User, sub: JobSubmission, idempotency?: Idempotency): Promise<InsertResult> {
    let checked: CheckedSubmission;
    try {
      checked = await this.#checkedSubmission(user, sub, this.#now());
    } catch (e) {
      // A retry gets the first answer even if the checks would now refuse it; the store
      // answers the other retries, in the insert's transaction (before its quota check).
      const earlier = idempotency && (await this.#d.store.findIdempotent(user.name, idempotency.key, idempotency.fingerprint));
      if (earlier) return { job: earlier, created: false };
      throw e;
    }
    const result = await this.#submits.insert({
      jobs: checked.jobs,
      isArray: checked.isArray,
      limits: waitingLimits(user, checked.waiting, [{ project: checked.project, adds: checked.waiting }]),
      ...(idempotency ? { idempotency } : {}),
    });
    if (!result.created) return result;
    await this.#accepted(result.job, checked.isArray);
    // A held job (or array) can start only once released, and the release asks for a pass.
    if (result.job.status.state === 'pending') this.requestPass();
    return { ...result, job: await this.#answer(result.job) };
  }

  /**
   * Several submissions in one transaction, all or none (POST /jobs/batch): each is checked
   * as `submit` checks it, and the pending-jobs quotas against the whole batch.
   */
  async submitBatch(user: User, subs: readonly JobSubmission[], idempotency?: Idempotency): Promise<InsertBatchResult> {
    const store = this.#d.store;
    if (idempotency) {
      const earlier = await store.findIdempotentBatch(user.name, idempotency.key, idempotency.fingerprint, subs.length);
      if (earlier) return { jobs: earlier, created: false };
    }
    // One clock reading for the whole batch: a retry finds the batch's jobs by it (see the store).
    const now = this.#now();
    const checked: CheckedSubmission[] = [];
    for (const [i, sub] of subs.entries()) checked.push(await inBatch(i, () => this.#checkedSubmission(user, sub, now)));
    const byProject = new Map<string, { project: Project | null; adds: number }>();
    for (const c of checked) {
      const name = c.project?.name ?? '';
      const group = byProject.get(name) ?? { project: c.project, adds: 0 };
      group.adds += c.waiting;
      byProject.set(name, group);
    }
    const result = await store.insertBatch({
      submissions: checked.map(({ jobs, isArray }) => ({ jobs, isArray })),
      limits: waitingLimits(user, waitingOf(checked), [...byProject.values()]),
      ...(idempotency ? { idempotency } : {}),
    });
    if (!result.created) return result;
    for (const [i, job] of result.jobs.entries()) await this.#accepted(job, checked[i]?.isArray ?? false);
    if (result.jobs.some((j) => j.status.state === 'pending')) this.requestPass();
    const jobs: Job[] = [];
    for (const job of result.jobs) jobs.push(await this.#answer(job));
    return { jobs, created: true };
  }

  /**
   * A submission resolved against the config and checked against the policy, not yet
   * stored: the job, or an array's parent with its first batch of tasks.
   */
  async #checkedSubmission(user: User, sub: JobSubmission, now: Date): Promise<CheckedSubmission> {
    const { job, isArray } = resolveSubmission(sub, user, this.#d.config, this.#nodes, now, this.#d.executorNames);
    if (job.requirements.gpus > 0) {
      const runner = this.executorOf({ status: { node: null }, requirements: job.requirements });
      if (!runner.features.gpus) throw new NotSupportedError(runner.name, 'give jobs GPUs');
    }
    if ((job.container.ports?.length ?? 0) > 0) {
      const runner = this.executorOf({ status: { node: null }, requirements: job.requirements });
      if (!runner.features.ports) throw new NotSupportedError(runner.name, 'publish container ports');
    }
    const project = await this.#d.store.getProject(job.project);
    this.#checkProject(job.project, project, user);
    await checkDependencies(job, user, this.#d.store);
    checkFitsQuotas(job, user.name, user.quota, 'user');
    checkFitsQuotas(job, job.project, project?.quota, 'project');
    const tasks = isArray ? firstBatch(job) : [];
    if (job.array) job.array = { ...job.array, created: tasks.length, tasks: { [job.status.state]: tasks.length } };
    return { jobs: [job, ...tasks], isArray, project, waiting: job.array?.count ?? 1 };
  }

  /** A stored submission joins the jobs the runtime watches; an array's other tasks start landing. */
  async #accepted(job: Job, isArray: boolean): Promise<void> {
    if (isArray) {
      const created = job.array?.created ?? 0;
      const { jobs } = await this.#d.store.listJobs({ parentId: job.id }, { limit: created + 1 });
      await this.#enqueue(jobs.reverse());
      this.#inputs.trackParent(job);
      this.#landArray(job);
    } else {
      await this.#enqueue([job]);
    }
    this.#d.observer?.submitted(job);
    this.#publish(job, null);
  }

  /** What a submit answers: an array of up to ANSWER_WHOLE_ARRAY_UP_TO tasks once they all exist. */
  async #answer(job: Job): Promise<Job> {
    if (job.array === null || job.array.count > ANSWER_WHOLE_ARRAY_UP_TO) return job;
    await this.landed(job.id);
    return (await this.#d.store.getJob(job.id)) ?? job;
  }

  /** Resolves once every task of the array exists (at once for any other job). */
  landed(parentId: number): Promise<void> {
    return this.#landing.get(parentId) ?? Promise.resolve();
  }

  /** Stores the tasks the parent does not have yet, in the background; a restart finishes what a crash left. */
  #landArray(parent: Job): void {
    const array = parent.array;
    if (!array || (array.created ?? array.count) >= array.count || this.#landing.has(parent.id)) return;
    // Passes are cheap, but one per batch would still outnumber the batches' own work.
    let lastPass = 0;
    const landing = landArrayTasks(parent, {
      store: this.#d.store,
      onTasks: (tasks) => {
        this.#track(this.#enqueue(tasks));
        if (tasks[0]?.status.state === 'pending' && performance.now() - lastPass >= LANDING_PASS_MS) {
          lastPass = performance.now();
          this.requestPass();
        }
      },
      stopped: () => this.#stopped,
    }).finally(() => {
      this.#landing.delete(parent.id);
      this.#markParent(parent.id);
      this.requestPass();
    });
    this.#landing.set(parent.id, landing);
    this.#track(landing);
  }

  /** `project` as stored (null: there is none named `name`). */
  #checkProject(name: string, project: Project | null, user: User): void {
    if (project?.members.some((m) => m.user === user.name)) return;
    if (!project) {
      throw new ValidationError(`project "${name}" does not exist; list yours with \`godocker project list\``, 'project');
    }
    // Admins may charge any project (as Slurm operators may); users only their own.
    if (!user.admin) {
      throw new ForbiddenError(
        `user ${user.name} is not a member of project "${name}"; ask an admin: godocker project add-member ${name} ${user.name}`,
        'project',
      );
    }
  }

  /** `who` is the name written in the reason ("killed by alice"). */
  async action(job: Job, action: JobAction, who: string): Promise<Job> {
    if (job.array !== null) return this.#arrayAction(job, action, who);
    switch (action) {
      case 'kill':
        return this.#kill(job, userKillReason(who));
      case 'hold': {
        const j = await this.#transition(job.id, 'held', `held by ${who}`, { hold: true }, ['pending']);
        // Holding a held job asks for what already is (Slurm and Grid Engine accept it): not an error.
        if (!j && (this.#active.get(job.id) ?? (await this.#d.store.getJob(job.id)))?.status.state === 'held') {
          return (await this.#d.store.getJob(job.id)) ?? job;
        }
        return this.#expectChanged(job, action, j);
      }
      case 'release': {
        const j = await this.#transition(job.id, 'pending', `released by ${who}`, { hold: false }, ['held']);
        this.requestPass();
        return this.#expectChanged(job, action, j);
      }
      case 'suspend':
        return this.#suspendResume(job, 'suspended', who);
      case 'resume':
        return this.#suspendResume(job, 'running', who);
    }
  }

  async #arrayAction(parent: Job, action: JobAction, who: string): Promise<Job> {
    // On every task: those still to be stored too.
    await this.landed(parent.id);
    const tasks: Job[] = [];
    for (const id of await this.#d.store.listJobIds({
      parentId: parent.id,
      states: ['pending', 'held', 'running', 'suspended'],
    })) {
      const task = this.#active.get(id) ?? (await this.#d.store.getJob(id));
      if (task) tasks.push(task);
    }
    const from: Record<JobAction, JobState[]> = {
      kill: ['pending', 'held', 'running', 'suspended'],
      hold: ['pending'],
      release: ['held'],
      suspend: ['running'],
      resume: ['suspended'],
    };
    const targets = tasks.filter((t) => from[action].includes(t.status.state));
    if (targets.length === 0) {
      throw new InvalidStateError(
        `array ${parent.id} has no task that can be ${pastTense(action)} (it is ${parent.status.state})`,
      );
    }
    await Promise.all(
      targets.map((t) =>
        this.action(t, action, who).catch((e: unknown) => {
          // A task that ended or moved on meanwhile is not the action's to take; anything else
          // (the store, the executor) leaves a task as it was, and says so.
          if (!(e instanceof InvalidStateError)) {
            this.#d.logger.warn({ err: e, jobId: t.id, parentId: parent.id }, `${action} of an array task failed`);
          }
        }),
      ),
    );
    // The store moved the parent with each task; its event follows with the tasks' (#markParent).
    return (await this.#d.store.getJob(parent.id)) ?? parent;
  }

  #expectChanged(before: Job, action: JobAction, after: Job | null): Job {
    if (after) return after;
    throw new InvalidStateError(
      `job ${before.id} cannot be ${pastTense(action)}: it is ${this.#active.get(before.id)?.status.state ?? before.status.state}`,
    );
  }

  async #kill(job: Job, reason: string): Promise<Job> {
    let current = this.#active.get(job.id) ?? job;
    for (let look = 1; ; look++) {
      const state = current.status.state;
      if (state === 'running' || state === 'suspended') {
        await this.#stopping(job.id, reason);
        const handle = this.#handles.get(job.id);
        // Without a handle the start is still in flight; it sees #kills when it lands.
        if (handle) await this.#d.executor.kill(handle, this.#d.config.limits.killGraceSeconds);
        return (await this.#d.store.getJob(job.id)) ?? current;
      }
      if (state !== 'pending' && state !== 'held') break;
      const j = await this.#transition(
        job.id,
        'failed',
        `${reason} before it started`,
        { status: { endedAt: this.#now().toISOString() } },
        ['pending', 'held'],
        'killed',
      );
      if (j) return j;
      // It moved since it was looked at: a pass started it meanwhile (the kill of a whole array
      // races the starts of its tasks; on a store whose writes take a while, often). A kill that
      // went by the old state would be lost, leaving the task to run: it goes by the new one.
      const now = await this.#d.store.getJob(job.id);
      if (!now) throw new NotFoundError(`job ${job.id} is gone`, ErrorCodes.JOB_NOT_FOUND);
      current = now;
      if (look >= KILL_LOOKS) break;
    }
    throw new InvalidStateError(`job ${job.id} cannot be killed: it is already ${current.status.state}`);
  }

  /**
   * Stops a running job as finished rather than killed: it ends `done` with `reason`, whatever
   * the exit code its stop gives (an interactive job nobody works in any more). The reason is in
   * the store before the stop, so a daemon restarted before the end records it the same.
   * False when the job is not running here, is already being stopped, or its task is not made yet.
   */
  async finish(jobId: number, reason: string): Promise<boolean> {
    const job = this.#active.get(jobId);
    const handle = this.#handles.get(jobId);
    if (job?.status.state !== 'running' || !handle || this.#kills.has(jobId) || this.#finishes.has(jobId)) return false;
    this.#finishes.set(jobId, reason);
    try {
      const updated = await this.#updates.update(jobId, { status: { finishReason: reason } }, { states: ['running'] });
      if (!updated) {
        this.#finishes.delete(jobId);
        return false;
      }
      this.#active.set(jobId, updated);
    } catch (e) {
      // As for a kill: the stop matters more than its record.
      this.#d.logger.warn({ err: e, jobId }, 'could not record why the job is finished');
    }
    this.#d.logger.info({ jobId, reason }, 'finishing a job');
    await this.#d.executor.kill(handle, this.#d.config.limits.killGraceSeconds);
    return true;
  }

  async #suspendResume(job: Job, to: 'suspended' | 'running', who: string): Promise<Job> {
    const runner = this.executorOf(job);
    if (!runner.features.suspend) {
      throw new NotSupportedError(runner.name, to === 'suspended' ? 'suspend jobs' : 'resume jobs');
    }
    const from = to === 'suspended' ? 'running' : 'suspended';
    // A client that saw `running` may suspend at once: let the task come into being first.
    await this.#launching.get(job.id)?.catch(() => undefined);
    const current = this.#active.get(job.id);
    const handle = this.#handles.get(job.id);
    if (!current || current.status.state !== from || !handle) {
      const verb = to === 'suspended' ? 'suspended: only a running job can be' : 'resumed: only a suspended job can be';
      throw new InvalidStateError(`job ${job.id} cannot be ${verb} (it is ${current?.status.state ?? job.status.state})`);
    }
    if (to === 'suspended') await this.#d.executor.suspend(handle);
    else await this.#d.executor.resume(handle);
    const reason = to === 'suspended' ? `suspended by ${who}` : `resumed by ${who}`;
    return this.#expectChanged(
      job,
      to === 'suspended' ? 'suspend' : 'resume',
      await this.#transition(job.id, to, reason, {}, [from]),
    );
  }

  // ---- scheduling passes ------------------------------------------------------

  /** Coalesces bursts of events (a 10,000-job submit) into one pass. */
  requestPass(): void {
    if (this.#stopped) return;
    if (this.#passRunning) {
      this.#passAgain = true;
      return;
    }
    if (this.#passScheduled) return;
    this.#passScheduled = true;
    setImmediate(() => {
      this.#passScheduled = false;
      this.#track(this.#runPasses());
    });
  }

  async #runPasses(): Promise<void> {
    if (this.#passRunning) return;
    this.#passRunning = true;
    try {
      do {
        this.#passAgain = false;
        await this.#passOnce();
      } while (this.#passAgain && !this.#stopped);
    } catch (e) {
      // The store going away is told once by the store; the next pass tries again.
      if (isStoreUnavailable(e)) this.#d.logger.debug({ err: e }, 'scheduling pass failed');
      else this.#d.logger.error({ err: e }, 'scheduling pass failed');
    } finally {
      this.#passRunning = false;
    }
  }

  async #passOnce(): Promise<void> {
    if (this.#queue.size === 0) {
      this.#wakeAt(null);
      return;
    }
    // A start now would fail for the executor's sake, not the job's: wait for the probe to get an answer.
    if (this.#down) return;
    const timer = performance.now();
    try {
      await this.#passOver(this.#now().getTime());
    } finally {
      this.#d.observer?.passed((performance.now() - timer) / 1000);
    }
  }

  /** One pass: the engine's decisions at `now`, its starts stored together, then launched. */
  async #passOver(now: number): Promise<void> {
    const busy = [...this.#active.values()];
    const {
      pending: _none,
      dependencies: _met,
      ...input
    } = await this.#inputs.engineInput({ now, pending: [], active: busy, nodes: this.#placeable() }, this.#active);
    const pass = scheduleQueue(this.#queue, input);
    this.#lastPass = pass;
    this.#wakeAt(pass.nextBeginAt);
    const starts = this.#withHostPorts(pass, input.nodes);
    // Together, so that the pass's starts are one commit; launched in the pass's order. A job
    // whose change was stored is launched even when a neighbour's failed.
    const started = await Promise.allSettled(
      starts.map(({ placement: p, ports }) =>
        this.#transition(
          p.jobId,
          'running',
          `placed on node ${p.node}`,
          { status: { node: p.node, ...(ports.length === 0 ? {} : { ports }) } },
          ['pending'],
        ),
      ),
    );
    let failure: unknown = null;
    starts.forEach(({ placement: p }, i) => {
      const outcome = started[i] as PromiseSettledResult<Job | null>;
      if (outcome.status === 'rejected') {
        failure ??= outcome.reason;
        // The store may have taken the start though it did not say so (its answer lost): looked at again.
        this.#uncertain.add(p.jobId);
      } else if (outcome.value) {
        const job = outcome.value;
        this.#d.observer?.started(job, Math.max(0, (now - Date.parse(job.status.submittedAt)) / 1000));
        this.#track(this.#launching.run(job.id, () => this.#launch(job, p.node)));
      }
    });
    if (failure !== null) throw failure;
  }

  /**
   * The host ports of each start, picked from its node's pool beside those the running jobs hold
   * (as the store has them: a restarted daemon reads them back), to be stored in the same write
   * as the node. The engine counted them, so every start finds its own; one that does not (a
   * pool made smaller under running jobs) is left pending for a later pass.
   */
  #withHostPorts(pass: QueuePass, nodes: readonly NodeInfo[]): Array<{ placement: Placement; ports: HostPort[] }> {
    const out: Array<{ placement: Placement; ports: HostPort[] }> = [];
    let used: Map<string, Set<number>> | undefined;
    for (const placement of pass.out.start) {
      const view = pass.viewOf(placement.jobId);
      if (!view || portsOf(view).length === 0) {
        out.push({ placement, ports: [] });
        continue;
      }
      used ??= portsInUse(this.#active.values());
      const node = nodes.find((n) => n.name === placement.node);
      const ports = node ? allocatePorts(view, node, used, poolConfigOf(node, this.#d.config).bindAddress) : null;
      if (ports === null) {
        this.#d.logger.warn({ jobId: placement.jobId, node: placement.node }, 'no host port left for a placed job: it waits');
        continue;
      }
      out.push({ placement, ports });
    }
    return out;
  }

  /**
   * Nothing else happens when a begin time comes (no submit, no job ending), and
   * the periodic tick may be minutes away: a timer wakes a pass for it.
   */
  #wakeAt(at: number | null): void {
    const target = at ?? Number.POSITIVE_INFINITY;
    if (target === this.#beginTimerAt && this.#beginTimer !== undefined) return;
    clearTimeout(this.#beginTimer);
    this.#beginTimer = undefined;
    this.#beginTimerAt = target;
    if (at === null || this.#stopped) return;
    // At least 1 ms: a timer may fire a hair before the clock reaches the time; the pass then sets it again.
    const delay = Math.min(Math.max(1, at - this.#now().getTime()), MAX_TIMER_MS);
    this.#beginTimer = setTimeout(() => {
      this.#beginTimer = undefined;
      this.requestPass();
    }, delay);
    this.#beginTimer.unref();
  }

  async #launch(job: Job, node: string): Promise<void> {
    let handle: TaskHandle;
    try {
      const user = await this.#user(job.user.name);
      // Before the start, owned by the job's uid: the container mounts it, and uploads may be there already.
      await ensureJobDir(this.#d.config, job);
      const spec = buildRunSpec(job, node, user, this.#d.config, this.#d.clusterId);
      handle = await this.#d.executor.start(spec);
    } catch (e) {
      // Leadership went while this start waited: the job is the next leader's to start, as the store has it.
      if (e instanceof NotLeaderError) return;
      const tries = (this.#requeues.get(job.id) ?? 0) + 1;
      if (isExecutorUnavailable(e) && !this.#kills.has(job.id) && tries <= MAX_REQUEUES) {
        // It never ran: back in the queue, and no more starts until the executor answers.
        this.#requeues.set(job.id, tries);
        this.#unavailable(e);
        await this.#requeue(job.id, `requeued: the executor could not start it (${e.message})`);
        return;
      }
      this.#requeues.delete(job.id);
      this.#d.logger.warn({ err: e, jobId: job.id }, 'job could not start');
      // A half-made task (created, never started) must not linger under the job's key.
      const key = taskKey(this.#d.clusterId, job.id);
      await this.#d.executor.collect({ key, id: null, node }, jobDirOf(this.#d.config, job.id)).catch(() => undefined);
      await this.#finish(job.id, null, { ...vanished(null, this.#now()), error: (e as Error).message });
      return;
    }
    this.#handles.set(job.id, handle);
    this.#probeDelayMs = PROBE_MIN_MS;
    this.#requeues.delete(job.id);
    let updated: Job | null = null;
    try {
      updated = await this.#updates.update(
        job.id,
        { status: { containerId: handle.id, startedAt: this.#now().toISOString(), reason: `running on node ${node}` } },
        { states: ['running', 'suspended'] },
      );
    } catch (e) {
      // The task runs: it is watched all the same, and its end is recorded when the store answers.
      this.#d.logger.warn({ err: e, jobId: job.id }, 'could not record where the job started');
    }
    if (updated) {
      this.#active.set(job.id, updated);
      this.#publish(updated, 'running');
    }
    this.#watch(updated ?? job, handle);
    const kill = this.#kills.get(job.id);
    if (kill) await this.#d.executor.kill(handle, this.#d.config.limits.killGraceSeconds);
  }

  #watch(job: Job, handle: TaskHandle): void {
    this.#handles.set(job.id, handle);
    const limit = job.requirements.timeLimit;
    if (limit !== null) {
      const started = job.status.startedAt ? Date.parse(job.status.startedAt) : this.#now().getTime();
      const left = Math.max(0, started + limit * 1000 - this.#now().getTime());
      const timer = setTimeout(() => {
        this.#timers.delete(job.id);
        if (!this.#active.has(job.id)) return;
        this.#track(
          this.#stopping(job.id, timeLimitKillReason(formatDuration(limit)))
            .then(() => this.#d.executor.kill(handle, this.#d.config.limits.killGraceSeconds))
            .catch((e) => this.#d.logger.warn({ err: e, jobId: job.id }, 'time-limit kill failed')),
        );
      }, left);
      timer.unref();
      this.#timers.set(job.id, timer);
    }
    this.#waitFor(job.id, handle);
  }

  #waitFor(jobId: number, handle: TaskHandle): void {
    this.#unwatched.delete(jobId);
    // Not tracked itself: it lasts as long as the task, which a stop leaves running (the next
    // daemon adopts it), and stop() awaits what is tracked: a task of 300 s held the stop for
    // 300 s. Only what its end sets off is tracked.
    this.#d.executor
      .wait(handle)
      .then(
        (info) => {
          // A runtime that stopped (a leader that stepped down, a daemon going away) records no end:
          // the one that leads next finds the ended task and does.
          if (this.#stopped) return;
          this.#track(this.#finish(jobId, handle, info));
        },
        (e) => {
          // The executor closes after the runtime stopped: its waits fail, and nobody is to take them up.
          if (this.#stopped) return;
          if (isTaskNotPlaced(e)) {
            this.#track(this.#notPlaced(jobId, handle, e.message));
            return;
          }
          this.#unwatched.add(jobId);
          if (isExecutorUnavailable(e)) this.#unavailable(e);
          else this.#d.logger.warn({ err: e, jobId }, 'lost track of a task; the periodic check will pick it up');
        },
      )
      .catch((e: unknown) => this.#d.logger.error({ err: e, jobId }, 'watching a task failed'));
  }

  /**
   * GoDocker is about to stop a running task: why, in memory and in the store, so that a daemon
   * restarted before the task's end records that end as this kill (the engine's 137 alone is an exit code).
   */
  async #stopping(jobId: number, reason: string): Promise<void> {
    this.#kills.set(jobId, reason);
    try {
      const job = await this.#updates.update(jobId, { status: { killReason: reason } }, { states: ['running', 'suspended'] });
      if (job) this.#active.set(jobId, job);
    } catch (e) {
      // The stop matters more than its record: without it only a restart before the end loses the reason.
      this.#d.logger.warn({ err: e, jobId }, 'could not record why the job is killed');
    }
  }

  /** Back to pending, as if never dispatched (the task, if the executor made one, is adopted on the next start). */
  async #requeue(jobId: number, reason: string): Promise<void> {
    // Its host ports go back to the pool: the next placement picks new ones.
    const status = { node: null, containerId: null, startedAt: null, ports: [] };
    await this.#transition(jobId, 'pending', reason, { status }, ['running', 'suspended']);
  }

  // ---- an executor that does not answer ---------------------------------------

  #executorDown(error: ExecutorUnavailableError): void {
    if (this.#down) {
      this.#down.message = error.message;
      return;
    }
    this.#d.logger.warn({ err: error }, 'the executor does not answer: no job is started until it does');
    this.#down = { message: error.message, timer: undefined };
    this.#scheduleProbe();
  }

  #scheduleProbe(): void {
    const down = this.#down;
    if (!down || this.#stopped) return;
    down.timer = setTimeout(() => this.#track(this.#probe()), this.#probeDelayMs);
    down.timer.unref();
    this.#probeDelayMs = Math.min(this.#probeDelayMs * 2, PROBE_MAX_MS);
  }

  /** Asks the executor for its nodes and the data folder for a write: both answer, work resumes. */
  async #probe(): Promise<void> {
    const down = this.#down;
    if (!down || this.#stopped) return;
    const jobs = jobsDirOf(this.#d.config);
    try {
      await writingTo('checking the jobs folder', jobs, async () => {
        await mkdir(jobs, { recursive: true });
        await access(jobs, constants.W_OK);
      });
      await this.#readNodes();
    } catch (e) {
      down.message = isExecutorUnavailable(e) ? e.message : (e as Error).message;
      this.#scheduleProbe();
      return;
    }
    this.#down = null;
    this.#d.logger.info('the executor answers again: starting jobs');
    await this.#periodicCheck();
    this.requestPass();
  }

  async #finish(jobId: number, handle: TaskHandle | null, info: ExitInfo): Promise<void> {
    if (this.#finishing.has(jobId) || this.#stopped) return;
    this.#finishing.add(jobId);
    // Until the end is in the store the job keeps its handle, so the periodic check tries again.
    let recorded = false;
    try {
      const job = this.#active.get(jobId) ?? (await this.#d.store.getJob(jobId));
      if (!job || isTerminal(job.status.state)) {
        recorded = true;
        return;
      }
      if (handle && !this.#collected.has(jobId)) {
        // How it ended is in the store before its task is removed: a daemon that dies in between (or
        // the leader after it) records this end, instead of finding no task and running the job again.
        const end = endStatus(job, info);
        const noted = await this.#updates.update(
          jobId,
          {
            status: {
              exitCode: end.exitCode,
              signal: end.signal,
              oomKilled: info.oomKilled,
              endedAt: info.endedAt ?? this.#now().toISOString(),
            },
          },
          { states: ['running', 'suspended'] },
        );
        if (!noted) {
          recorded = true;
          return;
        }
        if (this.#active.has(jobId)) this.#active.set(jobId, noted);
        // Logs are on disk before anyone can see the job as ended.
        try {
          await this.#d.executor.collect(handle, jobDirOf(this.#d.config, jobId));
          // The task is gone from the executor now: until the end is in the store, only this remembers it.
          this.#collected.set(jobId, info);
        } catch (e) {
          if (isExecutorUnavailable(e)) {
            // The end is known but its logs cannot be kept now: the job stays running until they can.
            this.#unavailable(e);
            return;
          }
          this.#d.logger.warn({ err: e, jobId }, 'could not collect the task logs');
        }
      }
      const killReason = this.#kills.get(jobId);
      const outcome = exitOutcome(job, info, killReason, this.#finishes.get(jobId) ?? job.status.finishReason);
      const endedAt = info.endedAt ?? this.#now().toISOString();
      const end = endStatus(job, info);
      const startedAt = end.startedAt;
      const wall = startedAt ? Math.max(0, (Date.parse(endedAt) - Date.parse(startedAt)) / 1000) : 0;
      await this.#transition(
        jobId,
        outcome.state,
        outcome.reason,
        {
          status: {
            ...end,
            // An executor that cannot see signals reports our own stop as its 128+N code; we know we sent it.
            signal: end.signal ?? (killReason && end.exitCode !== null ? signalOfStopStatus(end.exitCode) : null),
            oomKilled: info.oomKilled,
            endedAt,
          },
          usage: { wallSeconds: wall, ...finalUsage(info, await this.#sampler.ended(jobId)) },
        },
        undefined,
        outcome.result,
      );
      recorded = true;
    } finally {
      this.#finishing.delete(jobId);
      if (recorded) {
        this.#collected.delete(jobId);
        clearTimeout(this.#timers.get(jobId));
        this.#timers.delete(jobId);
        this.#handles.delete(jobId);
        this.#kills.delete(jobId);
        this.#finishes.delete(jobId);
        this.#unwatched.delete(jobId);
      }
      this.requestPass();
    }
  }

  // ---- restart and safety net -------------------------------------------------

  /** After a (re)start: every job the store calls running is checked against the executor. */
  async #reconcile(): Promise<void> {
    const { executor, logger } = this.#d;
    for (const job of [...this.#active.values()]) {
      if (job.status.state !== 'running' && job.status.state !== 'suspended') continue;
      await this.#reconcileJob(job);
    }
    // Tasks of jobs that ended (or that the store never had): nothing may run unaccounted for.
    for (const t of await executor.list()) {
      if (this.#active.has(t.jobId)) continue;
      // A job requeued before its task was made to run: its next start adopts the task.
      if ((await this.#d.store.getJob(t.jobId))?.status.state === 'pending') continue;
      logger.warn({ jobId: t.jobId, key: t.key }, 'removing a task whose job is not active');
      await executor.kill(t.handle, 0).catch(() => undefined);
      await executor.collect(t.handle, jobDirOf(this.#d.config, t.jobId)).catch(() => undefined);
    }
  }

  /** A job the store calls running or suspended, with no task being watched: what does the executor say? */
  async #reconcileJob(job: Job): Promise<void> {
    const { executor, clusterId } = this.#d;
    const handle: TaskHandle = { key: taskKey(clusterId, job.id), id: job.status.containerId, node: job.status.node };
    if (job.status.killReason !== undefined && !this.#kills.has(job.id)) this.#kills.set(job.id, job.status.killReason);
    // Its end was seen and its task collected, but the store did not take the end then (it was away).
    const ended = this.#collected.get(job.id);
    if (ended) {
      await this.#finish(job.id, handle, ended);
      return;
    }
    const st = await executor.status(handle);
    if (st.state === 'exited') {
      await this.#finish(job.id, handle, st);
    } else if (st.state === 'running' || st.state === 'paused') {
      this.#watch(job, handle);
      // Killed before the daemon went away: its stop may never have reached the executor.
      if (this.#kills.has(job.id)) {
        this.#track(
          executor
            .kill(handle, this.#d.config.limits.killGraceSeconds)
            .catch((e) => this.#d.logger.warn({ err: e, jobId: job.id }, 'kill after restart failed')),
        );
      }
    } else if (st.state === 'created' || (st.state === 'missing' && job.status.containerId === null)) {
      // It never ran: safe to run it from the start, once (unless it was killed meanwhile).
      if (st.state === 'created') await executor.collect(handle, jobDirOf(this.#d.config, job.id));
      if (this.#kills.has(job.id)) await this.#finish(job.id, null, vanished(null, this.#now()));
      else await this.#requeue(job.id, 'requeued: the daemon stopped before the job started');
    } else if (job.status.endedAt) {
      // It ended, and its end was noted, before the daemon that ran it could record it (it died, or lost the lead).
      await this.#finish(job.id, null, noted(job));
    } else {
      await this.#taskVanished(
        job.id,
        handle,
        `its task vanished from node ${job.status.node ?? handle.node ?? 'unknown'} while the daemon was away`,
      );
    }
  }

  /**
   * The backend gave up placing the task on the node the pass chose (a pod that stayed
   * unschedulable) and removed it: nothing ran. Back to pending with the backend's reason, as the
   * first GoDocker did; not a failure of the node, so the failure policy does not count it.
   */
  async #notPlaced(jobId: number, handle: TaskHandle, why: string): Promise<void> {
    const job = this.#active.get(jobId) ?? (await this.#d.store.getJob(jobId));
    if (!job || isTerminal(job.status.state)) return;
    if (this.#kills.has(jobId)) {
      await this.#finish(jobId, null, vanished(job.status.startedAt, this.#now()));
      return;
    }
    clearTimeout(this.#timers.get(jobId));
    this.#timers.delete(jobId);
    this.#handles.delete(jobId);
    this.#unwatched.delete(jobId);
    await this.#d.executor.collect(handle, jobDirOf(this.#d.config, jobId)).catch(() => undefined);
    await this.#requeue(jobId, `requeued: ${why}`);
    this.requestPass();
  }

  /**
   * A running job's task is gone and nobody here stopped it: its node or engine went away, or
   * someone removed it. The failure policy puts it back in the queue (its history counts how
   * often, across restarts), then fails it with a reason that names the node.
   */
  async #taskVanished(jobId: number, handle: TaskHandle, where: string): Promise<void> {
    const job = this.#active.get(jobId) ?? (await this.#d.store.getJob(jobId));
    if (!job || isTerminal(job.status.state)) return;
    if (this.#kills.has(jobId)) {
      await this.#finish(jobId, null, vanished(job.status.startedAt, this.#now()));
      return;
    }
    const allowed = this.#d.config.scheduler.failurePolicy.requeues;
    const done = job.status.history.filter((h) => POLICY_REQUEUE.test(h.reason)).length;
    if (done < allowed) {
      clearTimeout(this.#timers.get(jobId));
      this.#timers.delete(jobId);
      this.#handles.delete(jobId);
      this.#unwatched.delete(jobId);
      // Whatever the executor still holds under its key (a created container) must not be adopted as this run's.
      await this.#d.executor.collect(handle, jobDirOf(this.#d.config, jobId)).catch(() => undefined);
      await this.#requeue(jobId, `requeued: ${where} (requeue ${done + 1} of ${allowed})`);
      this.requestPass();
      return;
    }
    this.#kills.set(jobId, allowed > 0 ? `${where}, after ${allowed} requeue${allowed === 1 ? '' : 's'}` : where);
    await this.#finish(jobId, null, vanished(job.status.startedAt, this.#now()));
  }

  async #periodicCheck(): Promise<void> {
    if (this.#stopped) return;
    // An executor that says when its nodes change is read then, not on this tick.
    if (this.#d.executor.watchNodes === undefined) {
      try {
        await this.#readNodes();
      } catch (e) {
        if (isExecutorUnavailable(e)) this.#unavailable(e);
        this.#d.logger.warn({ err: e }, 'executor did not report its nodes');
      }
    }
    for (const [jobId, handle] of [...this.#handles]) {
      if (this.#finishing.has(jobId)) continue;
      // Its task was collected at its end, which the store did not take then: recorded now, not taken as vanished.
      const ended = this.#collected.get(jobId);
      if (ended) {
        await this.#finish(jobId, handle, ended);
        continue;
      }
      let st: Awaited<ReturnType<Executor['status']>> | null = null;
      try {
        st = await this.#d.executor.status(handle);
      } catch (e) {
        // Its end is unknown, not failed: asked again next time.
        if (isExecutorUnavailable(e)) this.#unavailable(e);
        continue;
      }
      if (st.state === 'exited') await this.#finish(jobId, handle, st);
      else if (st.state === 'missing') {
        const known = this.#active.get(jobId);
        if (known?.status.endedAt) {
          // Its end was noted and its task removed: the end is recorded, not taken for a vanishing.
          await this.#finish(jobId, null, noted(known));
          continue;
        }
        const node = known?.status.node ?? handle.node ?? 'unknown';
        await this.#taskVanished(jobId, handle, `its task vanished from node ${node}`);
      } else if (this.#unwatched.has(jobId)) this.#waitFor(jobId, handle);
    }
    // Starts the store may have taken without saying so: one it took has no task, so it goes back to the queue.
    for (const jobId of [...this.#uncertain]) {
      if (this.#handles.has(jobId) || this.#launching.get(jobId) !== undefined) {
        this.#uncertain.delete(jobId);
        continue;
      }
      let job: Job | null;
      try {
        job = await this.#d.store.getJob(jobId);
      } catch {
        break;
      }
      this.#uncertain.delete(jobId);
      // Looked at again after the read: a pass may have started it meanwhile.
      const known = this.#active.has(jobId) || this.#handles.has(jobId) || this.#launching.get(jobId) !== undefined;
      if (job?.status.state === 'running' && !known) {
        this.#active.set(jobId, job);
        await this.#reconcileJob(job).catch((e) => this.#d.logger.warn({ err: e, jobId }, 'could not reconcile a running job'));
      }
    }
    // A job left running with no task to watch (its requeue or its end could not be written): look again.
    const seen = this.#orphans;
    this.#orphans = new Set();
    for (const job of [...this.#active.values()]) {
      const { state } = job.status;
      if ((state !== 'running' && state !== 'suspended') || this.#handles.has(job.id)) continue;
      if (this.#launching.get(job.id) || this.#finishing.has(job.id)) continue;
      if (!seen.has(job.id)) {
        this.#orphans.add(job.id);
        continue;
      }
      await this.#reconcileJob(job).catch((e) => {
        if (isExecutorUnavailable(e)) this.#unavailable(e);
        else this.#d.logger.warn({ err: e, jobId: job.id }, 'could not reconcile a running job');
      });
    }
  }

  // ---- store, memory and events in step --------------------------------------

  async #transition(
    jobId: number,
    to: JobState,
    reason: string,
    extra: Omit<JobChange, 'state'>,
    from?: JobState[],
    /** How a final state came about; plain done or failed when not given. */
    result?: EndResult,
  ): Promise<Job | null> {
    const previous = this.#active.get(jobId)?.status.state ?? null;
    const change: JobChange = { ...extra, state: { to, reason, at: this.#now().toISOString() } };
    const job = await this.#updates.update(jobId, change, { states: from ?? fromStatesOf(to) });
    if (!job) return null;
    const state = job.status.state;
    if (state !== 'pending') this.#queue.remove(job);
    if (state === 'running' || state === 'suspended') this.#active.set(jobId, job);
    else this.#active.delete(jobId);
    if (isTerminal(state)) {
      // Only for jobs others wait on: a map of every job that ever ended would grow without end.
      if (this.#queue.isDependedOn(jobId)) this.#inputs.trackEnded(job);
      this.#inputs.usage.charge([], [job], this.#now().getTime());
      if (job.array === null) this.#d.observer?.ended(job, result ?? (state === 'done' ? 'done' : 'failed'));
    }
    if (state === 'pending') await this.#enqueue([job]);
    this.#publish(job, previous);
    this.#dependencyChanged(jobId, state);
    if (job.parentId !== null) this.#markParent(job.parentId);
    return job;
  }

  /**
   * Pending jobs join the queue. Only a job that starts a class and has dependencies needs
   * their states (from memory, else the store); a job whose dependency can never be met fails.
   */
  async #enqueue(jobs: readonly Job[]): Promise<void> {
    const now = this.#now().getTime();
    for (const job of jobs) {
      if (job.status.state !== 'pending' || job.array !== null) continue;
      let doomed: DoomedJobs | null;
      if (job.dependencies.length === 0 || this.#queue.classOf(job)) doomed = this.#queue.add(job, NO_STATES, now);
      else {
        const states = await this.#inputs.dependencyStates([job], this.#active);
        // The lookup yielded: the job may have been started, held or killed meanwhile.
        const current = await this.#d.store.getJob(job.id);
        if (current?.status.state !== 'pending') continue;
        doomed = this.#queue.add(current, states, now);
        // A job depended on may have ended while its state was read, before the class listened: ask again.
        if (!doomed) await this.#recheckDependencies(current, states);
      }
      if (doomed) this.#track(this.#failDoomed(doomed));
    }
    this.requestPass();
  }

  async #recheckDependencies(job: Job, seen: ReadonlyMap<number, JobState>): Promise<void> {
    for (const { jobId } of job.dependencies) {
      const state = this.#active.get(jobId)?.status.state ?? (await this.#d.store.getJob(jobId))?.status.state;
      if (state === seen.get(jobId)) continue;
      for (const doomed of this.#queue.dependencyChanged(jobId, state, this.#now().getTime())) await this.#failDoomed(doomed);
    }
  }

  /** Jobs waiting on this one are told its state: they may now run, or never. */
  #dependencyChanged(jobId: number, state: JobState): void {
    if (!this.#queue.isDependedOn(jobId)) return;
    for (const doomed of this.#queue.dependencyChanged(jobId, state, this.#now().getTime())) {
      this.#track(this.#failDoomed(doomed));
    }
    this.requestPass();
  }

  async #failDoomed(doomed: DoomedJobs): Promise<void> {
    const at = this.#now().toISOString();
    for (const id of doomed.ids) {
      await this.#transition(id, 'failed', doomed.reason, { status: { endedAt: at } }, ['pending'], 'dependency');
    }
  }

  #publish(job: Job, previousState: JobState | null): void {
    this.#d.bus.publish({ type: 'job', job, previousState });
  }

  #markParent(parentId: number): void {
    this.#dirtyParents.add(parentId);
    if (this.#parentsScheduled) return;
    this.#parentsScheduled = true;
    setImmediate(() => {
      this.#parentsScheduled = false;
      const ids = [...this.#dirtyParents];
      this.#dirtyParents.clear();
      this.#track(Promise.all(ids.map((id) => this.#refreshParent(id))));
    });
  }

  /**
   * The store keeps the parent's counts and state in step with each task, in the
   * task's own transaction: the parent is only read, once for all the changes of
   * its tasks since the last look, to publish it.
   */
  async #refreshParent(parentId: number): Promise<void> {
    const parent = await this.#d.store.getJob(parentId);
    if (!parent?.array) return;
    const previous = this.#inputs.stateOf(parentId) ?? parent.status.state;
    this.#inputs.trackParent(parent);
    this.#publish(parent, previous);
    this.#dependencyChanged(parentId, parent.status.state);
  }

  async #user(name: string): Promise<User> {
    const cached = this.#users.get(name);
    if (cached) return cached;
    const user = await this.#d.store.getUser(name);
    if (!user) throw new Error(`the job's owner ${name} is not a known user`);
    this.#users.set(name, user);
    return user;
  }

  #track<T>(p: Promise<T>): void {
    const tracked = p.catch((e) =>
      this.#d.logger[isStoreUnavailable(e) ? 'debug' : 'error']({ err: e }, 'background task failed'),
    );
    this.#inflight.add(tracked);
    void tracked.finally(() => this.#inflight.delete(tracked));
  }
}

function pastTense(action: JobAction): string {
  return { kill: 'killed', hold: 'held', release: 'released', suspend: 'suspended', resume: 'resumed' }[action];
}

/** How a requeue by the failure policy ends its reason: the history counts them by it. */
const POLICY_REQUEUE = /^requeued: .* \(requeue \d+ of \d+\)$/;

/** Exit info for a task that is gone without a trace (exit code unknown: -1). */
/** The end a job's status holds once #finish noted it (its task then removed). */
function noted(job: Job): ExitInfo {
  return {
    exitCode: job.status.exitCode ?? -1,
    signal: job.status.signal,
    oomKilled: job.status.oomKilled,
    startedAt: job.status.startedAt,
    endedAt: job.status.endedAt,
    error: null,
    cpuSeconds: null,
    maxMemoryMb: null,
  };
}

function vanished(startedAt: string | null, now: Date): ExitInfo {
  return {
    exitCode: -1,
    signal: null,
    oomKilled: false,
    startedAt,
    endedAt: now.toISOString(),
    error: null,
    cpuSeconds: null,
    maxMemoryMb: null,
  };
}
