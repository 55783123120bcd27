/**
 * The Executor plugin interface: what the daemon asks of a backend that runs jobs
 * (Docker, Swarm, Kubernetes, local processes). A third party implements it
 * against `@godocker/sdk` alone and names its module in the config.
 *
 * Every call is keyed by `TaskHandle.key`, which is unique across all daemons
 * sharing one backend, so `start` can be made idempotent: after a daemon crash,
 * starting a job whose task already exists returns the existing task instead of
 * running the job twice.
 */
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { HostPort, Job } from './job.js';
import type { UsageSample } from './job-usage.js';

/** Host ports a node hands to jobs: `start` to `start + range - 1`. */
export interface PortPool {
  start: number;
  range: number;
}

/** A machine (or slot pool) jobs are placed on. */
export interface NodeInfo {
  name: string;
  cpu: number;
  /** MiB */
  ram: number;
  gpus: number;
  labels: Record<string, string>;
  /**
   * What the node has in all, when `cpu`, `ram` and `gpus` are less because other workloads
   * hold part of it now (a Kubernetes node shared with other pods): what a job there may ever
   * get. A submit is refused only when no node could ever hold it, not when they are busy.
   */
  total?: { cpu: number; ram: number; gpus: number };
  /**
   * `down`: the node's backend does not answer (its engine stopped, its machine is gone); nothing
   * is placed there, and its jobs go through the failure policy if it stays down. `drained`: the
   * backend takes no new task there (a cordoned Kubernetes node) but what runs there goes on.
   * Absent: ready.
   */
  state?: 'ready' | 'down' | 'drained';
  /** Why the node is down or drained, as the backend said it. */
  reason?: string;
  /** The host ports jobs may be given there (the daemon's `ports` config); absent: none. */
  ports?: PortPool;
}

/** Label every node of a daemon with several executors carries: the executor it belongs to. */
export const EXECUTOR_LABEL = 'godocker.io/executor';

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

/**
 * Files the job's standard streams are bound to (DRMAA's input, output and error paths),
 * as the job sees them (inside the container for container executors). The executor opens
 * them as the job's uid/gid after it has dropped to that user and before the command starts;
 * one that cannot be opened is a start failure (`ExitInfo.error` names the path and the errno,
 * the command never runs). Absent: stdin is /dev/null, stdout and stderr go to the task's logs.
 */
export interface TaskFiles {
  stdin?: string;
  /** Created or truncated; when it names a directory, `inDirectory.stdout` is created in it (Grid Engine's NAME.oJOBID). */
  stdout?: string;
  stderr?: string;
  /** stderr goes where stdout goes. */
  joinStderr?: boolean;
  inDirectory?: { stdout: string; stderr: string };
}

/** Where container executors mount the job's directory (RunSpec.jobDir), and GODOCKER_JOB_DIR in the container. */
export const JOB_DIR_MOUNT = '/mnt/godocker';

/** A container's mounts: the catalogue's, then the job's directory read-write at JOB_DIR_MOUNT. */
export function containerMounts(spec: Pick<RunSpec, 'mounts' | 'jobDir'>): Mount[] {
  return [...spec.mounts, { hostPath: spec.jobDir, containerPath: JOB_DIR_MOUNT, readOnly: false }];
}

/** A container's env: the job's, with GODOCKER_JOB_DIR where the container sees its directory. */
export function containerEnv(spec: Pick<RunSpec, 'env'>): Record<string, string> {
  return { ...spec.env, GODOCKER_JOB_DIR: JOB_DIR_MOUNT };
}

