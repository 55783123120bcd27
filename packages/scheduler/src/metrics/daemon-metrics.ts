/**
 * The daemon's Prometheus metrics, by Prometheus' conventions: the `godocker_` prefix, `_total`
 * counters, seconds and bytes, and labels of bounded cardinality (project, state, node, executor,
 * route pattern; never a job id; the user only when `metrics.userLabels` asks for it).
 *
 * One Registry per daemon, never prom-client's global one: several daemons in one process (the
 * tests, an embedder) each report their own. What the store and the runtime already know (jobs by
 * state, nodes, leadership) is read at each scrape; what happens (submits, ends, latencies) is
 * counted as it happens.
 */
import { type NodeView, VERSION } from '@godocker/sdk';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EndResult } from '../runtime/exit-outcome.js';
import type { RuntimeObserver } from '../runtime/runtime-observer.js';
import type { ProjectStateCount } from '../store/store.js';
import { JobCounts } from './job-counts.js';

/** Where the scrape-time numbers come from; read at each scrape, so a new leader's runtime is seen. */
export interface MetricsSources {
  countByProjectState(): Promise<ProjectStateCount[]>;
  nodes(): readonly NodeView[];
  isLeader(): boolean;
}

export interface DaemonMetricsOptions {
  /** Adds a `user` label to the job counters: as many series as users, so off by default. */
  userLabels: boolean;
  /** Job counts younger than this are reused by a scrape (0: read at every scrape). */
  jobCountsMaxAgeMs: number;
  /** How long a scrape waits for the store's counts before it answers with the last ones (default 5 s). */
  jobCountsWaitMs?: number;
}

export type ExecutorOperation =
  | 'nodes'
  | 'start'
  | 'status'
  | 'list'
  | 'kill'
  | 'suspend'
  | 'resume'
  | 'logs'
  | 'exec'
  | 'collect'
  | 'usage';

const MIB = 1024 * 1024;
/** Half of Prometheus' default scrape timeout: the rest of the scrape fits in the other half. */
const JOB_COUNTS_WAIT_MS = 5_000;
const HOUR = 3600;
const DAY = 24 * HOUR;

/** From a second to days: a job waits for a free slot, or for a week-long queue to drain. */
const WAIT_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, HOUR, 4 * HOUR, 12 * HOUR, DAY, 3 * DAY];
const RUN_BUCKETS = [1, 10, 60, 300, 900, 1800, HOUR, 2 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 3 * DAY, 7 * DAY];
/** A pass costs microseconds with an empty cluster and tens of milliseconds with a long queue. */
const PASS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const EXECUTOR_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Long-polls and event streams are held up to minutes: the last buckets are theirs. */
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** `2xx`, `4xx`...: five values, where the status itself would be dozens. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

export class DaemonMetrics implements RuntimeObserver {
  readonly registry = new Registry();
  readonly #userLabels: boolean;
  readonly #submitted: Counter<string>;
  readonly #started: Counter<string>;
  readonly #ended: Counter<string>;
  readonly #waited: Histogram<string>;
  readonly #ran: Histogram<string>;
  readonly #pass: Histogram<string>;
  readonly #executorCalls: Histogram<string>;
  readonly #executorErrors: Counter<string>;
  readonly #http: Histogram<string>;

