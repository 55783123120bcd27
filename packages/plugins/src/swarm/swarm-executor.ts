/**
 * The swarm executor: runs each job as a Docker Swarm service of one replica that is never
 * restarted, placed on the node the scheduler chose, talking to the engine of a manager.
 *
 * The service is named after the task key (service-spec.ts), and the swarm refuses a second
 * service of the same name: that is what makes `start` idempotent across daemon crashes ("no job
 * runs twice"). The service stays after its task has ended, so the exit code and the logs outlive
 * the job until `collect` removes it.
 *
 * What Swarm cannot do, and what is done instead:
 * - Pause a task: there is no such call for services. suspend/resume are refused (NotSupportedError).
 * - Signal a task: services have no signal or stop call, and removing or scaling a service to 0
 *   deletes its task, its container and its logs at once. `kill` stops the task's container itself
 *   when it is on the manager's engine (with the grace asked for), and otherwise retires the task:
 *   it adds a constraint no node meets, and Swarm replaces the task, stopping the old one with the
 *   grace written in the service (the `killGraceSeconds` option) and keeping it, its exit code and
 *   its logs; the replacement never runs.
 * - Report OOM kills, start times: the task does not say. They are read from the container when it
 *   is on the manager's engine.
 * - Run a task with no network: see taskNetworks in service-spec.ts.
 * - Limit swap: services have no MemorySwap (API 1.41), so a job may use as much swap as its ram
 *   limit on a node that has swap.
 * - Follow logs to their end: a followed service log never ends, even after its task has (checked on
 *   20.10). `logs` ends it when the task ends and sends what the stream had not sent yet.
 */
import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';
import {
  type Executor,
  ExecutorError,
  type ExecutorFactory,
  type ExecutorFeatures,
  ExecutorUnavailableError,
  type ExitInfo,
  GodockerError,
  InFlight,
  InvalidStateError,
  type ListedTask,
  type LogStream,
  type NodeInfo,
  NotSupportedError,
  type PluginContext,
  type RunSpec,
  signalOfStopStatus,
  TASK_LABELS,
  type TaskHandle,
  type TaskStatus,
  type UsageSample,
  writingTo,
} from '@godocker/sdk';
import Docker from 'dockerode';
import { usageOfStats } from '../docker/container-usage.js';
import {
  executorError,
  isAbort,
  isConflict,
  isNotFound,
  isNotModified,
  messageOf,
  statusCodeOf,
} from '../docker/docker-errors.js';
import { type EngineChange, watchEngineEvents } from '../docker/engine-events.js';
import { asReadable } from '../docker/engine-streams.js';
import { exitInfoOf, hasEnded } from '../docker/exit-info.js';
import { writeLogFiles } from '../docker/log-files.js';
import { logFrames, streamBytes } from '../docker/log-frames.js';
import { PRELUDE_FAILED_EXIT, PRELUDE_LINE_MAX_BYTES, preludeArgs, preludeFailure } from '../docker/start-prelude.js';
import {
  clusterFilter,
  KEY_LABEL,
  type ScriptConfig,
  scriptConfig,
  scriptConfigName,
  serviceName,
  serviceSpec,
} from './service-spec.js';
import { nodeConstraint, nodeInfos, nodeName, nodesByName, nodesFingerprint } from './swarm-nodes.js';
import { jobTask, nodeOf, type SwarmNode, type SwarmService, type SwarmTask, serviceOf, taskOf } from './swarm-objects.js';
import { parseSwarmOptions, type ResolvedSwarmOptions } from './swarm-options.js';
import { dependsOnNode, exitInfoOfTask, phaseOf, RETIRED_CONSTRAINT, type TaskContext, type TaskPhase } from './task-outcome.js';
import { TaskWatch } from './task-watch.js';

const PING_TIMEOUT_MS = 5_000;
/** How long an OOM kill may take to show on a stopped container: 5 × 40 ms, only for exits by SIGKILL. */
const OOM_SETTLE_TRIES = 5;
const OOM_SETTLE_MS = 40;
/** Node listeners are told at most this often: one node update comes as several events. */
const NODES_COALESCE_MS = 200;
/** An update made against an older version of the service is refused; tries before giving up. */
const UPDATE_TRIES = 5;

type Inspect = Docker.ContainerInspectInfo;

interface View {
  service: SwarmService;
  task: SwarmTask | null;
  phase: TaskPhase;
  /** The swarm's nodes, when the phase depended on them (dependsOnNode). */
  nodes: readonly SwarmNode[] | null;
}

function contextOf(service: SwarmService, task: SwarmTask | null, nodes: readonly SwarmNode[] | null): TaskContext {
  const node = task && task.nodeId !== '' && nodes ? nodes.find((n) => n.id === task.nodeId) : undefined;
  return {
    retired: service.constraints.includes(RETIRED_CONSTRAINT),
    nodeReady: nodes === null || task === null || task.nodeId === '' || node?.state === 'ready',
  };
}