/** Everything needed to run one job, resolved and checked by the daemon. */
export interface RunSpec {
  job: Job;
  key: string;
  node: string;
  image: string;
  script: string;
  args: string[];
  /** The job's env plus GODOCKER_* variables. */
  env: Record<string, string>;
  workdir: string | null;
  /** uid:gid the job runs as; 0:0 only when `root` was allowed. */
  uid: number;
  gid: number;
  cpu: number;
  /** MiB */
  ram: number;
  gpus: number;
  mounts: Mount[];
  /** Backend network mode ("none", "bridge", a network name). */
  network: string;
  labels: Record<string, string>;
  /**
   * The job's directory on the node (the daemon's `jobsDir/ID`), made by the daemon before the
   * start, owned by the job's uid/gid, mode 0700. Container executors mount it read-write at
   * JOB_DIR_MOUNT; every executor sets GODOCKER_JOB_DIR to where the job sees it (JOB_DIR_MOUNT
   * in a container, this path for local processes). stdout and stderr end up in it, as the files
   * `stdout` and `stderr` (at start or at collect).
   */
  jobDir: string;
  /** Absent: stdin /dev/null, stdout/stderr to the task's logs. */
  files?: TaskFiles;
  /**
   * The job's container ports with the host ports the daemon chose from the node's pool: a
   * container executor publishes each `containerPort/protocol` on `hostIp:hostPort` of the node.
   * Their numbers are in `env` too (`GODOCKER_PORT_8080`). Absent or empty: none.
   */
  ports?: HostPort[];
}

export interface TaskHandle {
  key: string;
  /** Backend id (container id, pid); null when not known yet. */
  id: string | null;
  node: string | null;
}

export interface ExitInfo {
  /** The exit code when the process exited (0-255, exactly as it called exit); 128+N when a signal N ended it; -1 unknown. */
  exitCode: number;
  /**
   * Signal name (SIGKILL) only when a signal ended the process (waitpid said so, or the backend
   * knows it sent it: a kill by GoDocker, an OOM kill); never guessed from an exit code above 128.
   */
  signal: string | null;
  oomKilled: boolean;
  startedAt: string | null;
  endedAt: string | null;
  /**
   * Set when the task could not start at all (bad image, exec error, missing working directory,
   * a file of `RunSpec.files` that cannot be opened): the command never ran, `exitCode` means nothing.
   * Says what and why, with the path and the errno: `cannot open output file /x/out: Permission denied (EACCES)`.
   */
  error: string | null;
  cpuSeconds: number | null;
  maxMemoryMb: number | null;
}

export type TaskStatus = { state: 'created' | 'running' | 'paused' } | ({ state: 'exited' } & ExitInfo) | { state: 'missing' };

export interface ListedTask {
  key: string;
  jobId: number;
  handle: TaskHandle;
}

export type LogStream = 'stdout' | 'stderr';

/**
 * What an executor can do beyond running, waiting and collecting. An action it cannot do
 * is refused by the API (409, GOD_NOT_SUPPORTED, naming the executor and the action)
 * before anything is done, never half-done.
 */
export interface ExecutorFeatures {
  /** Pause and continue a running task (`suspend`, `resume`). */
  suspend: boolean;
  /** Stream a running task's output as it comes (`logs --follow`). */
  logsFollow: boolean;
  /** Run a command inside a running task (the SSH gateway's shell). */
  exec: boolean;
  /** Publish a task's ports on its node. */
  ports: boolean;
  /** Give a task GPUs. */
  gpus: boolean;
}

/**
 * A command to run inside a running task (the SSH gateway's shell or command), as the job
 * runs: its uid/gid, its environment, its working directory.
 */
export interface ExecRequest {
  /** argv; the first word is looked up on the task's PATH. */
  command: string[];
  uid: number;
  gid: number;
  env: Record<string, string>;
  /** Where the command starts; null: where the job started (its workdir, else HOME for local tasks, / in a container). */
  workdir: string | null;
  /** A terminal of this size (`TERM` goes in `env`), or plain pipes when null. */
  tty: { rows: number; cols: number } | null;
}

