/**
 * Several executors seen as one: the daemon's `executors:` list (docker and kubernetes at
 * once), and the docker executor's `engines:` (many Docker hosts, one node each). Every node
 * belongs to one member; every call about a task goes to the member that owns its node.
 *
 * A member that stops answering does not stop the others: its nodes are reported `down`,
 * calls about its tasks fail with an `ExecutorUnavailableError` that names the node, and it
 * is asked for its nodes again, with a growing delay, until it answers; then its nodes come
 * back. Only when every member is away does the set as a whole not answer.
 */
import type { Readable } from 'node:stream';
import { ExecutorError, ExecutorUnavailableError, isExecutorUnavailable, NotSupportedError } from './errors.js';
import {
  EXECUTOR_LABEL,
  type ExecRequest,
  type ExecSession,
  type Executor,
  type ExecutorFeatures,
  type ExitInfo,
  type ListedTask,
  type Logger,
  type LogStream,
  type NodeInfo,
  type RunSpec,
  type TaskHandle,
  type TaskStatus,
} from './executor.js';
import type { UsageSample } from './job-usage.js';

export interface ExecutorSetMember {
  name: string;
  executor: Executor;
}

export interface ExecutorSetOptions {
  /** The set's own name (`executors`, `docker`), in messages. */
  name: string;
  members: ExecutorSetMember[];
  /** Nodes carry `EXECUTOR_LABEL` = their member's name, so a job can ask for one (`--executor`). */
  labelNodes: boolean;
  /**
   * Node names become `MEMBER/NODE`: two executors may well report the same machine under
   * the same name (a swarm on the host a Docker engine runs on). false: names as reported,
   * which must then be unique (Docker engines named by the admin).
   */
  qualifyNodes: boolean;
  logger: Logger;
  /** First and longest delay between two probes of a member that does not answer. */
  probeMinMs?: number;
  probeMaxMs?: number;
}

interface MemberState {
  readonly name: string;
  readonly executor: Executor;
  /** Its nodes as last reported, under their outer names. */
  nodes: NodeInfo[];
  down: { message: string; since: number } | null;
  probe: NodeJS.Timeout | undefined;
  probeDelayMs: number;
  unwatch: (() => void) | undefined;
}

interface Route {
  member: MemberState;
  /** The node's name as the member knows it. */
  inner: string;
}

const NONE: ExecutorFeatures = { suspend: false, logsFollow: false, exec: false, ports: false, gpus: false };

export class ExecutorSet implements Executor {
  readonly name: string;
  readonly #members: MemberState[];
  readonly #byName = new Map<string, MemberState>();
  /** Outer node name → its member and inner name, from the members' last reports. */
  readonly #routes = new Map<string, Route>();
  readonly #listeners = new Set<() => void>();
  readonly #options: Required<Pick<ExecutorSetOptions, 'probeMinMs' | 'probeMaxMs'>> & ExecutorSetOptions;
  #closed = false;
  /**
   * Only when every member says when its nodes change: one that does not (local processes,
   * a third party's) must be read on the daemon's tick, so the set as a whole is.
   */
  readonly watchNodes?: (listener: () => void) => () => void;