interface SwarmInfo {
  name: string;
  nodeId: string;
}

function swarmInfo(value: unknown, socketPath: string): SwarmInfo {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const swarm = (typeof v.Swarm === 'object' && v.Swarm !== null ? v.Swarm : {}) as Record<string, unknown>;
  const state = typeof swarm.LocalNodeState === 'string' ? swarm.LocalNodeState : '(none)';
  if (state !== 'active') {
    throw new ExecutorError(
      `the Docker engine at unix://${socketPath} is not in a swarm (Swarm.LocalNodeState ${state}): ` +
        'make it a manager (docker swarm init, or scripts/swarm-up.sh) or point the swarm executor option socketPath at a manager',
    );
  }
  if (swarm.ControlAvailable !== true) {
    throw new ExecutorError(
      `the Docker engine at unix://${socketPath} is a swarm worker; services are made through a manager: ` +
        'point the swarm executor option socketPath at a manager (docker node ls lists them)',
    );
  }
  return { name: typeof v.Name === 'string' ? v.Name : '', nodeId: typeof swarm.NodeID === 'string' ? swarm.NodeID : '' };
}

/** The engine's event stream is JSON objects, one per line, cut anywhere by the transport. */
async function* jsonLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  let pending = '';
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') {
        try {
          yield JSON.parse(line) as unknown;
        } catch {
          // Not an event: nothing to wake anyone for.
        }
      }
      nl = pending.indexOf('\n');
    }
  }
}

/**
 * Exported for the tests alone (they build one that takes its tasks for another node's, to go
 * through `kill`'s retire path on a one-node swarm); the package exports the factory only.
 */
export class SwarmExecutor implements Executor {
  readonly name = 'swarm';
  /** Aborted by close(): ends every long request (wait, followed logs) still open. */
  private readonly closing = new AbortController();
  /** Starts in progress in this process, so concurrent calls for one key share one attempt. */
  private readonly starting = new InFlight<string, TaskHandle>();
  private readonly openLogs = new Set<Readable>();
  /** Tasks this executor stopped: their 128+N status is the signal it sent (a restarted daemon knows from its kill reason). */
  private readonly stopped = new Set<string>();
  private readonly watch: TaskWatch;
  private closed = false;
  private readonly nodeListeners = new Set<() => void>();
  private watchingNodes = false;
  private nodesTimer: NodeJS.Timeout | null = null;
  /** Node events or changes of the manager's answering not yet looked at; `nodesBack`: one of the latter. */
  private nodesPending = false;
  private nodesBack = false;
  private nodesChecking = false;
  /** nodesFingerprint of what `nodes()` answered when last read for the listeners (null: unknown). */
  private nodesPrint: string | null = null;

  /**
   * No suspend (Swarm cannot pause a service), no exec (the interface has no exec call to make
   * through a task's container yet), no GPUs (Swarm knows them only as generic resources declared
   * by hand on each engine). Ports are published in host mode on the task's node. Logs can be followed.
   */
  features(): ExecutorFeatures {
    return { suspend: false, logsFollow: true, exec: false, ports: true, gpus: false };
  }

  constructor(
    private readonly docker: Docker,
    private readonly agent: http.Agent,
    private readonly options: ResolvedSwarmOptions,
    private readonly context: PluginContext,
    /** The manager's own node: its tasks' containers are on the engine we talk to. */
    private readonly localNodeId: string,
  ) {
    // One signal is shared by every open wait and log request; hundreds may be open at once.
    setMaxListeners(0, this.closing.signal);
    this.watch = new TaskWatch(
      { snapshot: () => this.snapshot(), events: (signal) => this.events(signal) },
      options.pollSeconds * 1000,
      this.closing.signal,
      context.logger,
    );
  }

  async nodes(): Promise<NodeInfo[]> {
    this.assertOpen();
    return nodeInfos(await this.swarmNodes(), this.options.capacity);
  }

  /**
   * The manager's `node` events (a node joined, left, went down or came back, was drained or
   * paused, its labels or resources changed), and the manager going away and coming back
   * (engine-events.ts), coalesced: a node's update comes as a few events at once. After events the
   * nodes are read, and the listeners told only if `nodes()` answers otherwise than it did: a node
   * also has update events for what the daemon does not see (its manager status, its certificate).
   * They are told in any case when the event stream opens (a change may have come between the
   * daemon's first read and the stream), when it ends (the manager does not answer) and when it
   * opens again (anything may have changed meanwhile).
   */
  watchNodes(listener: () => void): () => void {
    this.nodeListeners.add(listener);
    if (!this.watchingNodes) {
      this.watchingNodes = true;
      void watchEngineEvents(this.docker, ['node'], this.closing.signal, (change) => this.nodesChanged(change));
    }
    return () => this.nodeListeners.delete(listener);
  }

