/**
 * The local process executor: runs each job as a plain process group on this
 * machine, for hosts without Docker. A task is a folder (see task-files.ts)
 * and a detached monitor process (see monitor.ts); both outlive the daemon, so
 * a restarted daemon finds its running tasks and the exit codes of those that
 * ended meanwhile. The job never acts through the daemon: it runs as its user from
 * its first instruction, and nothing it can write is read back as a fact.
 *
 * Not enforced here, unlike in containers: cpu and ram limits, mounts, network
 * isolation and images (the job sees this machine as it is). The job does run
 * as its user's uid/gid when the daemon is root.
 */

import { constants } from 'node:fs';
import { chmod, type FileHandle, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  asStorageFault,
  type ExecRequest,
  type ExecSession,
  type Executor,
  ExecutorError,
  type ExecutorFactory,
  type ExecutorFeatures,
  type ExitInfo,
  InFlight,
  InvalidStateError,
  isExecutorUnavailable,
  type ListedTask,
  type LogStream,
  type NodeInfo,
  NotFoundError,
  type PluginContext,
  type RunSpec,
  readingFrom,
  TASK_LABELS,
  type TaskHandle,
  type TaskStatus,
  type UsageSample,
  writingTo,
} from '@godocker/sdk';
import { EndWatcher, POLL_MS } from './end-watcher.js';
import { HomeDirectory } from './job-env.js';
import { checkLauncher, failureCause, type MonitorEnd, TaskLauncher } from './launcher.js';
import { execLocal } from './local-exec.js';
import { parseLocalOptions, type ResolvedLocalOptions } from './local-options.js';
import { FollowStream } from './log-follow.js';
import { checkMonitor } from './monitor.js';
import { groupUsage, ProcessGroups } from './proc-usage.js';
import { findMonitor, type JobProcess, signalJob } from './process-probe.js';
import {
  checkKey,
  isMissing,
  readInteger,
  readRecord,
  readText,
  removeIfPresent,
  STAGING_MARK,
  TASKS_FOLDER,
  type TaskPaths,
  type TaskRecord,
  taskPaths,
  writeAtomic,
} from './task-files.js';
import { environmentOf, launchTask, type RunAs, recordStartFailure } from './task-launch.js';
import { checkTasksFolder, probeTask, type TaskState } from './task-state.js';

/**
 * How long a pid-less task folder may be another start's work in progress;
 * past that, the daemon that claimed it died before spawning.
 */
const CLAIM_SETTLE_MS = 2000;
/** Staging folders older than this were left by a crash. */
const STAGING_MAX_AGE_MS = 60_000;
/** After SIGKILL the end is a matter of milliseconds; this only bounds a stuck file system. */
const AFTER_KILL_MS = 2000;

class LocalExecutor implements Executor {
  readonly name = 'local';
  private readonly homes = new HomeDirectory();
  private readonly starting = new InFlight<string, TaskHandle>();
  private readonly follows = new Set<Readable>();
  /** One walk of /proc serves the usage readings of every task in a sampling round. */
  private readonly groups = new ProcessGroups();
  private readonly ends: EndWatcher;
  private readonly launcher: TaskLauncher;
  /** Tasks this executor started, until collected: their log folder. */
  private readonly launched = new Map<string, string>();
  private readonly isRoot = process.getuid?.() === 0;
  private warnedUid = false;
  private closed = false;

  /**
   * Plain processes on the host: a command runs beside the job as its user (ssh); no GPUs to hand
   * out. Ports cannot be mapped: the job is given its host ports in env (`$GODOCKER_PORT_8080`)
   * and listens on them itself.
   */
  features(): ExecutorFeatures {
    return { suspend: true, logsFollow: true, exec: true, ports: true, gpus: false };
  }

  constructor(
    private readonly options: ResolvedLocalOptions,
    private readonly context: PluginContext,
    private readonly root: string,
  ) {
    this.ends = new EndWatcher(
      (key) => probeTask(this.paths(key)),
      (key) => this.paths(key).dir,
    );
    this.launcher = new TaskLauncher(root, context.logger, {
      ended: (end) => {
        if (end.status !== null) this.ends.monitorEnded(end);
        else void this.monitorDied(end);
      },
      lost: () => this.ends.lost(),
    });
    // Started now, so that the first job does not wait for it.
    this.launcher.ensure();
  }

  async nodes(): Promise<NodeInfo[]> {
    const { nodeName, capacity, labels } = this.options;
    return [{ name: nodeName, cpu: capacity.cpu, ram: capacity.ram, gpus: capacity.gpus, labels: { ...labels } }];
  }

