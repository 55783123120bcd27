/**
 * The launcher, `godocker-launch` (native/godocker-launch.c): one small process per
 * executor that creates task folders and starts their monitors, so that the daemon never
 * forks for a job (a fork of the daemon's 150 MB costs its event loop milliseconds).
 *
 * Its stdin and stdout are pipes only this process holds. A launcher that dies, or that
 * stops taking requests (its pipe full, or no answer for a long while), is an executor
 * fault: it is killed, a new one is started, and once it has exited the requests it held
 * fail with ExecutorUnavailableError (the runtime requeues their jobs). Its starts die with
 * it unless past their claim, so a start it had carried out is found by its folder on the
 * next try and none can claim the key after that try: no job runs twice.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ExecutorError, ExecutorUnavailableError, type Logger } from '@godocker/sdk';
import { DEFAULT_PATH } from './job-env.js';
import { encodeFrame, FRAME_MAX, FrameReader } from './launcher-frames.js';
import { MONITOR_PATH } from './monitor.js';

/** Same depth from src/local and dist/local. */
export const LAUNCHER_PATH = fileURLToPath(new URL('../../build/godocker-launch', import.meta.url));

/** Bytes of requests the launcher has not taken yet (beyond its pipe) past which it counts as stuck. */
export const BACKLOG_MAX_BYTES = 32 * 1024 * 1024;
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 30_000;
/** A launcher that answers nothing for this long while requests wait is stuck: a start takes milliseconds. */
const STALL_MS = 30_000;
/**
 * A killed launcher's requests fail at its exit, when its starts have died with it; this
 * bounds the wait for a launcher stuck in the kernel, which SIGKILL does not end at once.
 */
const EXIT_WAIT_MS = 5_000;

export interface LaunchRequest {
  key: string;
  /** null: the daemon is not root, nothing is chowned. */
  runAs: { uid: number; gid: number } | null;
  /** Absolute. */
  logDir: string;
  script: string;
  /** NAME=VALUE entries, each ended by a NUL. */
  envText: string;
  specText: string;
  /** The monitor's arguments after its task folder. */
  args: readonly string[];
}

export type LaunchAnswer =
  | { kind: 'started'; pid: number }
  /** The key's folder exists: nothing was done. */
  | { kind: 'exists' }
  | { kind: 'removed' }
  | LaunchFailure;

/** claim: nothing was made; logs, spawn: the folder is in place and no monitor runs; remove: the folder stays. */
export interface LaunchFailure {
  kind: 'failed';
  stage: FailedStage;
  code: string;
  description: string;
  path: string;
}

type FailedStage = 'claim' | 'logs' | 'spawn' | 'remove';
const STAGES: ReadonlySet<string> = new Set<FailedStage>(['claim', 'logs', 'spawn', 'remove']);

/** A monitor started here has ended: its task folder's files as it left them (null when absent). */
export interface MonitorEnd {
  key: string;
  status: string | null;
  error: string | null;
  /** ISO times of the `job` and `status` files, as fs.stat gives them. */
  jobMtime: string | null;
  statusMtime: string | null;
}

export interface LauncherEvents {
  ended(end: MonitorEnd): void;
  /** The launcher is gone: ends of monitors it started will not be reported. */
  lost(): void;
}

interface Waiting {
  resolve: (answer: LaunchAnswer) => void;
  reject: (error: Error) => void;
  sentAt: number;
  /** The launcher that holds it. */
  child: LauncherProcess;
}

/** Its pipes are sockets: they can be ref'd and unref'd. */
type LauncherProcess = ChildProcessByStdio<Socket, Socket, null>;

const SYSCALLS: Record<FailedStage, string> = { claim: 'mkdir', logs: 'open', spawn: 'spawn', remove: 'rm' };

/** The launcher's errno as Node reports one, so storage faults read the same as the daemon's own. */
export function failureCause(failure: LaunchFailure): NodeJS.ErrnoException {
  const { code, description, stage, path } = failure;
  const error: NodeJS.ErrnoException = new Error(`${code}: ${description}, ${SYSCALLS[stage]} '${path}'`);
  error.code = code;
  error.syscall = SYSCALLS[stage];
  error.path = path;
  return error;
}