  private nodesChanged(change: EngineChange): void {
    this.nodesPending = true;
    if (change !== 'event') this.nodesBack = true;
    if (this.nodesTimer || this.nodesChecking || this.closed) return;
    this.nodesTimer = setTimeout(() => void this.checkNodes(), NODES_COALESCE_MS);
    this.nodesTimer.unref();
  }

  /** One look at a time, so that what is compared is always the last read; events during one make another. */
  private async checkNodes(): Promise<void> {
    this.nodesTimer = null;
    this.nodesChecking = true;
    try {
      while (this.nodesPending && !this.closed) {
        const always = this.nodesBack;
        this.nodesPending = false;
        this.nodesBack = false;
        // Read before the listeners are told: what they read then is this or newer, and a change
        // after this read has an event of its own, compared with this.
        const print = await this.swarmNodes().then(
          (nodes) => nodesFingerprint(nodeInfos(nodes, this.options.capacity)),
          () => null,
        );
        const changed = always || print === null || print !== this.nodesPrint;
        this.nodesPrint = print;
        if (changed && !this.closed) this.emitNodes();
      }
    } finally {
      this.nodesChecking = false;
    }
  }

  private emitNodes(): void {
    for (const listener of this.nodeListeners) {
      try {
        listener();
      } catch (error) {
        this.context.logger.warn({ error: messageOf(error) }, 'a node listener failed');
      }
    }
  }