/** A command running inside a task; its streams are plain pipes whatever the backend. */
export interface ExecSession {
  /** Ending it is end-of-file for the command (a terminal gets ^D). */
  stdin: Writable;
  stdout: Readable;
  /** Empty with a terminal: the terminal merges both. */
  stderr: Readable;
  /** The terminal's new size; nothing without one. */
  resize(rows: number, cols: number): Promise<void>;
  /** Resolves with the command's exit code: 0-255 as it exited, 128+N when a signal N ended it. */
  readonly exit: Promise<number>;
  /** Ends the command (and what it started in its terminal), for a session cut by the daemon. */
  close(): Promise<void>;
}

export interface Executor {
  readonly name: string;
  /** What it can do; with several executors, what the one behind `node` can do (absent: any of them). */
  features(node?: string | null): ExecutorFeatures;
  /** Capacities of the nodes jobs may be placed on. */
  nodes(): Promise<NodeInfo[]>;
  /**
   * Calls `listener` whenever `nodes()` would answer differently (a node joined, left, went down
   * or came back, its labels or capacity changed); returns a function that stops the calls. The
   * daemon reads the nodes again then, instead of on a timer. An executor without it is read at
   * every reconcile tick.
   */
  watchNodes?(listener: () => void): () => void;
  /** Creates and starts the task; returns the existing one if `key` already exists. */
  start(spec: RunSpec): Promise<TaskHandle>;
  /** Resolves when the task has ended (at once if it already has). */
  wait(handle: TaskHandle): Promise<ExitInfo>;
  status(handle: TaskHandle): Promise<TaskStatus>;
  /** Every task of this cluster the backend knows about, for reconciliation. */
  list(): Promise<ListedTask[]>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. */
  kill(handle: TaskHandle, graceSeconds: number): Promise<void>;
  suspend(handle: TaskHandle): Promise<void>;
  resume(handle: TaskHandle): Promise<void>;
  /** Live output of a task that has not been collected yet. */
  logs(handle: TaskHandle, stream: LogStream, options: { follow: boolean }): Promise<Readable>;
  /**
   * Runs a command inside the running task (`features().exec`): the SSH gateway's shell. An
   * executor without it leaves it out and says `exec: false`; the gateway refuses before calling.
   */
  exec?(handle: TaskHandle, request: ExecRequest): Promise<ExecSession>;
  /**
   * What the running task has used so far (cpu, memory and its peak, io, network), read from
   * the backend's own counters; null when the task is not running or cannot be read. The daemon
   * asks every `usage.sampleSeconds`, never waits on it for long, and skips a reading that fails.
   * An executor without it keeps no usage series for its jobs.
   */
  usage?(handle: TaskHandle): Promise<UsageSample | null>;
  /**
   * After the end: saves stdout/stderr to `stdout` and `stderr` in `jobDir` (the job's directory,
   * which the job could write: never follow a link there) and removes the task. Idempotent.
   */
  collect(handle: TaskHandle, jobDir: string): Promise<void>;
  close(): Promise<void>;
}

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** What the daemon hands a plugin factory. */
export interface PluginContext {
  /** Unique id of this GoDocker installation; part of every task key and label. */
  clusterId: string;
  dataDir: string;
  logger: Logger;
}

export type ExecutorFactory = (options: Record<string, unknown>, context: PluginContext) => Promise<Executor>;

/** Labels put on every task so it can be tied back to its job. */
export const TASK_LABELS = {
  cluster: 'godocker.cluster',
  job: 'godocker.job',
  user: 'godocker.user',
} as const;

export function taskKey(clusterId: string, jobId: number): string {
  return `godocker-${clusterId}-${jobId}`;
}

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as [number, string]),
);

/**
 * The signal behind a 128+N status (SIGTERM for 143). Only for a task the caller knows it
 * stopped: from a status alone, 128+N is an exit code like any other (`exit 130`).
 */
export function signalOfStopStatus(status: number): string | null {
  return status > 128 ? (SIGNAL_NAMES.get(status - 128) ?? null) : null;
}