  async start(spec: RunSpec): Promise<TaskHandle> {
    this.ensureOpen();
    checkKey(spec.key);
    // Two starts of one key in this daemon share one outcome instead of racing for the folder.
    return this.starting.run(spec.key, () => this.startOnce(spec));
  }

  async wait(handle: TaskHandle): Promise<ExitInfo> {
    this.ensureOpen();
    checkKey(handle.key);
    return this.ends.wait(handle.key);
  }

  async status(handle: TaskHandle): Promise<TaskStatus> {
    checkKey(handle.key);
    const state = await probeTask(this.paths(handle.key));
    if (state.state === 'exited') return { state: 'exited', ...state.info };
    return { state: state.state };
  }

  async exec(handle: TaskHandle, request: ExecRequest): Promise<ExecSession> {
    this.ensureOpen();
    checkKey(handle.key);
    const state = await probeTask(this.paths(handle.key));
    if (state.state !== 'running') {
      throw new InvalidStateError(`task ${handle.key} is ${state.state}: commands run only in a running task`);
    }
    const runAs = this.isRoot ? { uid: request.uid, gid: request.gid } : null;
    const home = request.env.HOME ?? (await this.homes.of(runAs ? runAs.uid : (process.getuid?.() ?? -1))) ?? '/';
    return execLocal(request, runAs, home);
  }

  async list(): Promise<ListedTask[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const listed = await Promise.all(
      names
        .filter((name) => !name.includes(STAGING_MARK))
        .map(async (name): Promise<ListedTask | null> => {
          const paths = taskPaths(this.root, name);
          const record = await readRecord(paths);
          if (record === null || record.cluster !== this.context.clusterId || record.key !== name) return null;
          const pid = await readInteger(paths.pid);
          return { key: record.key, jobId: record.jobId, handle: this.handleOf(record.key, pid, record.node) };
        }),
    );
    return listed.filter((task): task is ListedTask => task !== null);
  }

  async kill(handle: TaskHandle, graceSeconds: number): Promise<void> {
    checkKey(handle.key);
    const paths = this.paths(handle.key);
    const job = await this.jobProcess(paths);
    if (job === null) return;
    const grace = Number.isFinite(graceSeconds) && graceSeconds >= 0 ? graceSeconds : this.options.killGraceSeconds;

    if (!(await signalJob(job, 'SIGTERM'))) return;
    // A stopped process group holds the TERM until it runs again. Sent even without our
    // marker: someone else may have stopped it.
    await signalJob(job, 'SIGCONT');
    await removeIfPresent(paths.paused);
    if (await this.ends.ended(handle.key, grace * 1000)) return;

    await signalJob(job, 'SIGKILL');
    await this.ends.ended(handle.key, AFTER_KILL_MS);
  }

  async suspend(handle: TaskHandle): Promise<void> {
    checkKey(handle.key);
    const paths = this.paths(handle.key);
    const state = await this.afterCreation(paths);
    if (state.state === 'missing') throw new NotFoundError(`local task ${handle.key} not found`);
    // An ended task has nothing to stop: the caller raced the end, which is not an error.
    if (state.state !== 'running') return;
    const job = await this.jobProcess(paths);
    if (job && (await signalJob(job, 'SIGSTOP'))) await writeAtomic(paths.paused, '');
  }

  async resume(handle: TaskHandle): Promise<void> {
    checkKey(handle.key);
    const paths = this.paths(handle.key);
    const state = await this.afterCreation(paths);
    if (state.state === 'missing') throw new NotFoundError(`local task ${handle.key} not found`);
    if (state.state !== 'running' && state.state !== 'paused') return;
    const job = await this.jobProcess(paths);
    if (job) await signalJob(job, 'SIGCONT');
    await removeIfPresent(paths.paused);
  }

  async usage(handle: TaskHandle): Promise<UsageSample | null> {
    checkKey(handle.key);
    const state = await this.afterCreation(this.paths(handle.key));
    if (state.state !== 'running' || state.job === null) return null;
    return groupUsage(this.groups, state.job, new Date());
  }

  async logs(handle: TaskHandle, stream: LogStream, options: { follow: boolean }): Promise<Readable> {
    this.ensureOpen();
    checkKey(handle.key);
    if (stream !== 'stdout' && stream !== 'stderr') throw new ExecutorError(`unknown log stream ${String(stream)}`);
    const paths = this.paths(handle.key);
    const record = await readRecord(paths);
    if (record === null) throw new NotFoundError(`local task ${handle.key} not found (already collected?)`);
    const path = join(record.logDir, stream);
    if (!options.follow) {
      const log = await openLogForReading(path);
      return log === null ? Readable.from([]) : log.createReadStream();
    }
    const follow = new FollowStream(path, [path, paths.dir], () => this.hasEnded(paths), POLL_MS);
    this.follows.add(follow);
    follow.once('close', () => this.follows.delete(follow));
    return follow;
  }