  start(spec: RunSpec): Promise<TaskHandle> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.starting.run(spec.key, () => this.createService(spec));
  }

  async wait(handle: TaskHandle): Promise<ExitInfo> {
    this.assertOpen();
    try {
      for (;;) {
        const view = await this.view(handle);
        if (!view) throw this.missing(handle, 'wait for');
        if (view.phase === 'ended') return await this.endOf(handle, view);
        if (view.phase === 'lost') throw this.lost(handle, view);
        await this.watch.changed(view.service.id, this.closing.signal);
      }
    } catch (error) {
      if (isAbort(error)) throw new ExecutorError(`swarm executor closed while waiting for task ${handle.key}`, error);
      throw executorError(`waiting for task ${handle.key}`, error);
    }
  }

  async status(handle: TaskHandle): Promise<TaskStatus> {
    this.assertOpen();
    const view = await this.view(handle);
    if (!view) return { state: 'missing' };
    switch (view.phase) {
      case 'created':
        // Pending for want of a node that meets its constraints is "not started yet", not a failure.
        return { state: 'created' };
      case 'running':
        return { state: 'running' };
      case 'ended':
        return { state: 'exited', ...(await this.endOf(handle, view)) };
      case 'lost':
        // Stopped by Swarm (its node went away or was drained): to the daemon, a task that vanished (its failure policy applies).
        return { state: 'missing' };
    }
  }

  /**
   * Read from the engine this executor talks to: a task whose container runs on another node
   * of the swarm is not sampled (its engine is not reachable from here).
   */
  async usage(handle: TaskHandle): Promise<UsageSample | null> {
    this.assertOpen();
    const view = await this.view(handle);
    const id = view?.phase === 'running' ? view.task?.containerId : '';
    if (!id) return null;
    try {
      return usageOfStats(await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true }));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw executorError(`reading the usage of task ${handle.key}`, error);
    }
  }

  async list(): Promise<ListedTask[]> {
    this.assertOpen();
    let services: SwarmService[];
    let tasks: SwarmTask[];
    let nodes: SwarmNode[];
    try {
      const filters = { label: [clusterFilter(this.context.clusterId)] };
      const [s, t, n] = await Promise.all([
        this.docker.listServices({ filters }),
        this.docker.listTasks({ filters }),
        this.docker.listNodes(),
      ]);
      services = s.map(serviceOf);
      tasks = (t as unknown[]).map(taskOf);
      nodes = (n as unknown[]).map(nodeOf);
    } catch (error) {
      throw executorError(`listing services on ${this.options.socketPath}`, error);
    }
    const listed: ListedTask[] = [];
    for (const s of services) {
      const key = s.labels[KEY_LABEL] ?? s.name;
      const jobId = Number(s.labels[TASK_LABELS.job]);
      if (key === '' || !Number.isInteger(jobId)) {
        this.context.logger.warn(
          { service: s.id, labels: s.labels },
          'service of this cluster without a key or job label; ignored',
        );
        continue;
      }
      const task = jobTask(tasks.filter((x) => x.serviceId === s.id));
      const node = task && task.nodeId !== '' ? nodeName(nodes, task.nodeId) : null;
      listed.push({ key, jobId, handle: { key, id: s.id, node } });
    }
    return listed;
  }

  /**
   * See the file's comment: a task on the manager's engine has its container stopped with `graceSeconds`;
   * any other is retired, and stopped by its node with the grace its service was created with.
   * A task that has no container yet is never started: its service is removed.
   */
  async kill(handle: TaskHandle, graceSeconds: number): Promise<void> {
    this.assertOpen();
    // A start of this key still in flight would otherwise create the service after we looked.
    await this.starting.get(handle.key)?.catch(() => undefined);
    const grace = Number.isFinite(graceSeconds) && graceSeconds >= 0 ? Math.ceil(graceSeconds) : this.options.killGraceSeconds;
    const view = await this.view(handle);
    if (!view) return;
    const { service, task, phase } = view;
    if (phase === 'ended' || phase === 'lost') return;
    try {
      if (task === null || task.containerId === '') {
        // Never started, so it has neither output nor exit code to keep: make sure it never runs.
        await this.removeService(service.id, handle.key);
        return;
      }
      this.stopped.add(handle.key);
      // Only a running container: one still starting would start after a stop, which it ignores (304).
      if (task.nodeId === this.localNodeId && task.state === 'running') {
        try {
          await this.docker.getContainer(task.containerId).stop({ t: grace });
          return;
        } catch (error) {
          if (isNotModified(error)) return;
          // Gone from this engine between our look and the stop: retire it like any other.
          if (!isNotFound(error)) throw error;
        }
      }
      await this.retire(handle, service);
    } catch (error) {
      if (isNotFound(error)) return;
      throw executorError(`killing task ${handle.key}`, error);
    }
  }

  async suspend(_handle: TaskHandle): Promise<void> {
    this.assertOpen();
    throw new NotSupportedError(this.name, 'suspend jobs');
  }

  async resume(_handle: TaskHandle): Promise<void> {
    this.assertOpen();
    throw new NotSupportedError(this.name, 'resume jobs');
  }

  async logs(handle: TaskHandle, stream: LogStream, options: { follow: boolean }): Promise<Readable> {
    this.assertOpen();
    const service = await this.inspectService(handle);
    if (!service) throw this.missing(handle, 'read the logs of');
    const hangUp = new AbortController();
    const signal = AbortSignal.any([hangUp.signal, this.closing.signal]);
    const which = { stdout: stream === 'stdout', stderr: stream === 'stderr' };
    let first: Readable;
    try {
      first = await this.serviceLogs(service.id, { ...which, follow: options.follow }, signal);
    } catch (error) {
      if (isNotFound(error)) throw this.missing(handle, 'read the logs of');
      throw executorError(`reading ${stream} of task ${handle.key}`, error);
    }
    const bytes = options.follow
      ? this.followed(handle, service.id, stream, first, signal)
      : (async function* all() {
          yield* streamBytes(first, stream);
        })();
    const key = handle.key;
    const out = Readable.from(
      (async function* guarded() {
        try {
          yield* bytes;
        } catch (error) {
          throw executorError(`reading ${stream} of task ${key}`, error);
        }
      })(),
      { objectMode: false },
    );
    this.openLogs.add(out);
    out.once('close', () => {
      this.openLogs.delete(out);
      // The generator only notices a reader that left when the next chunk arrives, which may be never
      // for a quiet job: hang up on the engine now.
      hangUp.abort();
      first.destroy();
    });
    return out;
  }

  /**
   * A followed service log: its bytes until the task ends, then what the stream had not sent yet.
   * The followed stream never ends by itself, so it is cut when the task has ended; the rest comes
   * from the whole log read once more, less the bytes already sent (both are the same stream of the
   * same task, in the same order).
   */
  private async *followed(
    handle: TaskHandle,
    serviceId: string,
    stream: LogStream,
    source: Readable,
    signal: AbortSignal,
  ): AsyncGenerator<Buffer> {
    let ended = false;
    void this.untilEnded(handle, signal).then(
      () => {
        ended = true;
        source.destroy();
      },
      () => undefined,
    );
    let sent = 0;
    try {
      for await (const chunk of streamBytes(source, stream)) {
        sent += chunk.length;
        yield chunk;
      }
    } catch (error) {
      if (!ended) throw error;
    }
    // Ended while its task had not: the service was removed (collected) meanwhile, nothing more will come.
    if (!ended) return;
    let rest: Readable;
    try {
      rest = await this.serviceLogs(
        serviceId,
        { stdout: stream === 'stdout', stderr: stream === 'stderr', follow: false },
        signal,
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    let skip = sent;
    for await (const chunk of streamBytes(rest, stream)) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      yield skip > 0 ? chunk.subarray(skip) : chunk;
      skip = 0;
    }
  }

  /** Resolves when the task has ended, is lost or its service is gone; rejects when `signal` aborts. */
  private async untilEnded(handle: TaskHandle, signal: AbortSignal): Promise<void> {
    for (;;) {
      const view = await this.view(handle);
      if (!view || view.phase === 'ended' || view.phase === 'lost') return;
      await this.watch.changed(view.service.id, signal);
    }
  }

  async collect(handle: TaskHandle, jobDir: string): Promise<void> {
    this.assertOpen();
    await writingTo(`collecting task ${handle.key}`, jobDir, () => mkdir(jobDir, { recursive: true }));
    const view = await this.view(handle);
    if (!view) {
      // The service went first (a collect stopped halfway): its script config may be left.
      await this.removeConfig(handle.key);
      return;
    }
    const { service, task, phase } = view;
    if (phase === 'running' || (phase === 'created' && task !== null && task.containerId !== '')) {
      throw new InvalidStateError(`task ${handle.key} is still running: kill it and wait for its end before collecting`);
    }
    try {
      try {
        const source = await this.serviceLogs(service.id, { stdout: true, stderr: true, follow: false }, this.closing.signal);
        await writingTo(`collecting task ${handle.key}`, jobDir, () => writeLogFiles(logFrames(source), jobDir));
      } catch (error) {
        // A lost task's node may never answer again: its output is given up, its service removed.
        // Any other keeps its service, so a collect once its node is back still finds the output.
        if (phase !== 'lost' || GodockerError.is(error)) throw error;
        this.context.logger.warn(
          { key: handle.key, error: messageOf(error) },
          'swarm executor: the output of a lost task cannot be read; its service is removed without it',
        );
      }
      await this.removeService(service.id, handle.key);
      this.stopped.delete(handle.key);
    } catch (error) {
      if (isNotFound(error)) return;
      throw executorError(`collecting task ${handle.key} into ${jobDir}`, error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    if (this.nodesTimer) clearTimeout(this.nodesTimer);
    for (const out of this.openLogs) out.destroy();
    this.openLogs.clear();
    this.agent.destroy();
  }

  private async createService(spec: RunSpec): Promise<TaskHandle> {
    if (spec.gpus > 0) throw new NotSupportedError(this.name, 'give jobs GPUs');
    // A job whose output could not be kept does not start: a read-only or full log disk is a
    // storage fault, and the job waits for it to pass.
    await writingTo(`starting task ${spec.key}`, spec.jobDir, () => mkdir(spec.jobDir, { recursive: true }));
    const byKey: TaskHandle = { key: spec.key, id: null, node: null };
    const found = await this.inspectService(byKey);
    if (found) return this.adopt(spec, found);
    const pin = spec.node === '' ? null : await this.pinTo(spec);
    const config = scriptConfig(spec, this.context.clusterId);
    const configRef = config ? await this.ensureConfig(spec.key, config) : null;
    const body = serviceSpec(spec, this.context.clusterId, {
      killGraceSeconds: this.options.killGraceSeconds,
      network: this.options.network,
      reserveResources: this.options.reserveResources,
      nodeConstraint: pin,
      config: configRef,
    });
    let id: string;
    try {
      id = (await this.docker.createService(body)).id;
    } catch (error) {
      if (isConflict(error)) {
        // Another daemon (or a retry) created it between our look and our create.
        const raced = await this.inspectService(byKey);
        if (raced) return this.adopt(spec, raced);
      }
      throw executorError(`creating service ${body.Name} for task ${spec.key} from ${spec.image}`, error);
    }
    this.context.logger.debug({ key: spec.key, id, job: spec.job.id, node: spec.node }, 'service created');
    return { key: spec.key, id, node: spec.node };
  }

  /**
   * The constraint that keeps the task on the node the scheduler chose. A name the swarm does not
   * know would leave the task pending for ever, without a word: refused instead.
   */
  private async pinTo(spec: RunSpec): Promise<string> {
    const named = nodesByName(await this.swarmNodes());
    if (!named.has(spec.node)) {
      throw new ExecutorError(
        `cannot start task ${spec.key} on node ${spec.node}: the swarm of ${this.options.socketPath} has no such node ` +
          `(its nodes: ${[...named.keys()].join(', ') || 'none'})`,
      );
    }
    return nodeConstraint(spec.node);
  }

  /** A service with our key already exists: take it over instead of creating a second one. */
  private adopt(spec: RunSpec, service: SwarmService): TaskHandle {
    const owner = service.labels[TASK_LABELS.cluster];
    if (owner !== this.context.clusterId || (service.labels[KEY_LABEL] ?? spec.key) !== spec.key) {
      throw new ExecutorError(
        `a service named ${service.name} exists in the swarm of ${this.options.socketPath} but belongs to ` +
          `cluster ${owner ?? '(none)'} (key ${service.labels[KEY_LABEL] ?? '(none)'}), not to task ${spec.key}; remove or rename it`,
      );
    }
    return { key: spec.key, id: service.id, node: spec.node };
  }

  /** The script's config, made once per key: a start retried after a crash finds the one it made. */
  private async ensureConfig(key: string, config: ScriptConfig): Promise<{ id: string; name: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const created = (await this.docker.createConfig(config)) as { id: string };
        return { id: created.id, name: config.Name };
      } catch (error) {
        if (!isConflict(error) || attempt > 0) throw executorError(`creating the script config of task ${key}`, error);
      }
      const existing = await this.configData(config.Name);
      if (existing !== null && existing.data === config.Data) return { id: existing.id, name: config.Name };
      // Another script under this key (cannot be in use: no service of this key exists): replace it.
      await this.removeConfig(key);
    }
  }

  private async configData(name: string): Promise<{ id: string; data: string } | null> {
    try {
      const info = (await this.docker.getConfig(name).inspect()) as { ID?: unknown; Spec?: { Data?: unknown } };
      return { id: String(info.ID), data: typeof info.Spec?.Data === 'string' ? info.Spec.Data : '' };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw executorError(`inspecting config ${name}`, error);
    }
  }

  private async removeConfig(key: string): Promise<void> {
    try {
      await this.docker.getConfig(scriptConfigName(key)).remove();
    } catch (error) {
      if (isNotFound(error)) return;
      // Not fatal for the job: a config left behind costs a few bytes, and the next collect of the key retries.
      this.context.logger.warn({ key, error: messageOf(error) }, 'could not remove the script config of a task');
    }
  }

  private async removeService(id: string, key: string): Promise<void> {
    try {
      await this.docker.getService(id).remove();
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await this.removeConfig(key);
  }

  /**
   * Adds a constraint no node meets: Swarm replaces the task, stopping the old one (SIGTERM, then
   * SIGKILL after the service's StopGracePeriod) and keeping it in the service's task history with
   * its container, exit code and logs. The replacement stays pending until `collect` removes the service.
   */
  private async retire(handle: TaskHandle, first: SwarmService): Promise<void> {
    let service: SwarmService | null = first;
    for (let attempt = 1; service !== null; attempt++) {
      if (service.constraints.includes(RETIRED_CONSTRAINT)) return;
      const spec = structuredClone(service.spec) as unknown as Docker.ServiceSpec & { TaskTemplate: Docker.ContainerTaskSpec };
      spec.TaskTemplate.Placement = {
        ...spec.TaskTemplate.Placement,
        Constraints: [...(spec.TaskTemplate.Placement?.Constraints ?? []), RETIRED_CONSTRAINT],
      };
      try {
        await this.docker.getService(service.id).update({ _query: { version: service.version }, _body: spec });
        return;
      } catch (error) {
        // "update out of sequence": someone changed it since we read it; read it again.
        if (attempt >= UPDATE_TRIES || !/out of sequence/i.test(messageOf(error))) throw error;
      }
      service = await this.inspectService(handle);
    }
  }

  private withSentSignal(handle: TaskHandle, info: ExitInfo): ExitInfo {
    if (info.signal !== null || !this.stopped.has(handle.key)) return info;
    return { ...info, signal: signalOfStopStatus(info.exitCode) };
  }

  /** How an ended task ended: from its container when it is on this engine, else from the task; a start failure when its prelude says so. */
  private async endOf(handle: TaskHandle, view: View): Promise<ExitInfo> {
    const task = view.task as SwarmTask;
    let exit = exitInfoOfTask(task, task.nodeId === '' ? null : await this.nodeNameOf(task));
    if (task.containerId !== '' && task.nodeId === this.localNodeId) {
      const container = await this.settledInspect(task.containerId);
      if (container && hasEnded(container.State)) {
        const local = exitInfoOf(container.State);
        exit = { ...local, error: exit.error ?? local.error };
      }
    }
    exit = this.withSentSignal(handle, exit);
    if (exit.exitCode !== PRELUDE_FAILED_EXIT || exit.error !== null) return exit;
    const args = preludeArgs(view.service.command);
    if (!args) return exit;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      // One line, and the engine cuts log lines into 16 KiB entries: bounded whatever the job printed.
      const source = await this.serviceLogs(
        view.service.id,
        { stdout: false, stderr: true, follow: false, tail: 1 },
        this.closing.signal,
      );
      for await (const chunk of streamBytes(source, 'stderr')) {
        size += chunk.length;
        if (size > PRELUDE_LINE_MAX_BYTES) {
          source.destroy();
          return exit;
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (isNotFound(error)) return exit;
      throw executorError(`reading how task ${handle.key} ended`, error);
    }
    const error = preludeFailure(args, Buffer.concat(chunks).toString('utf8'));
    return error === null ? exit : { ...exit, exitCode: -1, signal: null, startedAt: null, error };
  }

  private async nodeNameOf(task: SwarmTask): Promise<string | null> {
    // Only a rejected task's message names its node; the others need no look at the node list.
    if (task.state !== 'rejected') return null;
    return nodeName(await this.swarmNodes(), task.nodeId);
  }

  /**
   * Inspects a container that has just stopped. The engine handles the OOM event apart from the
   * exit: right after a SIGKILL (137) `OOMKilled` may still be false for a few milliseconds.
   */
  private async settledInspect(id: string): Promise<Inspect | null> {
    const look = async (): Promise<Inspect | null> => {
      try {
        return await this.docker.getContainer(id).inspect();
      } catch (error) {
        if (isNotFound(error)) return null;
        throw executorError(`inspecting container ${id} on ${this.options.socketPath}`, error);
      }
    };
    let info = await look();
    for (let i = 0; i < OOM_SETTLE_TRIES && info && info.State.ExitCode === 137 && !info.State.OOMKilled; i++) {
      await delay(OOM_SETTLE_MS, undefined, { signal: this.closing.signal });
      info = await look();
    }
    return info;
  }

  /** `GET /services/{id}/logs` as a stream, followed or not (dockerode buffers a log it does not follow). */
  private serviceLogs(
    id: string,
    options: { stdout: boolean; stderr: boolean; follow: boolean; tail?: number },
    signal: AbortSignal,
  ): Promise<Readable> {
    return new Promise<Readable>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `/services/${encodeURIComponent(id)}/logs?`,
          method: 'GET',
          isStream: true,
          abortSignal: signal,
          statusCodes: { 200: true, 404: 'no such service', 500: 'server error', 503: 'node is not part of a swarm' },
          options: { ...options, ...(options.tail === undefined ? {} : { tail: String(options.tail) }) },
        },
        (error, body) => (error ? reject(error) : resolve(asReadable(body as NodeJS.ReadableStream))),
      );
    });
  }

  private async view(handle: TaskHandle): Promise<View | null> {
    const service = await this.inspectService(handle);
    if (!service) return null;
    let tasks: SwarmTask[];
    try {
      tasks = ((await this.docker.listTasks({ filters: { service: [service.id] } })) as unknown[]).map(taskOf);
    } catch (error) {
      throw executorError(`listing the tasks of service ${service.name} (task ${handle.key})`, error);
    }
    // The service filter also matches services whose name starts with the id given: keep ours.
    const task = jobTask(tasks.filter((t) => t.serviceId === service.id));
    const nodes = dependsOnNode(task) ? await this.swarmNodes() : null;
    return { service, task, phase: phaseOf(task, contextOf(service, task, nodes)), nodes };
  }

  private async inspectService(handle: TaskHandle): Promise<SwarmService | null> {
    try {
      return serviceOf(await this.docker.getService(handle.id ?? serviceName(handle.key)).inspect());
    } catch (error) {
      if (isNotFound(error)) return null;
      throw executorError(`inspecting the service of task ${handle.key} on ${this.options.socketPath}`, error);
    }
  }

  private async swarmNodes(): Promise<SwarmNode[]> {
    try {
      return ((await this.docker.listNodes()) as unknown[]).map(nodeOf);
    } catch (error) {
      throw executorError(`listing the swarm's nodes on ${this.options.socketPath}`, error);
    }
  }

  /** The phase of every service of this cluster, in three requests: what the task watch's rounds read. */
  private async snapshot(): Promise<ReadonlyMap<string, TaskPhase>> {
    const filters = { label: [clusterFilter(this.context.clusterId)] };
    const signal = this.closing.signal;
    const [s, t, n] = await Promise.all([
      this.docker.listServices({ filters, abortSignal: signal }),
      this.docker.listTasks({ filters, abortSignal: signal }),
      this.docker.listNodes({ abortSignal: signal }),
    ]);
    const tasks = (t as unknown[]).map(taskOf);
    const nodes = (n as unknown[]).map(nodeOf);
    const phases = new Map<string, TaskPhase>();
    for (const service of s.map(serviceOf)) {
      const task = jobTask(tasks.filter((x) => x.serviceId === service.id));
      phases.set(service.id, phaseOf(task, contextOf(service, task, nodes)));
    }
    return phases;
  }

  private async events(signal: AbortSignal): Promise<AsyncIterable<unknown>> {
    const stream = asReadable(
      await this.docker.getEvents({
        filters: { type: ['container', 'service'], event: ['die', 'update', 'remove'] },
        abortSignal: signal,
      }),
    );
    const clusterId = this.context.clusterId;
    return (async function* relevant() {
      for await (const event of jsonLines(stream)) {
        const e = (event ?? {}) as { Type?: unknown; Actor?: { Attributes?: Record<string, unknown> } };
        // A container of another workload on this engine is no news for our waiters.
        if (e.Type === 'container' && e.Actor?.Attributes?.[TASK_LABELS.cluster] !== clusterId) continue;
        yield event;
      }
    })();
  }

  private missing(handle: TaskHandle, doing: string): ExecutorError {
    return new ExecutorError(`cannot ${doing} task ${handle.key}: no such service in the swarm (collected or removed)`);
  }

  private lost(handle: TaskHandle, view: View): ExecutorError {
    const nodeId = view.task?.nodeId ?? '';
    const nodes = view.nodes ?? [];
    const node = nodes.find((n) => n.id === nodeId);
    const name = nodeName(nodes, nodeId) ?? nodeId;
    let why: string;
    if (view.task?.state === 'orphaned') why = `its node ${name} was away too long`;
    else if (!node) why = view.nodes === null ? `its node ${name} went away` : `its node ${name} left the swarm`;
    else if (node.state !== 'ready') why = `its node ${name} went ${node.state || 'away'}`;
    else if (node.availability === 'drain') why = `its node ${name} was drained (docker node update --availability drain)`;
    else why = `its node ${name} went away`;
    return new ExecutorError(
      `task ${handle.key} is lost: Swarm stopped it (${view.task?.state ?? ''}, desired ${view.task?.desiredState ?? ''}) ` +
        `when ${why}; how the job would have ended is unknown`,
    );
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): ExecutorError {
    return new ExecutorError('the swarm executor is closed');
  }
}