export function checkLauncher(): void {
  if (!existsSync(LAUNCHER_PATH)) {
    throw new ExecutorError(
      `the local executor's task launcher ${LAUNCHER_PATH} is missing: build it with \`npm run build\` (needs a C compiler: apt-get install build-essential)`,
    );
  }
}

/** "SECONDS.NANOSECONDS" as fs.stat's mtime gives it (milliseconds, as a float, to a Date). */
function isoOfMtime(text: string): string | null {
  const m = /^(\d+)\.(\d{9})$/.exec(text);
  return m?.[1] && m[2] ? new Date(Number(m[1]) * 1000 + Number(m[2]) / 1e6).toISOString() : null;
}

export class TaskLauncher {
  private child: LauncherProcess | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private stallTimer: NodeJS.Timeout | null = null;
  /** Launchers killed for a fault, until they exit: why. */
  private readonly faults = new Map<LauncherProcess, ExecutorUnavailableError>();
  private closed = false;
  /** Before a lost launcher is replaced: short, doubled while replacements die without answering. */
  private restartMs = RESTART_MIN_MS;

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
    private readonly events: LauncherEvents,
  ) {}

  /** The launcher's pid, starting it when none runs. */
  ensure(): number | undefined {
    return this.running().pid;
  }

  start(request: LaunchRequest): Promise<LaunchAnswer> {
    return this.request(request.key, [
      'start',
      request.key,
      request.runAs ? String(request.runAs.uid) : '',
      request.runAs ? String(request.runAs.gid) : '',
      request.logDir,
      request.script,
      request.envText,
      request.specText,
      ...request.args,
    ]);
  }

  /** Removes a task's folder, whose task has ended. */
  remove(key: string): Promise<LaunchAnswer> {
    return this.request(key, ['remove', key]);
  }

  private request(key: string, [op, ...fields]: string[]): Promise<LaunchAnswer> {
    if (this.closed) return Promise.reject(new ExecutorError('local executor is closed'));
    const id = this.nextId++;
    const frame = encodeFrame([op as string, String(id), ...fields]);
    if (frame.length - 4 > FRAME_MAX) {
      return Promise.reject(new ExecutorError(`local task ${key}: its script and environment are too large to start`));
    }
    const child = this.running();
    if (child.stdin.writableLength > BACKLOG_MAX_BYTES) {
      return Promise.reject(this.fault(`does not take requests: its pipe is full (${child.stdin.writableLength} bytes wait)`));
    }
    return new Promise<LaunchAnswer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, sentAt: Date.now(), child });
      this.busy(child);
      this.corkUntilTurnEnds(child);
      child.stdin.write(frame);
    });
  }

  /**
   * The requests of one turn of the event loop (a pass's starts, the collects of the ends
   * the launcher reported together) go in one write: each write wakes the launcher, and on
   * a virtual machine a wake-up of another CPU costs more than the write.
   */
  private corkUntilTurnEnds(child: LauncherProcess): void {
    if (child.stdin.writableCorked > 0) return;
    child.stdin.cork();
    setImmediate(() => child.stdin.uncork());
  }

  /** Ends the launcher (its monitors run on). Requests still waiting fail. */
  close(): void {
    this.closed = true;
    const child = this.child;
    this.child = null;
    this.failAll(new ExecutorError('local executor is closed'));
    child?.stdin.end();
  }

  private running(): LauncherProcess {
    if (this.child !== null) return this.child;
    const child = spawn(LAUNCHER_PATH, [this.root, MONITOR_PATH], {
      cwd: '/',
      // Its own, as the monitor's: nothing of the daemon's environment reaches a job's processes.
      env: { PATH: DEFAULT_PATH },
      stdio: ['pipe', 'pipe', 'inherit'],
    }) as LauncherProcess;
    this.child = child;
    const reader = new FrameReader();
    child.stdout.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) this.received(child, frame);
    });
    child.on('error', (error) => this.died(child, `could not be run: ${error.message}`));
    child.on('exit', (code, signal) => this.died(child, signal ? `was killed by ${signal}` : `exited with code ${code}`));
    // A write to a launcher that died: its exit says the rest.
    child.stdin.on('error', () => undefined);
    this.idle(child);
    return child;
  }

  private received(child: LauncherProcess, frame: string[] | null): void {
    const [kind, ...rest] = frame ?? [];
    if (kind === 'ended') {
      const [, key, status, error, jobMtime, statusMtime] = rest;
      if (key === undefined) return;
      this.events.ended({
        key,
        status: status || null,
        error: error || null,
        jobMtime: jobMtime ? isoOfMtime(jobMtime) : null,
        statusMtime: statusMtime ? isoOfMtime(statusMtime) : null,
      });
      return;
    }
    const id = Number(rest[0]);
    const waiting = this.waiting.get(id);
    if (waiting?.child !== child) {
      // A launcher that answers what nobody asked is not one to trust with the next job.
      if (child === this.child) this.fault(`answered ${JSON.stringify(frame)}, which matches no request`);
      return;
    }
    this.waiting.delete(id);
    this.restartMs = RESTART_MIN_MS;
    if (this.waiting.size === 0 && this.child) this.idle(this.child);
    const answer = this.answerOf(kind, rest.slice(1));
    if (answer instanceof Error) waiting.reject(answer);
    else waiting.resolve(answer);
  }

  private answerOf(kind: string | undefined, fields: string[]): LaunchAnswer | Error {
    if (kind === 'started') return { kind, pid: Number(fields[0]) };
    if (kind === 'exists' || kind === 'removed') return { kind };
    if (kind === 'failed') {
      const [stage, code, path, description] = fields;
      if (stage !== undefined && STAGES.has(stage) && code && path !== undefined) {
        return { kind, stage: stage as FailedStage, code, description: description ?? code, path };
      }
    }
    // The daemon sent what the launcher could not take: a bug on this side, not a fault of the host.
    return new ExecutorError(`local executor: the task launcher refused a request: ${fields.at(-1) ?? kind}`);
  }

  /** Waits for answers: the launcher's pipe keeps the daemon alive, and a launcher silent too long is stuck. */
  private busy(child: LauncherProcess): void {
    child.stdout.ref();
    this.stallTimer ??= setInterval(() => {
      const oldest = [...this.waiting.values()].find((w) => w.child === this.child);
      if (oldest && Date.now() - oldest.sentAt > STALL_MS) this.fault(`has answered nothing for ${STALL_MS / 1000} s`);
    }, STALL_MS / 4);
    this.stallTimer.unref();
  }

  /** Nothing asked: the launcher alone keeps no process alive. */
  private idle(child: LauncherProcess): void {
    child.unref();
    child.stdout.unref();
    child.stdin.unref();
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.stallTimer = null;
  }

  /** A launcher that cannot be trusted to take requests: killed, and replaced; its requests fail when it has exited. */
  private fault(why: string): ExecutorUnavailableError {
    const child = this.child;
    const error = this.unavailable(why);
    if (child) {
      this.child = null;
      this.faults.set(child, error);
      child.kill('SIGKILL');
      this.logger.warn({ launcher: child.pid }, `local executor: the task launcher ${why}; it is killed and started again`);
      setTimeout(() => this.failAllOf(child, error), EXIT_WAIT_MS).unref();
      this.lost(child);
    }
    return error;
  }

  private died(child: LauncherProcess, how: string): void {
    this.failAllOf(child, this.faults.get(child) ?? this.unavailable(how));
    this.faults.delete(child);
    if (this.child !== child) return;
    this.child = null;
    if (!this.closed) this.logger.warn({ launcher: child.pid }, `local executor: the task launcher ${how}; it is started again`);
    this.lost(child);
  }

  private lost(child: LauncherProcess): void {
    this.idle(child);
    this.events.lost();
    // Replaced soon (a start asking meanwhile replaces it at once): the ends of new monitors are told again.
    const restart = setTimeout(() => {
      if (!this.closed && this.child === null) this.running();
    }, this.restartMs);
    restart.unref();
    this.restartMs = Math.min(this.restartMs * 2, RESTART_MAX_MS);
  }

  private unavailable(why: string): ExecutorUnavailableError {
    return new ExecutorUnavailableError(
      `local executor: the task launcher ${why}: whether the job started is checked on its next start`,
    );
  }

  private failAll(error: Error): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(error);
  }

  private failAllOf(child: LauncherProcess, error: Error): void {
    for (const [id, w] of this.waiting) {
      if (w.child !== child) continue;
      this.waiting.delete(id);
      w.reject(error);
    }
    if (this.waiting.size === 0 && this.child) this.idle(this.child);
  }
}