  /**
   * The logs are in the task's logDir from the start; they are copied only if the
   * caller wants them elsewhere. A task still running is killed first, as
   * `docker rm --force` would: its folder is all that tracks it.
   */
  async collect(handle: TaskHandle, logDir: string): Promise<void> {
    checkKey(handle.key);
    const paths = this.paths(handle.key);
    // A task this executor started, whose end its launcher told: nothing to read or stop first.
    const launchedLogDir = this.ends.toldEnded(handle.key) ? this.launched.get(handle.key) : undefined;
    const record = launchedLogDir === undefined ? await readRecord(paths) : { logDir: launchedLogDir };
    if (record !== null) {
      const state = launchedLogDir === undefined ? await probeTask(paths) : null;
      if (state?.state === 'running' || state?.state === 'paused') {
        if (state.job) await signalJob(state.job, 'SIGKILL');
        await this.ends.ended(handle.key, AFTER_KILL_MS);
      }
      if (resolve(logDir) !== resolve(record.logDir)) {
        await writingTo(`collecting task ${handle.key}`, logDir, () => copyLogs(record.logDir, logDir));
      }
    } else {
      // Nothing to collect is an answer only when the folder of all tasks is there to say so.
      await checkTasksFolder(paths);
    }
    await this.removeFolder(handle.key, paths);
    this.ends.forget(handle.key);
    this.launched.delete(handle.key);
  }

  /** Forgets timers, watchers and streams; the tasks run on, for the next daemon to find. */
  async close(): Promise<void> {
    this.closed = true;
    this.launcher.close();
    this.ends.close();
    for (const follow of this.follows) follow.destroy();
    this.follows.clear();
  }

  /**
   * A monitor that ended without a status. It records its pid before it starts the job:
   * without one, the job never ran, and that is its end. With one, the probe that follows
   * records it vanished.
   */
  private async monitorDied(end: MonitorEnd): Promise<void> {
    const paths = this.paths(end.key);
    try {
      if ((await readInteger(paths.pid)) === null && (await pathExists(paths.dir))) {
        await recordStartFailure(paths, 'the task monitor ended before it started the job');
      }
    } catch (error) {
      this.context.logger.warn({ key: end.key, err: String(error) }, 'local executor: a task monitor ended without a word');
    }
    this.ends.monitorEnded(end);
  }

  /** By the launcher, in one request; by the daemon itself when the launcher cannot. */
  private async removeFolder(key: string, paths: TaskPaths): Promise<void> {
    const doing = `collecting task ${key}`;
    const answer = await this.launcher.remove(key).catch(() => null);
    if (answer?.kind === 'removed') return;
    if (answer?.kind === 'failed') {
      // The tasks folder itself gone (an unmounted data folder) is an outage, not a task removed.
      if (answer.code === 'ENOENT') await checkTasksFolder(paths);
      const fault = await asStorageFault(doing, paths.dir, failureCause(answer));
      if (isExecutorUnavailable(fault)) throw fault;
    }
    await writingTo(doing, paths.dir, () => rm(paths.dir, { recursive: true, force: true }));
  }

  private async startOnce(spec: RunSpec): Promise<TaskHandle> {
    const paths = this.paths(spec.key);
    const runAs = this.runAs(spec);
    const env = await environmentOf(spec, runAs, this.homes);
    // The claim comes first: the folder of a key already started stops it, with nothing made.
    for (let tries = 0; ; tries++) {
      const launched = await launchTask(this.launcher, paths, spec, this.recordOf(spec), env, runAs, this.context.logger);
      if (launched !== 'exists') {
        if (launched.pid !== null) {
          this.ends.adopt(spec.key);
          this.launched.set(spec.key, resolve(spec.jobDir));
        }
        return this.handleOf(spec.key, launched.pid, spec.node);
      }
      // A start after a daemon crash runs nothing twice; a start that never spawned (its folder now gone) starts afresh.
      const existing = await this.existingTask(spec.key, spec.node);
      if (existing) return existing;
      if (tries > 0) {
        throw new ExecutorError(`local task ${spec.key}: its folder appeared and vanished while starting; start it again`);
      }
    }
  }

