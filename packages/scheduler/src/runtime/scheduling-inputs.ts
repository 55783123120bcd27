/**
 * Gathers what a scheduling pass needs besides the jobs themselves: projects
 * and users with their shares, priorities and quotas (cached; admin changes
 * invalidate), fair-share usage, cpu-time used in each quota's window, the
 * states of the jobs others depend on, and array throttles.
 */
import type { Job, JobState, Project, User } from '@godocker/sdk';
import { isTerminal } from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import type { ArrayLimit, EngineInput, ProjectPolicy, UserPolicy } from '../engine/engine-io.js';
import type { Store } from '../store/store.js';
import { UsageTracker } from './usage-tracker.js';

/** Admin changes reach the engine within this time even if nobody invalidates. */
const POLICY_TTL_MS = 5_000;

export class SchedulingInputs {
  readonly usage: UsageTracker;
  readonly #store: Store;
  readonly #config: GodockerConfig;
  #policy: { at: number; projects: Project[]; users: User[] } | null = null;
  /** States of finished jobs and of array parents, for dependencies (a terminal state never changes). */
  readonly #states = new Map<number, JobState>();
  readonly #arrays = new Map<number, ArrayLimit>();

  constructor(store: Store, config: GodockerConfig, cpuUsed?: (jobId: number) => number | undefined) {
    this.#store = store;
    this.#config = config;
    this.usage = new UsageTracker(store, {
      halfLifeSeconds: config.scheduler.halfLifeSeconds,
      billing: config.scheduler.billing,
      cpuCharge: config.scheduler.cpuCharge,
      ...(cpuUsed ? { cpuUsed } : {}),
    });
  }

  async load(now: number, parents: readonly Job[]): Promise<void> {
    await this.usage.load(now);
    for (const p of parents) this.trackParent(p);
    await this.refreshPolicy(now);
  }

  invalidatePolicy(): void {
    this.#policy = null;
  }

  async refreshPolicy(now: number): Promise<{ projects: Project[]; users: User[] }> {
    if (this.#policy && now - this.#policy.at < POLICY_TTL_MS) return this.#policy;
    const [projects, users] = await Promise.all([this.#store.listProjects(), this.#store.listUsers()]);
    this.#policy = { at: now, projects, users };
    await this.usage.refreshCpuTime(projects, users, now);
    return this.#policy;
  }

  /** An array parent: its throttle, and its aggregate state for dependencies on the whole array. */
  trackParent(parent: Job): void {
    this.#states.set(parent.id, parent.status.state);
    if (isTerminal(parent.status.state)) this.#arrays.delete(parent.id);
    else if (parent.array) this.#arrays.set(parent.id, { throttle: parent.array.throttle });
  }

  /** The state last seen of an array parent (tracked) or of a job that ended. */
  stateOf(id: number): JobState | undefined {
    return this.#states.get(id);
  }

  /** A job that ended: later dependencies on it are decided from memory. */
  trackEnded(job: Job): void {
    this.#states.set(job.id, job.status.state);
  }

  /** States of every job the pending ones depend on; active jobs come from `active`. */
  async dependencyStates(pending: readonly Job[], active: ReadonlyMap<number, Job>): Promise<Map<number, JobState>> {
    const out = new Map<number, JobState>();
    for (const job of pending) {
      for (const dep of job.dependencies) {
        if (out.has(dep.jobId)) continue;
        const state = active.get(dep.jobId)?.status.state ?? this.#states.get(dep.jobId) ?? (await this.#lookup(dep.jobId));
        if (state) out.set(dep.jobId, state);
      }
    }
    return out;
  }

  async #lookup(id: number): Promise<JobState | undefined> {
    const job = await this.#store.getJob(id);
    if (!job) return undefined;
    if (isTerminal(job.status.state) || job.array) this.#states.set(id, job.status.state);
    return job.status.state;
  }

  async engineInput(
    base: Pick<EngineInput, 'now' | 'pending' | 'active' | 'nodes'>,
    active: ReadonlyMap<number, Job>,
  ): Promise<EngineInput> {
    const { projects, users } = await this.refreshPolicy(base.now);
    const s = this.#config.scheduler;
    return {
      ...base,
      policy: s.policy,
      projects: projects as ProjectPolicy[],
      users: users as UserPolicy[],
      usage: this.usage.fairShare(),
      cpuTime: this.usage.cpuTime(),
      dependencies: await this.dependencyStates(base.pending, active),
      arrays: this.#arrays,
      backfill: { enabled: s.backfill, maxTimeLimitSeconds: this.#config.limits.maxTimeLimit },
      weights: s.weights,
    };
  }
}