/** Warns when jobs with network "none" would get a bridge after all (see taskNetworks in service-spec.ts). */
async function checkNetworks(docker: Docker, options: ResolvedSwarmOptions, context: PluginContext): Promise<void> {
  if (options.network !== null) {
    let scope: unknown;
    try {
      scope = ((await docker.getNetwork(options.network).inspect()) as { Scope?: unknown }).Scope;
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw executorError(`inspecting network ${options.network}`, error);
      throw new ExecutorError(
        `swarm executor option network: no network ${options.network} in the swarm of ${options.socketPath}; ` +
          `create it (docker network create -d overlay ${options.network}) or remove the option`,
      );
    }
    if (scope !== 'swarm' && options.network !== 'host') {
      throw new ExecutorError(
        `swarm executor option network: ${options.network} is a ${String(scope)} network; services can only join swarm networks (docker network create -d overlay NAME) or host`,
      );
    }
  }
  const bridges = await docker.listNetworks({ filters: { name: ['bridge'] } });
  if (bridges.some((n) => n.Name === 'bridge')) {
    context.logger.warn(
      { socketPath: options.socketPath },
      'swarm executor: this engine has a default bridge network; Swarm cannot give a task no network, ' +
        'so jobs with network "none" get that bridge (start engines with --bridge=none to give them loopback only)',
    );
  }
}

