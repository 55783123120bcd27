/**
 * Learns when tasks end. The `status` file is the truth; three things bring it, fastest first:
 * - for a task this executor's launcher started, the launcher's news of its monitor's
 *   end, which carries the folder's files as the monitor left them (no file read here,
 *   no watch and no poll while the launcher lives; a monitor that died without a status
 *   is news too, and the folder is then probed);
 * - fs.watch on the task folder, for tasks adopted after a restart;
 * - a poll every 250 ms, which alone notices a monitor that died without
 *   writing its status, and covers file systems where fs.watch says nothing.
 * One entry per waited task, shared by every caller waiting on it.
 */
import { type FSWatcher, watch } from 'node:fs';
import { ExecutorError, type ExitInfo, isExecutorUnavailable, NotFoundError } from '@godocker/sdk';
import type { MonitorEnd } from './launcher.js';
import { exitInfoFromFiles, type TaskState } from './task-state.js';

export const POLL_MS = 250;

interface Waiting {
  key: string;
  promise: Promise<ExitInfo>;
  resolve: (info: ExitInfo) => void;
  reject: (error: Error) => void;
  watcher: FSWatcher | null;
  /** Its end comes as the launcher's news: neither watched nor polled. */
  reported: boolean;
  checking: boolean;
  again: boolean;
}

export class EndWatcher {
  private readonly waiting = new Map<string, Waiting>();
  /** Tasks whose monitor the launcher started and still watches. */
  private readonly reported = new Set<string>();
  /** Ends the launcher told that nobody has waited for yet. */
  private readonly told = new Map<string, ExitInfo>();
  /** Tasks whose end the launcher told, until they are collected. */
  private readonly toldKeys = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly probe: (key: string) => Promise<TaskState>,
    private readonly dirOf: (key: string) => string,
  ) {}

  /** A monitor the launcher started: its news is the quickest word of the end. */
  adopt(key: string): void {
    if (!this.told.has(key)) this.reported.add(key);
  }

  /** The launcher's news: a monitor it started has ended. */
  monitorEnded(end: MonitorEnd): void {
    this.reported.delete(end.key);
    const info = exitInfoFromFiles(end.status, { startedAt: end.jobMtime, endedAt: end.statusMtime, error: end.error });
    const entry = this.waiting.get(end.key);
    if (info === null) {
      // No status: the monitor died without writing one. The probe finds out, and records it.
      if (entry) this.unreport(entry);
      return;
    }
    this.toldKeys.add(end.key);
    if (entry) this.finish(entry, info);
    else this.told.set(end.key, info);
  }

  /** The task ended, as its launcher told: its monitor is gone and left nothing running. */
  toldEnded(key: string): boolean {
    return this.toldKeys.has(key);
  }

  /** The launcher is gone: its tasks are watched and polled like any other. */
  lost(): void {
    this.reported.clear();
    for (const entry of this.waiting.values()) if (entry.reported) this.unreport(entry);
  }

  /** A task collected: nothing is kept about it. */
  forget(key: string): void {
    this.reported.delete(key);
    this.told.delete(key);
    this.toldKeys.delete(key);
  }

  wait(key: string): Promise<ExitInfo> {
    if (this.closed) return Promise.reject(new ExecutorError('local executor is closed'));
    const known = this.waiting.get(key);
    if (known) return known.promise;
    // Told once: a later wait reads the folder, which may have gone since.
    const told = this.told.get(key);
    if (told) {
      this.told.delete(key);
      return Promise.resolve(told);
    }

    let resolve: (info: ExitInfo) => void = () => undefined;
    let reject: (error: Error) => void = () => undefined;
    const promise = new Promise<ExitInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const reported = this.reported.has(key);
    const entry: Waiting = { key, promise, resolve, reject, watcher: null, reported, checking: false, again: false };
    this.waiting.set(key, entry);
    // Runs for told tasks too, which it skips: a wait keeps the process alive, as a watch would.
    this.timer ??= setInterval(() => {
      for (const waiting of this.waiting.values()) if (!waiting.reported) this.check(waiting);
    }, POLL_MS);
    if (!reported) this.unreport(entry);
    return promise;
  }

  /** true when the task ended (or is gone) within `ms`; an end that cannot be read now is not one. */
  async ended(key: string, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const end = this.wait(key).then(
      () => true,
      (error: unknown) => (isExecutorUnavailable(error) ? timeout : true),
    );
    try {
      return await Promise.race([end, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Watched and polled from now on, and looked at at once. */
  private unreport(entry: Waiting): void {
    entry.reported = false;
    entry.watcher ??= this.watchFolder(entry);
    this.check(entry);
  }

  /** Pending waits fail: nothing would ever settle them. The tasks themselves run on. */
  close(): void {
    this.closed = true;
    this.reported.clear();
    this.told.clear();
    this.toldKeys.clear();
    for (const entry of [...this.waiting.values()]) this.finish(entry, new ExecutorError('local executor is closed'));
  }

  private watchFolder(entry: Waiting): FSWatcher | null {
    try {
      const watcher = watch(this.dirOf(entry.key), (_event, name) => {
        if (name === null || name === 'status') this.check(entry);
      });
      // A removed folder or an exhausted inotify budget: the poll carries on alone.
      watcher.on('error', () => {
        watcher.close();
        if (entry.watcher === watcher) entry.watcher = null;
      });
      return watcher;
    } catch {
      return null;
    }
  }

  /** Never two probes of one task at once; a prompt arriving during one asks for another round. */
  private check(entry: Waiting): void {
    if (entry.checking) {
      entry.again = true;
      return;
    }
    entry.checking = true;
    this.settle(entry).then(
      () => {
        entry.checking = false;
      },
      (error: unknown) => {
        entry.checking = false;
        // Unavailable (the folder cannot be read now) goes to the caller as it is: the end is unknown, not lost.
        const failure = isExecutorUnavailable(error)
          ? error
          : new ExecutorError(`waiting for task ${entry.key}: ${String(error)}`, error);
        this.finish(entry, failure);
      },
    );
  }

  private async settle(entry: Waiting): Promise<void> {
    do {
      entry.again = false;
      if (this.waiting.get(entry.key) !== entry) return;
      const state = await this.probe(entry.key);
      if (state.state === 'exited') return this.finish(entry, state.info);
      if (state.state === 'missing') return this.finish(entry, new NotFoundError(`local task ${entry.key} not found`));
    } while (entry.again);
  }

  private finish(entry: Waiting, outcome: ExitInfo | Error): void {
    if (this.waiting.get(entry.key) !== entry) return;
    this.waiting.delete(entry.key);
    entry.watcher?.close();
    entry.watcher = null;
    if (this.waiting.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }
}
