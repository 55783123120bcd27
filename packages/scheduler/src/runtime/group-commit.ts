/**
 * Group commit of concurrent submits: the inserts asked for during one turn of the
 * event loop (16 clients' requests read in one go), or while a commit is still under
 * way (a store that answers asynchronously), are stored in one transaction. Each
 * keeps its own answer and its own refusal (`Store.insertEach`). A commit that fails
 * as a whole is tried again one insert at a time, so that each gets its own error and
 * none is refused for a neighbour's sake.
 *
 * Nobody waits for company: the first insert of a turn is committed at the end of that
 * turn, with whatever else arrived by then.
 */
import type { InsertRequest, InsertResult, Store } from '../store/store.js';

interface Waiting {
  request: InsertRequest;
  resolve: (result: InsertResult) => void;
  reject: (error: Error) => void;
}

export class GroupCommit {
  readonly #store: Store;
  readonly #enabled: boolean;
  #queue: Waiting[] = [];
  #scheduled = false;
  #committing = false;

  /** `enabled` false: each insert in its own transaction (to measure what grouping gains). */
  constructor(store: Store, enabled: boolean) {
    this.#store = store;
    this.#enabled = enabled;
  }

  /** Resolves once the jobs are durably stored, or rejects with this insert's own error. */
  insert(request: InsertRequest): Promise<InsertResult> {
    if (!this.#enabled) return this.#store.insertJobs(request);
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#committing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#commit();
    });
  }

  async #commit(): Promise<void> {
    const group = this.#queue;
    this.#queue = [];
    this.#committing = true;
    try {
      let results: (InsertResult | Error)[];
      try {
        // Alone, it needs no savepoint of its own: its transaction is its own.
        results =
          group.length === 1
            ? [await this.#store.insertJobs((group[0] as Waiting).request).catch(asError)]
            : await this.#store.insertEach(group.map((w) => w.request));
      } catch {
        await this.#oneByOne(group);
        return;
      }
      settle(group, results);
    } finally {
      this.#committing = false;
      if (this.#queue.length > 0) this.#schedule();
    }
  }

  async #oneByOne(group: readonly Waiting[]): Promise<void> {
    for (const w of group) {
      try {
        w.resolve(await this.#store.insertJobs(w.request));
      } catch (e) {
        w.reject(asError(e));
      }
    }
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function settle(group: readonly Waiting[], results: readonly (InsertResult | Error)[]): void {
  group.forEach((w, i) => {
    const result = results[i];
    if (result === undefined) w.reject(new Error('the store answered fewer inserts than it was given'));
    else if (result instanceof Error) w.reject(result);
    else w.resolve(result);
  });
}
