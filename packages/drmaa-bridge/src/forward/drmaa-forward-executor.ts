/**
 * The drmaa-forward executor: GoDocker jobs run on another DRMAA 1.0 system
 * (Grid Engine, Slurm, another GoDocker) through its libdrmaa.so, loaded with
 * `loadDrmaa`. The job's script becomes `/bin/sh -c SCRIPT` (or a script file in
 * the spool folder when it has a #! line); stdout and stderr go to the spool
 * folder, which must be on a file system this daemon and the target's jobs share.
 *
 * The DRMAA job id is the task id. One reaper waits on DRMAA_JOB_IDS_SESSION_ANY
 * (the library's own blocking wait, on a worker thread: no polling here) and
 * records each end before handing it on, since a DRMAA wait reaps: the answer
 * exists only once. After a daemon restart the executor reattaches to the same
 * DRMAA session (its contact string is kept) and finds its tasks from the records.
 * Jobs of a session that cannot be reattached are followed with drmaa_job_ps;
 * their exit code is then known only as done (0) or failed (1).
 *
 * DRMAA 1.0 allows one session per process: one drmaa-forward executor per daemon.
 */

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { FollowStream } from '@godocker/plugins';
import {
  type Drmaa1State,
  type Executor,
  ExecutorError,
  type ExecutorFactory,
  type ExecutorFeatures,
  type ExitInfo,
  InconsistentStateError,
  InFlight,
  InvalidJobError,
  type ListedTask,
  type LogStream,
  NoActiveSessionError,
  type NodeInfo,
  NotFoundError,
  type PluginContext,
  type RunSpec,
  type TaskHandle,
  type TaskStatus,
  WaitTimeoutError,
} from '@godocker/sdk';
import { type DrmaaLibrary, JOB_IDS_SESSION_ANY, loadDrmaa } from '../drmaa-library.js';
import { exitInfoFromState, exitInfoOf } from './exit-of.js';
import { parseForwardOptions, type ResolvedForwardOptions } from './forward-options.js';
import { fillTemplate, hasShebang, spoolFiles } from './forward-template.js';
import { type TaskRecord, TaskRecords } from './task-records.js';

export type { DrmaaForwardOptions } from './forward-options.js';

/** How often a followed spool file is read again. */
const FOLLOW_POLL_MS = 250;
/** After a terminate, how long kill() lets the reaper bring the end in. */
const KILL_SETTLE_MS = 5_000;
/** Pause after an unexpected wait failure, so a broken library is not hammered. */
const RETRY_MS = 1_000;

interface Waiter {
  resolve(info: ExitInfo): void;
  reject(error: Error): void;
}

class DrmaaForwardExecutor implements Executor {
  readonly name = 'drmaa-forward';
  /** DRMAA job id → task key, for every task submitted and not yet reaped. */
  private readonly active = new Map<string, string>();
  /** Tasks of a DRMAA session that is gone: followed with job_ps, not wait. */
  private readonly orphans = new Set<string>();
  private readonly ended = new Map<string, ExitInfo>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly starting = new InFlight<string, TaskHandle>();
  private readonly follows = new Set<Readable>();
  private wake: (() => void) | null = null;
  private reaper: Promise<void> | null = null;
  private orphanTimer: NodeJS.Timeout | null = null;
  private closed = false;

  /** DRMAA suspends and resumes (drmaa_control); the spool files are followed; DRMAA has no exec, ports or GPUs. */
  features(): ExecutorFeatures {
    return { suspend: true, logsFollow: true, exec: false, ports: false, gpus: false };
  }

  constructor(
    private readonly lib: DrmaaLibrary,
    private readonly records: TaskRecords,
    private readonly options: ResolvedForwardOptions,
    private readonly context: PluginContext,
  ) {}

  /** Loads what the records know and starts the reaper; `reattached`: the session of earlier tasks is ours again. */
  async open(reattached: boolean): Promise<void> {
    for (const record of await this.records.all()) {
      if (record.cluster !== this.context.clusterId) continue;
      const end = await this.records.readEnd(record.key);
      if (end !== null) {
        this.ended.set(record.key, end);
        continue;
      }
      this.active.set(record.drmaaJobId, record.key);
      if (!reattached) this.orphans.add(record.key);
    }
    this.reaper = this.reap();
    this.orphanTimer = setInterval(() => void this.checkOrphans(), this.options.waitSeconds * 1000);
    this.orphanTimer.unref();
  }

  async nodes(): Promise<NodeInfo[]> {
    const { nodeName, capacity, labels } = this.options;
    return [{ name: nodeName, ...capacity, labels: { ...labels } }];
  }

