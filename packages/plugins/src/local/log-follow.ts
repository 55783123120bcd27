/**
 * `tail -f` of a log file that ends by itself: it streams what is written
 * while the task runs and ends once the task has ended and the file is read to
 * its end. New data is noticed through fs.watch, with a poll behind it.
 */
import { constants, type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { isMissing } from './task-files.js';

const CHUNK = 64 * 1024;

export class FollowStream extends Readable {
  private handle: FileHandle | null = null;
  private position = 0;
  private pumping = false;
  /** The task was seen ended: one more read to the end of the file, then the stream ends. */
  private endSeen = false;
  /** Something may have changed since the last read; kept so a wake-up is never lost. */
  private dirty = false;
  private wake: (() => void) | null = null;
  private readonly watchers: FSWatcher[] = [];

  constructor(
    private readonly path: string,
    watchedPaths: readonly string[],
    private readonly hasEnded: () => Promise<boolean>,
    private readonly pollMs: number,
  ) {
    super();
    for (const folder of watchedPaths) {
      try {
        const watcher = watch(folder, { persistent: false }, () => this.notify());
        watcher.on('error', () => watcher.close());
        this.watchers.push(watcher);
      } catch {
        // Unwatchable: the poll still finds new data.
      }
    }
  }

  override _read(): void {
    if (this.pumping) return;
    this.pumping = true;
    this.pump().then(
      () => {
        this.pumping = false;
      },
      (error: unknown) => {
        this.pumping = false;
        this.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const watcher of this.watchers) watcher.close();
    this.notify();
    const handle = this.handle;
    this.handle = null;
    if (handle === null) callback(error);
    else
      handle.close().then(
        () => callback(error),
        () => callback(error),
      );
  }

  private notify(): void {
    this.dirty = true;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Reads until the consumer has enough, or the end. */
  private async pump(): Promise<void> {
    for (;;) {
      if (this.destroyed) return;
      const chunk = await this.readChunk();
      if (this.destroyed) return;
      if (chunk !== null) {
        if (!this.push(chunk)) return;
        continue;
      }
      if (this.endSeen) {
        this.push(null);
        return;
      }
      // Checked before the final read: whatever the task wrote before ending is in the file by then.
      if (await this.hasEnded()) {
        this.endSeen = true;
        continue;
      }
      await this.change();
    }
  }

  private async readChunk(): Promise<Buffer | null> {
    if (this.handle === null) {
      try {
        // Never through a link: whoever could plant one would have the daemon read any file for them.
        this.handle = await open(this.path, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
      if (this.destroyed) {
        await this.handle.close();
        this.handle = null;
        return null;
      }
    }
    const buffer = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await this.handle.read(buffer, 0, CHUNK, this.position);
    if (bytesRead === 0) return null;
    this.position += bytesRead;
    return buffer.subarray(0, bytesRead);
  }

  private change(): Promise<void> {
    if (this.dirty) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.notify(), this.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        this.dirty = false;
        resolve();
      };
    });
  }
}
