/**
 * Checkpoints of the daemon's WAL in a worker thread, on a connection of its own.
 *
 * SQLite checkpoints by default in the commit that takes the WAL past 1,000 pages: that
 * commit copies the pages back into the database and syncs both files, stalling the event
 * loop (and the submit that happened to commit) for milliseconds. A PASSIVE checkpoint
 * from another connection does the same work beside the writer without blocking it; the
 * writer then starts the WAL over on its own. The daemon's connection keeps a far
 * automatic checkpoint as a backstop, should this thread fall behind or die.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** A checkpoint with nothing to copy costs microseconds; one under way holds the next tick back. */
const EVERY_MS = 100;
/** What the writer's own connection still does, past this many pages (40 MB). */
export const BACKSTOP_PAGES = 10_000;

// CommonJS, evaluated: the same code from the sources (tests) and from dist.
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or gone for a moment: the next tick tries again, and the writer's backstop remains.
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;

  constructor(path: string) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_CODE, { eval: true, workerData: { path, module, everyMs: EVERY_MS } });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // A worker that fails leaves checkpoints to the writer's backstop: nothing is lost.
    this.#worker.on('error', () => undefined);
    this.#worker.unref();
  }

  /** Stops after the checkpoint under way, if any, and closes its connection. */
  async close(): Promise<void> {
    // Unref'd, it would let the process end before its exit is heard, and whoever awaits close() with it.
    this.#worker.ref();
    this.#worker.postMessage('close');
    await this.#exited;
  }
}