  async start(spec: RunSpec): Promise<TaskHandle> {
    this.ensureOpen();
    this.records.checkKey(spec.key);
    return this.starting.run(spec.key, () => this.submit(spec));
  }

  async wait(handle: TaskHandle): Promise<ExitInfo> {
    this.ensureOpen();
    const known = this.ended.get(handle.key) ?? (await this.records.readEnd(handle.key));
    if (known !== null) return known;
    if ((await this.records.read(handle.key)) === null) throw new NotFoundError(`drmaa-forward task ${handle.key} not found`);
    return new Promise<ExitInfo>((resolve, reject) => {
      const list = this.waiters.get(handle.key) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(handle.key, list);
    });
  }

  async status(handle: TaskHandle): Promise<TaskStatus> {
    const end = this.ended.get(handle.key) ?? (await this.records.readEnd(handle.key));
    if (end !== null) return { state: 'exited', ...end };
    const record = await this.records.read(handle.key);
    if (record === null) return { state: 'missing' };
    const state = await this.stateOf(record);
    if (state === 'SUSPENDED') return { state: 'paused' };
    if ((state === 'DONE' || state === 'FAILED' || state === 'UNKNOWN') && this.orphans.has(record.key)) {
      return { state: 'exited', ...(await this.settle(record.key, exitInfoFromState(record.drmaaJobId, state, new Date()))) };
    }
    // Queued on the target counts as running here: the job is in the target's hands, and
    // 'created' would make a restarted daemon requeue (and so submit twice) a job that is waiting there.
    // Ended but not reaped yet: the reaper is bringing its exit status in.
    return { state: 'running' };
  }

  async list(): Promise<ListedTask[]> {
    const records = await this.records.all();
    return records
      .filter((r) => r.cluster === this.context.clusterId)
      .map((r) => ({ key: r.key, jobId: r.jobId, handle: this.handleOf(r) }));
  }

  /** DRMAA has one terminate and no grace: the target system applies its own. */
  async kill(handle: TaskHandle, _graceSeconds: number): Promise<void> {
    const record = await this.records.read(handle.key);
    if (record === null || this.ended.has(handle.key)) return;
    try {
      await this.lib.control(record.drmaaJobId, 'TERMINATE');
    } catch (error) {
      // Already over on the target: the reaper has, or will have, its end.
      if (!(error instanceof InvalidJobError)) throw this.failure(`terminating job ${record.drmaaJobId}`, error);
    }
    await this.endOf(handle.key, KILL_SETTLE_MS);
  }

  async suspend(handle: TaskHandle): Promise<void> {
    await this.control(handle, 'SUSPEND');
  }

  async resume(handle: TaskHandle): Promise<void> {
    await this.control(handle, 'RESUME');
  }

  async logs(handle: TaskHandle, stream: LogStream, options: { follow: boolean }): Promise<Readable> {
    this.ensureOpen();
    if (stream !== 'stdout' && stream !== 'stderr') throw new ExecutorError(`unknown log stream ${String(stream)}`);
    if ((await this.records.read(handle.key)) === null) {
      throw new NotFoundError(`drmaa-forward task ${handle.key} not found (already collected?)`);
    }
    const path = spoolFiles(this.options.spoolDir, handle.key)[stream];
    // No folder watch: a shared file system may not deliver change events from another host, so it polls.
    const follow = new FollowStream(
      path,
      [],
      async () => !options.follow || this.ended.has(handle.key) || this.closed,
      FOLLOW_POLL_MS,
    );
    this.follows.add(follow);
    follow.once('close', () => this.follows.delete(follow));
    return follow;
  }