  constructor(sources: MetricsSources, options: DaemonMetricsOptions) {
    const registers = [this.registry];
    this.#userLabels = options.userLabels;
    const who = options.userLabels ? ['user'] : [];
    collectDefaultMetrics({ register: this.registry });
    const counts = new JobCounts(() => sources.countByProjectState(), {
      maxAgeMs: options.jobCountsMaxAgeMs,
      waitMs: options.jobCountsWaitMs ?? JOB_COUNTS_WAIT_MS,
    });
    new Gauge({
      name: 'godocker_build_info',
      help: 'Always 1; the daemon version in its label',
      labelNames: ['version'],
      registers,
    }).set({ version: VERSION }, 1);
    new Gauge({
      name: 'godocker_jobs',
      help: 'Jobs in the store by state and project (array tasks counted, their parents not); every daemon of a site reports the same store',
      labelNames: ['state', 'project'],
      registers,
      async collect() {
        const counted = await counts.current();
        // Reset first: a (state, project) with no job left must go, not keep its last count.
        this.reset();
        for (const r of counted?.rows ?? []) this.set({ state: r.state, project: r.project }, r.count);
      },
    });
    new Gauge({
      name: 'godocker_jobs_count_age_seconds',
      help: 'How old the counts of godocker_jobs are (metrics.jobCountsMaxAgeSeconds, or a store slow to count); absent before a first count',
      registers,
      async collect() {
        // The same counts as godocker_jobs' (the registry collects both at once; they share one read).
        const counted = await counts.current();
        this.reset();
        if (counted) this.set((performance.now() - counted.readAt) / 1000);
      },
    });
    this.#submitted = new Counter({
      name: 'godocker_jobs_submitted_total',
      help: 'Jobs stored by submits (an array counts its tasks)',
      labelNames: ['project', ...who],
      registers,
    });
    this.#started = new Counter({
      name: 'godocker_jobs_started_total',
      help: 'Jobs placed on a node and started by this daemon while it led (a requeued job starts again)',
      labelNames: ['project', ...who],
      registers,
    });
    this.#ended = new Counter({
      name: 'godocker_jobs_ended_total',
      help: 'Jobs that reached a final state, by result: done, failed (non-zero exit), killed, timeout, oom, start_error, lost, dependency',
      labelNames: ['project', 'result', ...who],
      registers,
    });
    this.#waited = new Histogram({
      name: 'godocker_job_queue_wait_seconds',
      help: 'From submit to start, for each job started',
      labelNames: ['project'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.#ran = new Histogram({
      name: 'godocker_job_run_seconds',
      help: 'From start to end, for each job that ran and ended',
      labelNames: ['project'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.#pass = new Histogram({
      name: 'godocker_scheduling_pass_duration_seconds',
      help: 'One scheduling pass over a queue that was not empty, its starts stored',
      buckets: PASS_BUCKETS,
      registers,
    });
    this.#executorCalls = new Histogram({
      name: 'godocker_executor_call_duration_seconds',
      help: 'Calls to an executor (start, kill, status, list...), answered or failed',
      labelNames: ['executor', 'operation'],
      buckets: EXECUTOR_BUCKETS,
      registers,
    });
    this.#executorErrors = new Counter({
      name: 'godocker_executor_errors_total',
      help: 'Executor calls that failed',
      labelNames: ['executor', 'operation'],
      registers,
    });
    this.#http = new Histogram({
      name: 'godocker_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'godocker_leader',
      help: '1 while this daemon leads (schedules and runs jobs): always for a daemon alone, one daemon of a site',
      registers,
      collect() {
        this.set(sources.isLeader() ? 1 : 0);
      },
    });
    nodeGauges(sources, registers);
  }

  /** The exposition text (`text/plain; version=0.0.4`). */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  submitted(job: { project: string; user: { name: string }; array: { count: number } | null }): void {
    this.#submitted.inc(this.#jobLabels(job), job.array?.count ?? 1);
  }

  started(job: { project: string; user: { name: string } }, waitSeconds: number): void {
    this.#started.inc(this.#jobLabels(job));
    this.#waited.observe({ project: job.project }, waitSeconds);
  }

  ended(
    job: { project: string; user: { name: string }; status: { startedAt: string | null; endedAt: string | null } },
    result: EndResult,
  ): void {
    this.#ended.inc({ ...this.#jobLabels(job), result });
    const { startedAt, endedAt } = job.status;
    if (startedAt !== null && endedAt !== null) {
      this.#ran.observe({ project: job.project }, Math.max(0, (Date.parse(endedAt) - Date.parse(startedAt)) / 1000));
    }
  }

  passed(seconds: number): void {
    this.#pass.observe(seconds);
  }

  executorCall(executor: string, operation: ExecutorOperation, seconds: number, failed: boolean): void {
    this.#executorCalls.observe({ executor, operation }, seconds);
    if (failed) this.#executorErrors.inc({ executor, operation });
  }

  /** `route` is the pattern (`/api/v1/jobs/:id`), never the URL: one series per route, not per job. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.#http.observe({ method, route, status_class: statusClass(status) }, seconds);
  }

  #jobLabels(job: { project: string; user: { name: string } }): Record<string, string> {
    return this.#userLabels ? { project: job.project, user: job.user.name } : { project: job.project };
  }
}

/** Capacity and what the running jobs ask for, per node, as `godocker nodes` shows them. */
function nodeGauges(sources: MetricsSources, registers: Registry[]): void {
  const gauge = (name: string, help: string, value: (n: NodeView) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const n of sources.nodes()) this.set({ node: n.name }, value(n));
      },
    });
  gauge('godocker_node_cpus', 'CPU cores of the node (reported by the leader)', (n) => n.capacity.cpu);
  gauge('godocker_node_cpus_used', 'CPU cores the running and suspended jobs on the node asked for', (n) => n.used.cpu);
  gauge('godocker_node_memory_bytes', 'Memory of the node', (n) => n.capacity.ram * MIB);
  gauge(
    'godocker_node_memory_used_bytes',
    'Memory the running and suspended jobs on the node asked for',
    (n) => n.used.ram * MIB,
  );
  gauge('godocker_node_gpus', 'GPUs of the node', (n) => n.capacity.gpus);
  gauge('godocker_node_gpus_used', 'GPUs the running and suspended jobs on the node hold', (n) => n.used.gpus);
  gauge('godocker_node_jobs', 'Running and suspended jobs on the node', (n) => n.jobs);
  gauge('godocker_node_ready', '1 when the node takes new jobs; 0 when drained or down', (n) => (n.state === 'ready' ? 1 : 0));
}