  /**
   * The task of an existing folder, so a start after a daemon crash runs nothing
   * twice; null when there is none, or when the folder is the leftover of a start
   * that never spawned (it is then removed, and the job may start afresh).
   */
  private async existingTask(key: string, node: string): Promise<TaskHandle | null> {
    const paths = this.paths(key);
    // The usual case, in one look: no folder, no task.
    if (!(await pathExists(paths.dir))) return null;
    for (;;) {
      const pid = await readInteger(paths.pid);
      if (pid !== null) return this.handleOf(key, pid, node);
      if ((await readText(paths.status)) !== null) return this.handleOf(key, null, node);
      let age: number;
      try {
        age = Date.now() - (await stat(paths.dir)).mtimeMs;
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
      if (age > CLAIM_SETTLE_MS) break;
      await sleep(20);
    }
    const monitor = await findMonitor(paths.dir);
    if (monitor !== null) {
      await writeAtomic(paths.pid, `${monitor}\n`);
      return this.handleOf(key, monitor, node);
    }
    await rm(paths.dir, { recursive: true, force: true });
    return null;
  }

  /** A task caught between its claim and its pid gets a moment to get one. */
  private async afterCreation(paths: TaskPaths): Promise<TaskState> {
    const deadline = Date.now() + CLAIM_SETTLE_MS;
    let state = await probeTask(paths);
    while (state.state === 'created' && Date.now() < deadline) {
      await sleep(10);
      state = await probeTask(paths);
    }
    return state;
  }

  private async hasEnded(paths: TaskPaths): Promise<boolean> {
    const state = await probeTask(paths);
    return state.state === 'exited' || state.state === 'missing';
  }

  /**
   * The job's process of a running task. The monitor records it right after its fork, so a
   * task that has just started gets a moment; null when it has ended (nothing to signal).
   */
  private async jobProcess(paths: TaskPaths): Promise<JobProcess | null> {
    const deadline = Date.now() + CLAIM_SETTLE_MS;
    for (;;) {
      const state = await this.afterCreation(paths);
      if (state.state !== 'running' && state.state !== 'paused') return null;
      if (state.job !== null || Date.now() > deadline) return state.job;
      await sleep(10);
    }
  }

  private runAs(spec: RunSpec): RunAs {
    if (this.isRoot) return { uid: spec.uid, gid: spec.gid };
    if (spec.uid !== process.getuid?.() && !this.warnedUid) {
      this.warnedUid = true;
      this.context.logger.warn(
        { uid: spec.uid, daemonUid: process.getuid?.() },
        'local executor: the daemon is not root, so jobs run as the daemon user, not as their own uid',
      );
    }
    return null;
  }

  private recordOf(spec: RunSpec): TaskRecord {
    return {
      jobId: spec.job.id,
      key: spec.key,
      node: spec.node,
      cluster: this.context.clusterId,
      // Ours last: a job label must not be able to hide a task from its cluster.
      labels: {
        ...spec.labels,
        [TASK_LABELS.cluster]: this.context.clusterId,
        [TASK_LABELS.job]: String(spec.job.id),
        [TASK_LABELS.user]: spec.job.user.name,
      },
      logDir: resolve(spec.jobDir),
      uid: spec.uid,
      gid: spec.gid,
    };
  }

  private handleOf(key: string, pid: number | null, node: string): TaskHandle {
    return { key, id: pid === null ? null : String(pid), node };
  }

  private paths(key: string): TaskPaths {
    return taskPaths(this.root, key);
  }

  private ensureOpen(): void {
    if (this.closed) throw new ExecutorError('local executor is closed');
  }
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** A log file, never through a link; null when there is none (yet). */
async function openLogForReading(path: string): Promise<FileHandle | null> {
  try {
    return await readingFrom('local executor', path, () => open(path, constants.O_RDONLY | constants.O_NOFOLLOW));
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** Copies as root, so no link is followed, neither where the logs are read nor where they are written. */
async function copyLogs(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = await openLogForReading(join(from, stream));
    if (source === null) continue;
    try {
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
      const target = await open(join(to, stream), flags, 0o640);
      await pipeline(source.createReadStream(), target.createWriteStream());
    } finally {
      await source.close().catch(() => undefined);
    }
  }
}

async function removeStaleStaging(root: string): Promise<void> {
  for (const name of await readdir(root)) {
    if (!name.includes(STAGING_MARK)) continue;
    const path = join(root, name);
    try {
      if (Date.now() - (await stat(path)).mtimeMs > STAGING_MAX_AGE_MS) await rm(path, { recursive: true, force: true });
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
}

export const createLocalExecutor: ExecutorFactory = async (options, context) => {
  const resolved = parseLocalOptions(options);
  checkMonitor();
  checkLauncher();
  const root = join(context.dataDir, TASKS_FOLDER);
  // The daemon's alone: jobs get their script, environment and logs handed over by the monitor.
  await mkdir(root, { recursive: true, mode: 0o700 });
  await chmod(root, 0o700);
  await removeStaleStaging(root);
  return new LocalExecutor(resolved, context, root);
};