  /** Copies the spool files to `jobDir` and forgets the task; one still running is terminated first. */
  async collect(handle: TaskHandle, jobDir: string): Promise<void> {
    this.records.checkKey(handle.key);
    const record = await this.records.read(handle.key);
    if (record !== null && !this.ended.has(handle.key) && (await this.records.readEnd(handle.key)) === null) {
      await this.kill(handle, 0).catch((error: unknown) =>
        this.context.logger.warn({ key: handle.key, err: (error as Error).message }, 'drmaa-forward: could not terminate'),
      );
    }
    const files = spoolFiles(this.options.spoolDir, handle.key);
    if (record !== null) {
      await mkdir(jobDir, { recursive: true });
      for (const stream of ['stdout', 'stderr'] as const) {
        const target = join(jobDir, stream);
        if (resolve(files[stream]) === resolve(target)) continue;
        // The job's directory is the job's to write: copied to a fresh name (never through a link
        // the job left there), then renamed over whatever has the final name.
        const part = `${target}.${randomBytes(6).toString('hex')}.part`;
        try {
          await copyFile(files[stream], part, constants.COPYFILE_EXCL);
          await rename(part, target);
        } catch (error) {
          await rm(part, { force: true });
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    }
    for (const file of Object.values(files)) await rm(file, { force: true });
    if (record !== null) this.active.delete(record.drmaaJobId);
    this.orphans.delete(handle.key);
    this.ended.delete(handle.key);
    await this.records.remove(handle.key);
  }

  /** Stops the reaper and leaves the DRMAA session; the jobs run on, for the next daemon to reattach. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.orphanTimer) clearInterval(this.orphanTimer);
    this.wake?.();
    for (const follow of this.follows) follow.destroy();
    this.follows.clear();
    // GoDocker's library cancels a wait blocked in another thread on exit; others return at their timeout.
    await this.lib
      .exit()
      .catch((error: unknown) => this.context.logger.warn({ err: (error as Error).message }, 'drmaa-forward: drmaa_exit failed'));
    await this.reaper;
    const closed = new ExecutorError('drmaa-forward executor closed');
    for (const list of this.waiters.values()) for (const waiter of list) waiter.reject(closed);
    this.waiters.clear();
  }

  private async submit(spec: RunSpec): Promise<TaskHandle> {
    const existing = await this.records.read(spec.key);
    if (existing !== null) return this.handleOf(existing);
    const files = spoolFiles(this.options.spoolDir, spec.key);
    if (hasShebang(spec.script)) await writeFile(files.script, spec.script, { mode: 0o755 });
    const jt = this.lib.allocateJobTemplate();
    let drmaaJobId: string;
    try {
      fillTemplate(jt, spec, this.options);
      drmaaJobId = await this.lib.runJob(jt);
    } catch (error) {
      throw this.failure('submitting the job', error);
    } finally {
      jt.delete();
    }
    // A crash right here would lose the id and run the job again after the restart: DRMAA has no way to look a job up by name.
    const record: TaskRecord = {
      key: spec.key,
      jobId: spec.job.id,
      cluster: this.context.clusterId,
      node: spec.node,
      drmaaJobId,
    };
    await this.records.write(record);
    this.active.set(drmaaJobId, spec.key);
    this.wake?.();
    return this.handleOf(record);
  }

  private async control(handle: TaskHandle, action: 'SUSPEND' | 'RESUME'): Promise<void> {
    const record = await this.records.read(handle.key);
    if (record === null) throw new NotFoundError(`drmaa-forward task ${handle.key} not found`);
    try {
      await this.lib.control(record.drmaaJobId, action);
    } catch (error) {
      // The job ended meanwhile: the caller raced the end, which is not an error.
      if (error instanceof InvalidJobError) return;
      if (error instanceof InconsistentStateError && (await this.stateOf(record)) !== 'RUNNING') return;
      throw this.failure(`${action.toLowerCase()} of job ${record.drmaaJobId}`, error);
    }
  }

  /** The reaper: one blocking drmaa_wait(SESSION_ANY) at a time, for as long as tasks are out there. */
  private async reap(): Promise<void> {
    while (!this.closed) {
      const waitable = [...this.active.values()].some((key) => !this.orphans.has(key));
      if (!waitable) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      try {
        const result = await this.lib.wait(JOB_IDS_SESSION_ANY, this.options.waitSeconds);
        const key = this.active.get(result.jobId);
        if (key === undefined) {
          this.context.logger.warn({ drmaaJobId: result.jobId }, 'drmaa-forward: reaped a DRMAA job no task stands for');
          continue;
        }
        await this.settle(key, exitInfoOf(result));
      } catch (error) {
        if (this.closed) return;
        if (error instanceof WaitTimeoutError) continue;
        if (error instanceof InvalidJobError) {
          // Nothing left to wait for in this session: the tasks still out are not in it.
          for (const key of this.active.values()) this.orphans.add(key);
          void this.checkOrphans();
          continue;
        }
        if (error instanceof NoActiveSessionError) return;
        this.context.logger.warn({ err: (error as Error).message }, 'drmaa-forward: drmaa_wait failed; trying again');
        await sleep(RETRY_MS);
      }
    }
  }

  private async checkOrphans(): Promise<void> {
    for (const key of [...this.orphans]) {
      if (this.closed) return;
      const record = await this.records.read(key).catch(() => null);
      if (record === null) continue;
      const state = await this.stateOf(record).catch(() => null);
      if (state === 'DONE' || state === 'FAILED' || state === 'UNKNOWN') {
        await this.settle(key, exitInfoFromState(record.drmaaJobId, state, new Date())).catch((error: unknown) =>
          this.context.logger.warn({ key, err: (error as Error).message }, 'drmaa-forward: could not record an end'),
        );
      }
    }
  }

  /** Records the end (on disk first: it cannot be asked for again) and tells whoever waits. */
  private async settle(key: string, info: ExitInfo): Promise<ExitInfo> {
    const known = this.ended.get(key);
    if (known !== undefined) return known;
    this.ended.set(key, info);
    for (const [drmaaJobId, k] of this.active) if (k === key) this.active.delete(drmaaJobId);
    this.orphans.delete(key);
    await this.records.writeEnd(key, info);
    const list = this.waiters.get(key) ?? [];
    this.waiters.delete(key);
    for (const waiter of list) waiter.resolve(info);
    return info;
  }

  /** job_ps, folded to what the executor distinguishes; UNKNOWN when the target no longer knows the job. */
  private async stateOf(record: TaskRecord): Promise<'RUNNING' | 'SUSPENDED' | 'DONE' | 'FAILED' | 'UNKNOWN'> {
    let state: Drmaa1State;
    try {
      state = await this.lib.jobPs(record.drmaaJobId);
    } catch (error) {
      if (error instanceof InvalidJobError) return 'UNKNOWN';
      throw this.failure(`job_ps of job ${record.drmaaJobId}`, error);
    }
    if (state === 'DONE' || state === 'FAILED') return state;
    if (state.endsWith('SUSPENDED')) return 'SUSPENDED';
    return 'RUNNING';
  }

  /** Resolves at the task's end (which collect() may forget at once) or after `timeoutMs`. */
  private async endOf(key: string, timeoutMs: number): Promise<void> {
    if (this.ended.has(key) || this.orphans.has(key) || this.closed) return;
    const timeout = new AbortController();
    const ended = new Promise<void>((resolve) => {
      const list = this.waiters.get(key) ?? [];
      list.push({ resolve: () => resolve(), reject: () => resolve() });
      this.waiters.set(key, list);
    });
    await Promise.race([ended, sleep(timeoutMs, undefined, { signal: timeout.signal }).catch(() => undefined)]);
    timeout.abort();
  }

  private handleOf(record: TaskRecord): TaskHandle {
    return { key: record.key, id: record.drmaaJobId, node: record.node };
  }

  private failure(what: string, error: unknown): ExecutorError {
    return new ExecutorError(`drmaa-forward: ${what} failed on ${this.options.libraryPath}: ${(error as Error).message}`, error);
  }

  private ensureOpen(): void {
    if (this.closed) throw new ExecutorError('drmaa-forward executor is closed');
  }
}

/** Applies the admin's env, loads the library and joins the DRMAA session of the previous run when it can. */
async function openSession(
  lib: DrmaaLibrary,
  records: TaskRecords,
  options: ResolvedForwardOptions,
  context: PluginContext,
): Promise<boolean> {
  const previous = await records.readSession();
  let reattached = false;
  if (previous !== null && previous.configured === options.contact) {
    try {
      await lib.init(previous.session);
      reattached = true;
    } catch (error) {
      // Each library says "that session is gone" its own way (INVALID_CONTACT_STRING, DRMS_INIT_FAILED...).
      context.logger.warn(
        { contact: previous.session, err: (error as Error).message },
        'drmaa-forward: the previous DRMAA session is gone; its running jobs are followed by state only',
      );
    }
  }
  if (!reattached) await lib.init(options.contact);
  await records.writeSession({ configured: options.contact, session: lib.contact() });
  return reattached;
}

export const createDrmaaForwardExecutor: ExecutorFactory = async (raw, context) => {
  const options = parseForwardOptions(raw, context.dataDir);
  // The library reads its configuration from the environment at drmaa_init (DRMAA has no other channel).
  for (const [name, value] of Object.entries(options.env)) process.env[name] = value;
  const records = new TaskRecords(join(context.dataDir, 'drmaa-forward'));
  await records.open();
  await mkdir(options.spoolDir, { recursive: true, mode: 0o700 });
  const lib = loadDrmaa(options.libraryPath);
  const reattached = await openSession(lib, records, options, context);
  const executor = new DrmaaForwardExecutor(lib, records, options, context);
  try {
    await executor.open(reattached);
  } catch (error) {
    await executor.close().catch(() => undefined);
    throw error;
  }
  context.logger.info(
    { library: options.libraryPath, drmSystem: await lib.drmSystem().catch(() => 'unknown'), contact: lib.contact(), reattached },
    'drmaa-forward executor ready',
  );
  return executor;
};
