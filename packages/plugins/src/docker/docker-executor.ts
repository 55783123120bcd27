/**
 * The docker executor: runs each job as one container on one Docker engine.
 *
 * The container is named after the task key, and the engine refuses a second
 * container of the same name: that is what makes `start` idempotent across daemon
 * crashes ("no job runs twice"), not any state of ours. Containers are created
 * with AutoRemove off, so the exit code and logs outlive the job until `collect`.
 */
import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { addAbortSignal, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';
import {
  type ExecRequest,
  type ExecSession,
  type Executor,
  ExecutorError,
  type ExecutorFactory,
  type ExecutorFeatures,
  ExecutorSet,
  type ExecutorSetMember,
  ExecutorUnavailableError,
  type ExitInfo,
  InFlight,
  InvalidStateError,
  type ListedTask,
  type LogStream,
  type NodeInfo,
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
import { createOptions, portBindings, sameBindings } from './container-spec.js';
import { usageOfStats } from './container-usage.js';
import {
  executorError,
  hostPortTaken,
  isAbort,
  isConflict,
  isEngineNotReady,
  isNotFound,
  isNotModified,
  isStartLeftover,
  isUnreachable,
  messageOf,
} from './docker-errors.js';
import { execInContainer } from './docker-exec.js';
import { parseDockerOptions, type ResolvedDockerOptions } from './docker-options.js';
import { watchEngineEvents } from './engine-events.js';
import { asReadable, toBuffer } from './engine-streams.js';
import { exitInfoOf, hasEnded } from './exit-info.js';
import { writeLogFiles } from './log-files.js';
import { logFrames, streamBytes } from './log-frames.js';
import { buildScriptArchive, needsScriptFile } from './script-archive.js';
import { PRELUDE_FAILED_EXIT, PRELUDE_LINE_MAX_BYTES, preludeArgs, preludeFailure } from './start-prelude.js';

const MIB = 1024 * 1024;
const PING_TIMEOUT_MS = 5_000;
/** First and longest delay before the engine's event stream is opened again after it broke. */
/** How often `wait` looks at a task that exists but was never started (a start is in progress elsewhere). */
const CREATED_POLL_MS = 500;
/** How long an OOM kill may take to show on a stopped container: 5 × 40 ms, only for exits by SIGKILL. */
const OOM_SETTLE_TRIES = 5;
const OOM_SETTLE_MS = 40;

type Inspect = Docker.ContainerInspectInfo;

interface EngineInfo {
  Name: string;
  NCPU: number;
  MemTotal: number;
}

function engineInfo(value: unknown, address: string): EngineInfo {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof v.Name !== 'string' || typeof v.NCPU !== 'number' || typeof v.MemTotal !== 'number') {
    throw new ExecutorError(`the Docker engine at ${address} answered /info without Name, NCPU or MemTotal`);
  }
  return { Name: v.Name, NCPU: v.NCPU, MemTotal: v.MemTotal };
}

function exitInfoFromWait(result: unknown): ExitInfo {
  // Only used when the container vanished right after its end: the wait answer is all that is left.
  const body = (typeof result === 'object' && result !== null ? result : {}) as {
    StatusCode?: unknown;
    Error?: { Message?: unknown };
  };
  const exitCode = typeof body.StatusCode === 'number' ? body.StatusCode : -1;
  const message = body.Error?.Message;
  return {
    exitCode,
    // The wait answer has no OOM flag: a signal cannot be told from the code alone.
    signal: null,
    oomKilled: false,
    startedAt: null,
    endedAt: null,
    error: typeof message === 'string' && message !== '' ? message : null,
    cpuSeconds: null,
    maxMemoryMb: null,
  };
}

class DockerExecutor implements Executor {
  readonly name = 'docker';
  /** Aborted by close(): ends every long request (wait, followed logs) still open. */
  private readonly closing = new AbortController();
  /** Starts in progress in this process, so concurrent calls for one key share one attempt. */
  private readonly starting = new InFlight<string, TaskHandle>();
  private readonly openLogs = new Set<Readable>();
  /** Tasks this executor stopped: their 128+N status is the signal it sent (a restarted daemon knows from its kill reason). */
  private readonly stopped = new Set<string>();
  private closed = false;
  private readonly nodeListeners = new Set<() => void>();
  private watching = false;

  features(): ExecutorFeatures {
    return { suspend: true, logsFollow: true, exec: true, ports: true, gpus: true };
  }

  constructor(
    private readonly docker: Docker,
    private readonly agent: http.Agent,
    private readonly options: ResolvedDockerOptions,
    private readonly context: PluginContext,
    private readonly nodeName: string,
  ) {
    // One signal is shared by every open wait and log request; hundreds may be open at once.
    setMaxListeners(0, this.closing.signal);
  }

  async nodes(): Promise<NodeInfo[]> {
    this.assertOpen();
    let info: EngineInfo;
    try {
      info = engineInfo(await this.docker.info(), this.options.address);
    } catch (error) {
      throw executorError(`reading docker info from ${this.options.address}`, error);
    }
    const { capacity } = this.options;
    return [
      {
        name: this.nodeName,
        cpu: capacity.cpu ?? info.NCPU,
        ram: capacity.ram ?? Math.floor(info.MemTotal / MIB),
        // The engine does not report GPUs; they exist for the scheduler only when the admin says so.
        gpus: capacity.gpus ?? 0,
        labels: { ...this.options.labels },
      },
    ];
  }

  start(spec: RunSpec): Promise<TaskHandle> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.starting.run(spec.key, () => this.createAndStart(spec));
  }

  async wait(handle: TaskHandle): Promise<ExitInfo> {
    this.assertOpen();
    try {
      for (;;) {
        const info = await this.inspect(handle);
        if (!info) throw this.missing(handle, 'wait for');
        if (hasEnded(info.State)) return await this.endOf(handle, info);
        if (info.State.Status === 'created') {
          // "not-running" would answer at once for a created container: wait until it has started.
          await delay(CREATED_POLL_MS, undefined, { signal: this.closing.signal });
          continue;
        }
        let result: unknown;
        try {
          result = await this.engineWait(handle);
        } catch (error) {
          if (isNotFound(error)) continue;
          throw error;
        }
        const after = await this.settledInspect(handle);
        if (!after) return this.withSentSignal(handle, exitInfoFromWait(result));
        if (hasEnded(after.State)) return await this.endOf(handle, after);
      }
    } catch (error) {
      if (isAbort(error)) throw new ExecutorError(`docker executor closed while waiting for task ${handle.key}`, error);
      throw executorError(`waiting for task ${handle.key}`, error);
    }
  }

  /**
   * `POST /containers/{id}/wait`, its body read as a stream. The engine sends the headers at once
   * and the body when the container stops; dockerode reads that body with no 'error' listener, so
   * an engine that dies in between (killed, crashed) left its promise pending forever, and with it
   * the daemon's stop. Read here, a cut body is an ECONNRESET like any broken connection.
   */
  private async engineWait(handle: TaskHandle): Promise<unknown> {
    const response = await new Promise<Readable>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `/containers/${encodeURIComponent(handle.id ?? handle.key)}/wait?`,
          method: 'POST',
          isStream: true,
          abortSignal: this.closing.signal,
          statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
          options: { condition: 'not-running' },
        },
        (error, body) => (error ? reject(error) : resolve(asReadable(body as NodeJS.ReadableStream))),
      );
    });
    addAbortSignal(this.closing.signal, response);
    const body = await text(response);
    try {
      return JSON.parse(body) as unknown;
    } catch (error) {
      throw new ExecutorError(
        `the Docker engine answered the wait for task ${handle.key} with ${JSON.stringify(body.slice(0, 200))}`,
        error,
      );
    }
  }

  watchNodes(listener: () => void): () => void {
    this.nodeListeners.add(listener);
    if (!this.watching) {
      this.watching = true;
      void this.watchEngine();
    }
    return () => this.nodeListeners.delete(listener);
  }

  /** The engine's `daemon` events, and its going away and coming back (engine-events.ts). */
  private watchEngine(): Promise<void> {
    // Its first opening is no change: the daemon reads the nodes when it starts watching them.
    return watchEngineEvents(this.docker, ['daemon'], this.closing.signal, (change) => {
      if (change !== 'open') this.emitNodes();
    });
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

  /**
   * Inspects a container that has just stopped. The engine handles the OOM event
   * apart from the exit: right after a SIGKILL (137) `OOMKilled` may still be false
   * for a few milliseconds, so a killed container is looked at again briefly.
   */
  private async settledInspect(handle: TaskHandle): Promise<Inspect | null> {
    let info = await this.inspect(handle);
    for (let i = 0; i < OOM_SETTLE_TRIES && info && info.State.ExitCode === 137 && !info.State.OOMKilled; i++) {
      await delay(OOM_SETTLE_MS, undefined, { signal: this.closing.signal });
      info = await this.inspect(handle);
    }
    return info;
  }

  async status(handle: TaskHandle): Promise<TaskStatus> {
    this.assertOpen();
    const info = await this.inspect(handle);
    if (!info) return { state: 'missing' };
    const state = info.State;
    if (hasEnded(state)) return { state: 'exited', ...(await this.endOf(handle, info)) };
    if (state.Paused) return { state: 'paused' };
    if (state.Status === 'created') return { state: 'created' };
    return { state: 'running' };
  }

  async list(): Promise<ListedTask[]> {
    this.assertOpen();
    let containers: Docker.ContainerInfo[];
    try {
      containers = await this.docker.listContainers({
        all: true,
        filters: { label: [`${TASK_LABELS.cluster}=${this.context.clusterId}`] },
      });
    } catch (error) {
      throw executorError(`listing containers on ${this.options.address}`, error);
    }
    const tasks: ListedTask[] = [];
    for (const c of containers) {
      const key = (c.Names[0] ?? '').replace(/^\//, '');
      const jobId = Number(c.Labels[TASK_LABELS.job]);
      if (key === '' || !Number.isInteger(jobId)) {
        this.context.logger.warn(
          { container: c.Id, labels: c.Labels },
          'container of this cluster without a name or job label; ignored',
        );
        continue;
      }
      tasks.push({ key, jobId, handle: { key, id: c.Id, node: this.nodeName } });
    }
    return tasks;
  }

  /**
   * A paused container is frozen and cannot act on SIGTERM, so it is unpaused
   * first and then stopped like any other: a suspended job gets the same grace to
   * clean up as a running one (it runs for a few milliseconds before the TERM lands).
   */
  async kill(handle: TaskHandle, graceSeconds: number): Promise<void> {
    this.assertOpen();
    // A start of this key still in flight would otherwise start the container after we stopped it.
    await this.starting.get(handle.key)?.catch(() => undefined);
    const grace = Number.isFinite(graceSeconds) && graceSeconds >= 0 ? Math.ceil(graceSeconds) : this.options.killGraceSeconds;
    const info = await this.inspect(handle);
    if (!info || hasEnded(info.State)) return;
    const container = this.container(handle);
    try {
      if (info.State.Status === 'created') {
        // Never started, so it has neither output nor exit code to keep: make sure it never runs.
        await container.remove({ force: true });
        return;
      }
      this.stopped.add(handle.key);
      if (info.State.Paused) {
        await container.unpause().catch((error: unknown) => {
          // Someone else resumed it meanwhile; stop works either way.
          this.context.logger.debug({ key: handle.key, error: messageOf(error) }, 'unpause before stop failed');
        });
      }
      this.stopped.add(handle.key);
      await container.stop({ t: grace });
    } catch (error) {
      if (isNotModified(error) || isNotFound(error)) return;
      throw executorError(`killing task ${handle.key}`, error);
    }
  }

  async suspend(handle: TaskHandle): Promise<void> {
    this.assertOpen();
    const info = await this.inspect(handle);
    if (!info) throw this.missing(handle, 'suspend');
    if (info.State.Paused) return;
    if (!info.State.Running)
      throw new InvalidStateError(`task ${handle.key} is ${info.State.Status}: only a running task can be suspended`);
    try {
      await this.container(handle).pause();
    } catch (error) {
      const again = await this.inspect(handle);
      if (again?.State.Paused) return;
      throw executorError(`suspending task ${handle.key}`, error);
    }
  }

  async resume(handle: TaskHandle): Promise<void> {
    this.assertOpen();
    const info = await this.inspect(handle);
    if (!info) throw this.missing(handle, 'resume');
    if (!info.State.Paused) {
      if (info.State.Running) return;
      throw new InvalidStateError(`task ${handle.key} is ${info.State.Status}: only a suspended task can be resumed`);
    }
    try {
      await this.container(handle).unpause();
    } catch (error) {
      const again = await this.inspect(handle);
      if (again && !again.State.Paused) return;
      throw executorError(`resuming task ${handle.key}`, error);
    }
  }

  async logs(handle: TaskHandle, stream: LogStream, options: { follow: boolean }): Promise<Readable> {
    this.assertOpen();
    const container = this.container(handle);
    const which = { stdout: stream === 'stdout', stderr: stream === 'stderr' };
    let source: Readable;
    try {
      source = options.follow
        ? asReadable(await container.logs({ ...which, follow: true, abortSignal: this.closing.signal }))
        : Readable.from([toBuffer(await container.logs({ ...which, follow: false }))]);
    } catch (error) {
      if (isNotFound(error)) throw this.missing(handle, 'read the logs of');
      throw executorError(`reading ${stream} of task ${handle.key}`, error);
    }
    const key = handle.key;
    const out = Readable.from(
      (async function* guarded() {
        try {
          yield* streamBytes(source, stream);
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
      source.destroy();
    });
    return out;
  }

  async exec(handle: TaskHandle, request: ExecRequest): Promise<ExecSession> {
    this.assertOpen();
    const info = await this.inspect(handle);
    if (!info) throw this.missing(handle, 'run a command in');
    if (!info.State.Running || info.State.Paused) {
      throw new InvalidStateError(`task ${handle.key} is ${info.State.Status}: commands run only in a running task`);
    }
    return execInContainer(this.docker, this.container(handle), request, `task ${handle.key}`);
  }

  async usage(handle: TaskHandle): Promise<UsageSample | null> {
    this.assertOpen();
    let stats: unknown;
    try {
      // one-shot: the engine answers at once instead of waiting a second to compute a cpu percentage we do not use.
      stats = await this.container(handle).stats({ stream: false, 'one-shot': true });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw executorError(`reading the usage of task ${handle.key} on ${this.options.address}`, error);
    }
    return usageOfStats(stats);
  }

  async collect(handle: TaskHandle, jobDir: string): Promise<void> {
    this.assertOpen();
    await writingTo(`collecting task ${handle.key}`, jobDir, () => mkdir(jobDir, { recursive: true }));
    const info = await this.inspect(handle);
    if (!info) return;
    if (!hasEnded(info.State) && info.State.Status !== 'created') {
      throw new InvalidStateError(
        `task ${handle.key} is still ${info.State.Status}: kill it and wait for its end before collecting`,
      );
    }
    this.stopped.delete(handle.key);
    const container = this.container(handle);
    try {
      // follow on an ended container streams the whole log and ends: no need to hold it in memory.
      const source = asReadable(
        await container.logs({ follow: true, stdout: true, stderr: true, abortSignal: this.closing.signal }),
      );
      await writingTo(`collecting task ${handle.key}`, jobDir, () => writeLogFiles(logFrames(source), jobDir));
      await container.remove({ force: true });
      this.stopped.delete(handle.key);
    } catch (error) {
      if (isNotFound(error)) return;
      // 409: a removal is already in progress (another collect): the files are written, that is enough.
      if (isConflict(error)) return;
      throw executorError(`collecting task ${handle.key} into ${jobDir}`, error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    for (const out of this.openLogs) out.destroy();
    this.openLogs.clear();
    this.agent.destroy();
  }

  private async createAndStart(spec: RunSpec): Promise<TaskHandle> {
    // A job whose output could not be kept does not start: a read-only or full log disk is a
    // storage fault, and the job waits for it to pass.
    await writingTo(`starting task ${spec.key}`, spec.jobDir, () => mkdir(spec.jobDir, { recursive: true }));
    const found = await this.inspect({ key: spec.key, id: null, node: null });
    if (found) return this.adopt(spec, found);
    let id: string;
    try {
      id = (await this.docker.createContainer(createOptions(spec, this.context.clusterId))).id;
    } catch (error) {
      if (isConflict(error)) {
        // Another daemon (or a retry) created it between our look and our create.
        const raced = await this.inspect({ key: spec.key, id: null, node: null });
        if (raced) return this.adopt(spec, raced);
      }
      if (isNotFound(error)) {
        throw new ExecutorError(
          `image ${spec.image} is not on the Docker engine at ${this.options.address} (node ${this.nodeName}); ` +
            'GoDocker does not pull images: load it there (docker load, docker import or docker build) or choose another image',
          error,
        );
      }
      throw executorError(`creating container ${spec.key} from ${spec.image}`, error);
    }
    this.context.logger.debug({ key: spec.key, id, job: spec.job.id }, 'container created');
    await this.launch(spec, id);
    return { key: spec.key, id, node: this.nodeName };
  }

  /** A container with our key already exists: take it over instead of creating a second one. */
  private async adopt(spec: RunSpec, info: Inspect): Promise<TaskHandle> {
    const owner = info.Config.Labels?.[TASK_LABELS.cluster];
    if (owner !== this.context.clusterId) {
      throw new ExecutorError(
        `a container named ${spec.key} exists on ${this.options.address} but belongs to cluster ${owner ?? '(none)'}, ` +
          `not ${this.context.clusterId}; remove or rename it`,
      );
    }
    // Created but never started (the daemon died between create and start, or the engine failed the start while it
    // restarted, leaving State.Error): the job never ran, so starting it now runs it once.
    if (info.State.Status === 'created') {
      // Made for an earlier placement whose host ports went back to the pool: the job must get those of this one.
      if (!sameBindings(info.HostConfig.PortBindings, portBindings(spec).PortBindings)) {
        try {
          await this.docker.getContainer(info.Id).remove({ force: true });
        } catch (error) {
          if (!isNotFound(error)) throw executorError(`replacing container ${spec.key} made with other host ports`, error);
        }
        return this.createAndStart(spec);
      }
      await this.launch(spec, info.Id);
    }
    return { key: spec.key, id: info.Id, node: this.nodeName };
  }

  private async launch(spec: RunSpec, id: string): Promise<void> {
    const container = this.docker.getContainer(id);
    if (needsScriptFile(spec.script)) {
      try {
        await container.putArchive(await buildScriptArchive(spec.script, spec.uid, spec.gid), { path: '/' });
      } catch (error) {
        throw executorError(`copying the job script into container ${spec.key}`, error);
      }
    }
    try {
      await container.start();
    } catch (error) {
      // 304: already started by a concurrent adopter.
      if (isNotModified(error)) return;
      // Before the outage check below, which may take a leftover for one too: the container must go either way.
      if (isStartLeftover(error)) {
        // The container never ran. Removed, it takes what was left along; the job's next start makes a new one.
        await container.remove({ force: true }).catch((removeError: unknown) => {
          this.context.logger.warn(
            { key: spec.key, error: messageOf(removeError) },
            'could not remove a container that cannot start',
          );
        });
        throw new ExecutorUnavailableError(
          `starting container ${spec.key}: the Docker engine still holds what a start it broke off left (${messageOf(error)}); the container is removed, the next start makes a new one`,
          error,
        );
      }
      // An engine that is stopping or not back yet fails starts that have nothing to do with the job.
      if (isUnreachable(error) || isEngineNotReady(error)) throw executorError(`starting container ${spec.key}`, error);
      const taken = hostPortTaken(error, spec);
      if (taken) throw new ExecutorError(`container ${spec.key} could not start: ${taken}`, error);
      // The container stays, "created" with State.Error: status/wait report the failure and collect removes it.
      throw new ExecutorError(`container ${spec.key} could not start: ${messageOf(error)}`, error);
    }
  }

  private withSentSignal(handle: TaskHandle, info: ExitInfo): ExitInfo {
    if (info.signal !== null || !this.stopped.has(handle.key)) return info;
    return { ...info, signal: signalOfStopStatus(info.exitCode) };
  }

  /** How an ended task ended; a start failure when its prelude says so (start-prelude.ts). */
  private async endOf(handle: TaskHandle, info: Inspect): Promise<ExitInfo> {
    const exit = this.withSentSignal(handle, exitInfoOf(info.State));
    if (info.State.ExitCode !== PRELUDE_FAILED_EXIT || exit.error !== null) return exit;
    const args = preludeArgs(info.Config.Cmd);
    if (!args) return exit;
    let line = '';
    try {
      // One line, and the engine cuts log lines into 16 KiB entries: bounded whatever the job printed.
      const bytes = toBuffer(await this.container(handle).logs({ stdout: false, stderr: true, follow: false, tail: 1 }));
      if (bytes.length > PRELUDE_LINE_MAX_BYTES) return exit;
      for await (const chunk of streamBytes(Readable.from([bytes]), 'stderr')) line += chunk.toString('utf8');
    } catch (error) {
      if (isNotFound(error)) return exit;
      throw executorError(`reading how task ${handle.key} ended`, error);
    }
    const error = preludeFailure(args, line);
    return error === null ? exit : { ...exit, exitCode: -1, signal: null, startedAt: null, error };
  }

  private container(handle: TaskHandle): Docker.Container {
    // The id is exact; the key (the name) is what is left after a crash lost the id.
    return this.docker.getContainer(handle.id ?? handle.key);
  }

  private async inspect(handle: TaskHandle): Promise<Inspect | null> {
    try {
      return await this.container(handle).inspect();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw executorError(`inspecting task ${handle.key} on ${this.options.address}`, error);
    }
  }

  private missing(handle: TaskHandle, doing: string): ExecutorError {
    return new ExecutorError(
      `cannot ${doing} task ${handle.key}: no such container on node ${this.nodeName} (collected or removed)`,
    );
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): ExecutorError {
    return new ExecutorError('the docker executor is closed');
  }
}

/** The agent and client of one engine: unix socket, plain tcp, or tcp with TLS. */
function connect(options: ResolvedDockerOptions): { docker: Docker; agent: http.Agent } {
  const { endpoint } = options;
  // Our own agent, so close() can drop every socket this executor opened and nothing else.
  const agent =
    endpoint.kind === 'tcp' && endpoint.tls
      ? new https.Agent({ keepAlive: true, ca: endpoint.tls.ca, cert: endpoint.tls.cert, key: endpoint.tls.key })
      : new http.Agent({ keepAlive: true });
  // docker-modem util.inspect()s its request options (agent and every open socket included) on each
  // call, debug or not: with many running jobs holding wait sockets that cost ~100 ms of CPU per call.
  Object.defineProperty(agent, inspect.custom, { value: () => 'http.Agent(godocker docker executor)' });
  const dockerOptions: Docker.DockerOptions & { agent: http.Agent } =
    endpoint.kind === 'unix'
      ? { socketPath: endpoint.socketPath, agent }
      : {
          host: endpoint.host,
          port: endpoint.port,
          protocol: endpoint.tls ? 'https' : 'http',
          ...(endpoint.tls ? { ca: endpoint.tls.ca, cert: endpoint.tls.cert, key: endpoint.tls.key } : {}),
          agent,
        };
  return { docker: new Docker(dockerOptions), agent };
}

async function engineAnswers(docker: Docker, address: string): Promise<EngineInfo> {
  // dockerode passes abortSignal through although its types for ping() take no options.
  const ping = docker.ping.bind(docker) as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
  await ping({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
  return engineInfo(await docker.info(), address);
}

/** One engine, one node. It must answer now unless the admin named its node (an engine of a list). */
async function connectEngine(
  options: ResolvedDockerOptions,
  context: PluginContext,
  mayBeAway: boolean,
): Promise<DockerExecutor> {
  const { docker, agent } = connect(options);
  let info: EngineInfo | null = null;
  try {
    info = await engineAnswers(docker, options.address);
  } catch (error) {
    if (!(mayBeAway && options.nodeName !== null)) {
      agent.destroy();
      throw new ExecutorUnavailableError(
        `the Docker engine at ${options.address} does not answer (${messageOf(error)}). ` +
          'Start it (systemctl start docker, or scripts/docker-up.sh), give the daemon user access to the socket ' +
          '(the docker group), or point the docker executor option socketPath or host (or DOCKER_HOST) at the right engine',
        error,
      );
    }
    context.logger.warn(
      { address: options.address, node: options.nodeName, error: messageOf(error) },
      'a Docker engine does not answer: its node is down',
    );
  }
  const nodeName = options.nodeName ?? (info as EngineInfo).Name;
  if (info) context.logger.info({ address: options.address, node: nodeName, cpus: info.NCPU }, 'docker engine ready');
  return new DockerExecutor(docker, agent, options, context, nodeName);
}

export const createDockerExecutor: ExecutorFactory = async (rawOptions, context) => {
  const engines = parseDockerOptions(rawOptions);
  if (rawOptions.engines === undefined) return connectEngine(engines[0] as ResolvedDockerOptions, context, false);
  const members: ExecutorSetMember[] = [];
  try {
    for (const engine of engines) {
      members.push({ name: engine.nodeName as string, executor: await connectEngine(engine, context, true) });
    }
  } catch (error) {
    await Promise.allSettled(members.map((m) => m.executor.close()));
    throw error;
  }
  // Engines are named by the admin, uniquely: their node names stay as they are.
  return new ExecutorSet({ name: 'docker', members, labelNodes: false, qualifyNodes: false, logger: context.logger });
};