export const createSwarmExecutor: ExecutorFactory = async (rawOptions, context) => {
  const options = parseSwarmOptions(rawOptions);
  // Our own agent, so close() can drop every socket this executor opened and nothing else.
  const agent = new http.Agent({ keepAlive: true });
  // docker-modem util.inspect()s its request options (agent and open sockets included) on each call.
  Object.defineProperty(agent, inspect.custom, { value: () => 'http.Agent(godocker swarm executor)' });
  const dockerOptions: Docker.DockerOptions & { agent: http.Agent } = { socketPath: options.socketPath, agent };
  const docker = new Docker(dockerOptions);
  let info: SwarmInfo;
  try {
    try {
      // dockerode passes abortSignal through although its types for ping() take no options.
      const ping = docker.ping.bind(docker) as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
      await ping({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
      info = swarmInfo(await docker.info(), options.socketPath);
    } catch (error) {
      if (error instanceof ExecutorError) throw error;
      throw new ExecutorUnavailableError(
        `the Docker engine at unix://${options.socketPath} does not answer (${messageOf(error)}). ` +
          'Start it (systemctl start docker, or scripts/swarm-up.sh), give the daemon user access to the socket ' +
          '(the docker group), or point the swarm executor option socketPath (or DOCKER_HOST=unix://...) at a manager',
        error,
      );
    }
    await checkNetworks(docker, options, context);
  } catch (error) {
    agent.destroy();
    throw error;
  }
  context.logger.info({ socketPath: options.socketPath, manager: info.name, nodeId: info.nodeId }, 'swarm executor ready');
  return new SwarmExecutor(docker, agent, options, context, info.nodeId);
};