  constructor(options: ExecutorSetOptions) {
    if (options.members.length === 0) throw new ExecutorError(`${options.name}: no executor to run jobs on`);
    this.name = options.name;
    this.#options = { probeMinMs: 500, probeMaxMs: 5_000, ...options };
    this.#members = options.members.map((m) => ({
      name: m.name,
      executor: m.executor,
      nodes: [],
      down: null,
      probe: undefined,
      probeDelayMs: this.#options.probeMinMs,
      unwatch: undefined,
    }));
    for (const m of this.#members) {
      if (this.#byName.has(m.name)) throw new ExecutorError(`${options.name}: two members are named "${m.name}"`);
      this.#byName.set(m.name, m);
      m.unwatch = m.executor.watchNodes?.(() => this.#emit());
    }
    if (this.#members.every((m) => m.executor.watchNodes !== undefined)) {
      this.watchNodes = (listener) => {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
      };
    }
  }

  /** Why the member of that name does not answer, or null when it does (or there is none). */
  memberDown(name: string): string | null {
    return this.#byName.get(name)?.down?.message ?? null;
  }

  /** The member names, in order (the first is the default). */
  get memberNames(): string[] {
    return this.#members.map((m) => m.name);
  }

  features(node?: string | null): ExecutorFeatures {
    if (node) {
      const route = this.#route(node);
      if (route) return route.member.executor.features(route.inner);
    }
    // Any member: what a job not placed yet may ask for if some node can give it.
    const all = { ...NONE };
    for (const m of this.#members) {
      const f = m.executor.features();
      for (const k of Object.keys(all) as (keyof ExecutorFeatures)[]) all[k] ||= f[k];
    }
    return all;
  }

  async nodes(): Promise<NodeInfo[]> {
    this.#assertOpen();
    const answers = await Promise.allSettled(this.#members.map((m) => m.executor.nodes()));
    let failure: unknown = null;
    answers.forEach((answer, i) => {
      const m = this.#members[i] as MemberState;
      if (answer.status === 'fulfilled') {
        m.nodes = answer.value.map((n) => this.#outerNode(m, n));
        this.#up(m);
      } else {
        failure ??= answer.reason;
        this.#down(m, messageOf(answer.reason));
      }
    });
    if (this.#members.every((m) => m.down !== null)) {
      throw isExecutorUnavailable(failure)
        ? failure
        : new ExecutorUnavailableError(`${this.name}: ${messageOf(failure)}`, failure);
    }
    this.#indexRoutes();
    return this.#members.flatMap((m) =>
      m.down ? m.nodes.map((n) => ({ ...n, state: 'down' as const, reason: m.down?.message ?? '' })) : m.nodes,
    );
  }

  async start(spec: RunSpec): Promise<TaskHandle> {
    this.#assertOpen();
    const route = this.#routeOrThrow(spec.node);
    const handle = await this.#call(route, spec.node, () => route.member.executor.start({ ...spec, node: route.inner }));
    return this.#outerHandle(route.member, handle);
  }

  async wait(handle: TaskHandle): Promise<ExitInfo> {
    const route = await this.#routeOfTask(handle);
    return this.#call(route, handle.node, () => route.member.executor.wait(this.#innerHandle(route, handle)));
  }

  async status(handle: TaskHandle): Promise<TaskStatus> {
    this.#assertOpen();
    // A node no member reports, while every member answers, is gone with whatever ran there.
    if (handle.node !== null && this.#route(handle.node) === null && this.#members.every((m) => m.down === null)) {
      return { state: 'missing' };
    }
    const route = await this.#routeOfTask(handle).catch((e: unknown) => {
      if (e instanceof TaskNotFound) return null;
      throw e;
    });
    if (route === null) return { state: 'missing' };
    return this.#call(route, handle.node, () => route.member.executor.status(this.#innerHandle(route, handle)));
  }

  async list(): Promise<ListedTask[]> {
    this.#assertOpen();
    const answers = await Promise.allSettled(this.#members.map((m) => (m.down ? Promise.resolve([]) : m.executor.list())));
    const tasks: ListedTask[] = [];
    let failure: unknown = null;
    answers.forEach((answer, i) => {
      const m = this.#members[i] as MemberState;
      if (answer.status === 'rejected') {
        if (!isExecutorUnavailable(answer.reason)) throw answer.reason;
        failure ??= answer.reason;
        this.#down(m, answer.reason.message);
        return;
      }
      for (const t of answer.value) tasks.push({ ...t, handle: this.#outerHandle(m, t.handle) });
    });
    if (this.#members.every((m) => m.down !== null))
      throw failure ?? new ExecutorUnavailableError(`${this.name}: no member answers`);
    return tasks;
  }

  async kill(handle: TaskHandle, graceSeconds: number): Promise<void> {
    const route = await this.#routeOfTask(handle);
    await this.#call(route, handle.node, () => route.member.executor.kill(this.#innerHandle(route, handle), graceSeconds));
  }

  async suspend(handle: TaskHandle): Promise<void> {
    const route = await this.#routeOfTask(handle);
    await this.#call(route, handle.node, () => route.member.executor.suspend(this.#innerHandle(route, handle)));
  }

  async resume(handle: TaskHandle): Promise<void> {
    const route = await this.#routeOfTask(handle);
    await this.#call(route, handle.node, () => route.member.executor.resume(this.#innerHandle(route, handle)));
  }

  async logs(handle: TaskHandle, stream: LogStream, options: { follow: boolean }): Promise<Readable> {
    const route = await this.#routeOfTask(handle);
    return this.#call(route, handle.node, () => route.member.executor.logs(this.#innerHandle(route, handle), stream, options));
  }

  async exec(handle: TaskHandle, request: ExecRequest): Promise<ExecSession> {
    const route = await this.#routeOfTask(handle);
    const member = route.member.executor;
    if (!member.exec || !member.features(route.inner || null).exec) {
      throw new NotSupportedError(route.member.name, 'run commands inside jobs (ssh) yet');
    }
    const exec = member.exec.bind(member);
    return this.#call(route, handle.node, () => exec(this.#innerHandle(route, handle), request));
  }

  /** A reading is not a call worth marking a member down for: the task's own calls do that. */
  async usage(handle: TaskHandle): Promise<UsageSample | null> {
    const route = await this.#routeOfTask(handle);
    const member = route.member.executor;
    if (!member.usage || route.member.down) return null;
    return member.usage(this.#innerHandle(route, handle));
  }

  async collect(handle: TaskHandle, jobDir: string): Promise<void> {
    this.#assertOpen();
    const route = handle.node === null ? null : this.#route(handle.node);
    if (route) {
      await this.#call(route, handle.node, () => route.member.executor.collect(this.#innerHandle(route, handle), jobDir));
      return;
    }
    // Not known where it ran: whatever any member holds under its key goes (collect is idempotent).
    for (const m of this.#members) {
      if (m.down) continue;
      await m.executor.collect({ ...handle, node: null }, jobDir);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of this.#members) {
      clearTimeout(m.probe);
      m.unwatch?.();
    }
    await Promise.allSettled(this.#members.map((m) => m.executor.close()));
  }

  // ---- names and routes -------------------------------------------------------

  #outerNode(m: MemberState, n: NodeInfo): NodeInfo {
    return {
      ...n,
      name: this.#options.qualifyNodes ? `${m.name}/${n.name}` : n.name,
      labels: this.#options.labelNodes ? { ...n.labels, [EXECUTOR_LABEL]: m.name } : { ...n.labels },
    };
  }

  #indexRoutes(): void {
    this.#routes.clear();
    for (const m of this.#members) {
      for (const n of m.nodes) {
        if (this.#routes.has(n.name)) {
          const owner = this.#routes.get(n.name)?.member.name;
          this.#options.logger.warn(
            { node: n.name, members: [owner, m.name] },
            'two executors report a node of the same name: the first keeps it; name the nodes apart',
          );
          continue;
        }
        this.#routes.set(n.name, { member: m, inner: this.#innerName(n.name) });
      }
    }
  }

  #innerName(outer: string): string {
    if (!this.#options.qualifyNodes) return outer;
    return outer.slice(outer.indexOf('/') + 1);
  }

  #route(node: string): Route | null {
    const known = this.#routes.get(node);
    if (known) return known;
    // One member holds every task, whatever node name a job was given (a renamed host keeps its jobs).
    if (this.#members.length === 1) return { member: this.#members[0] as MemberState, inner: this.#innerName(node) };
    // A qualified name says its member even before that member has answered once (a restart while it is away).
    if (this.#options.qualifyNodes) {
      const slash = node.indexOf('/');
      const member = slash > 0 ? this.#byName.get(node.slice(0, slash)) : undefined;
      if (member) return { member, inner: node.slice(slash + 1) };
    }
    return null;
  }

  #routeOrThrow(node: string): Route {
    const route = this.#route(node);
    if (route) return route;
    const away = this.#members.filter((m) => m.down !== null);
    if (away.length > 0) {
      // It may be a node of a member that does not answer (and never did since this daemon started).
      const who = away.map((m) => `${m.name}: ${m.down?.message}`).join('; ');
      throw new ExecutorUnavailableError(
        `${this.name}: node "${node}" is not known while some do not answer (${who})`,
        undefined,
        { node },
      );
    }
    const names = [...this.#routes.keys()].join(', ') || 'none';
    throw new ExecutorError(`${this.name}: no executor has a node named "${node}" (nodes: ${names})`);
  }

  /** The member holding a task: by its node, else the first member that knows its key. */
  async #routeOfTask(handle: TaskHandle): Promise<Route> {
    this.#assertOpen();
    if (handle.node !== null) return this.#routeOrThrow(handle.node);
    for (const m of this.#members) {
      if (m.down) continue;
      const st = await m.executor.status(handle).catch(() => ({ state: 'missing' as const }));
      if (st.state !== 'missing') return { member: m, inner: '' };
    }
    throw new TaskNotFound(`${this.name}: no executor holds task ${handle.key}`);
  }

  #innerHandle(route: Route, handle: TaskHandle): TaskHandle {
    return { ...handle, node: handle.node === null ? null : route.inner };
  }

  #outerHandle(m: MemberState, handle: TaskHandle): TaskHandle {
    if (handle.node === null) return handle;
    return { ...handle, node: this.#options.qualifyNodes ? `${m.name}/${handle.node}` : handle.node };
  }

  // ---- members that do not answer --------------------------------------------

  async #call<T>(route: Route, node: string | null, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (!isExecutorUnavailable(e)) throw e;
      // A member made of members (a docker executor over many engines) already said which node is away.
      if (e.node !== undefined) {
        const outer = this.#options.qualifyNodes ? `${route.member.name}/${e.node}` : e.node;
        throw new ExecutorUnavailableError(e.message, e, { node: outer });
      }
      this.#down(route.member, e.message);
      // Every member away: nothing anywhere can be started, which the daemon handles as such.
      if (this.#members.every((m) => m.down !== null)) throw e;
      const where = node ?? route.member.nodes[0]?.name;
      throw where === undefined ? e : new ExecutorUnavailableError(e.message, e, { node: where });
    }
  }

  #down(m: MemberState, message: string): void {
    if (m.down) {
      m.down.message = message;
      return;
    }
    m.down = { message, since: Date.now() };
    this.#options.logger.warn(
      { executor: this.name, member: m.name, reason: message },
      'a member does not answer: its nodes are down',
    );
    this.#emit();
    this.#scheduleProbe(m);
  }

  #up(m: MemberState): void {
    if (!m.down) return;
    m.down = null;
    clearTimeout(m.probe);
    m.probe = undefined;
    m.probeDelayMs = this.#options.probeMinMs;
    this.#options.logger.info({ executor: this.name, member: m.name }, 'a member answers again: its nodes are back');
    this.#indexRoutes();
    this.#emit();
  }

  #scheduleProbe(m: MemberState): void {
    if (this.#closed || !m.down) return;
    clearTimeout(m.probe);
    m.probe = setTimeout(() => {
      m.executor.nodes().then(
        (nodes) => {
          if (this.#closed) return;
          m.nodes = nodes.map((n) => this.#outerNode(m, n));
          this.#up(m);
        },
        (e: unknown) => {
          if (m.down) m.down.message = messageOf(e);
          this.#scheduleProbe(m);
        },
      );
    }, m.probeDelayMs);
    m.probe.unref();
    m.probeDelayMs = Math.min(m.probeDelayMs * 2, this.#options.probeMaxMs);
  }

  #emit(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (e) {
        this.#options.logger.warn({ err: e }, 'a node listener failed');
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ExecutorError(`${this.name} executor is closed`);
  }
}

class TaskNotFound extends ExecutorError {}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
