/**
 * Learns when tasks end. The `status` file is the truth; three things prompt a
 * look at it, fastest first:
 * - the monitor's exit event, when this daemon spawned it (no delay at all);
 * - fs.watch on the task folder, for tasks adopted after a restart;
 * - a poll every 250 ms, which alone notices a monitor that died without
 *   writing its status, and covers file systems where fs.watch says nothing.
 * One entry per waited task, shared by every caller waiting on it.
 */
import type { ChildProcess } from 'node:child_process';
import { type FSWatcher, watch } from 'node:fs';
import { ExecutorError, type ExitInfo, isExecutorUnavailable, NotFoundError } from '@godocker/sdk';
import type { TaskState } from './task-state.js';

export const POLL_MS = 250;

interface Waiting {
  key: string;
  promise: Promise<ExitInfo>;
  resolve: (info: ExitInfo) => void;
  reject: (error: Error) => void;
  watcher: FSWatcher | null;
  checking: boolean;
  again: boolean;
}

export class EndWatcher {
  private readonly waiting = new Map<string, Waiting>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly probe: (key: string) => Promise<TaskState>,
    private readonly dirOf: (key: string) => string,
  ) {}

  /** A monitor this daemon spawned: its exit event is the quickest news of the end. */
  adopt(key: string, child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null) this.poke(key);
    else child.once('exit', () => this.poke(key));
  }

  wait(key: string): Promise<ExitInfo> {
    if (this.closed) return Promise.reject(new ExecutorError('local executor is closed'));
    const known = this.waiting.get(key);
    if (known) return known.promise;

    let resolve: (info: ExitInfo) => void = () => undefined;
    let reject: (error: Error) => void = () => undefined;
    const promise = new Promise<ExitInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Waiting = { key, promise, resolve, reject, watcher: null, checking: false, again: false };
    this.waiting.set(key, entry);
    entry.watcher = this.watchFolder(entry);
    this.timer ??= setInterval(() => {
      for (const waiting of this.waiting.values()) this.check(waiting);
    }, POLL_MS);
    this.check(entry);
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

  poke(key: string): void {
    const entry = this.waiting.get(key);
    if (entry) this.check(entry);
  }

  /** Pending waits fail: nothing would ever settle them. The tasks themselves run on. */
  close(): void {
    this.closed = true;
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
