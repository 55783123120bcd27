/**
 * Group commit: the writes asked for during one turn of the event loop (16 clients'
 * submits read in one go, the ends a launcher reported together, the starts of one
 * scheduling pass), or while a commit is still under way (a store that answers
 * asynchronously), are stored in one transaction. Each keeps its own answer and its own
 * refusal (`Store.insertEach`, `Store.updateEach`). A commit that fails as a whole is
 * tried again one write at a time, so that each gets its own error and none is refused
 * for a neighbour's sake.
 *
 * Nobody waits for company: the first write of a turn is committed at the end of that
 * turn, with whatever else arrived by then. And while writes come one at a time (the last
 * group held one), a write is committed at once, as if there were no grouping: the wait
 * for the end of the turn costs a lone client (one `for` loop of submits) a tenth of its
 * rate. A second write in the same turn goes back to grouping.
 */
import type { Job } from '@godocker/sdk';
import type { InsertRequest, InsertResult, JobUpdate, Store } from '../store/store.js';

interface Waiting<R, A> {
  request: R;
  resolve: (answer: A) => void;
  reject: (error: Error) => void;
}

/** How one kind of write is stored: alone, and as a group (answers in request order, an Error for one refused). */
export interface GroupWrites<R, A> {
  one(request: R): Promise<A>;
  each(requests: readonly R[]): Promise<(A | Error)[]>;
}

export class CommitGroup<R, A> {
  readonly #writes: GroupWrites<R, A>;
  readonly #enabled: boolean;
  #queue: Waiting<R, A>[] = [];
  #scheduled = false;
  #committing = false;
  /** The last group held one write, and no other went at once since: the next is committed at once. */
  #alone = true;
  #wentAtOnce = false;
  /** A write was asked for in this turn of the event loop. */
  #turnHasWrite = false;

  /** `enabled` false: each write in its own transaction (to measure what grouping gains). */
  constructor(writes: GroupWrites<R, A>, enabled: boolean) {
    this.#writes = writes;
    this.#enabled = enabled;
  }

  /** Resolves once the write is durably stored, or rejects with its own error. */
  add(request: R): Promise<A> {
    if (!this.#enabled) return this.#writes.one(request);
    const first = !this.#turnHasWrite;
    this.#markTurn();
    if (this.#alone && first && !this.#committing && this.#queue.length === 0) {
      this.#wentAtOnce = true;
      return this.#writes.one(request);
    }
    this.#alone = false;
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#schedule();
    });
  }

  #markTurn(): void {
    if (this.#turnHasWrite) return;
    this.#turnHasWrite = true;
    setImmediate(() => {
      this.#turnHasWrite = false;
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
    // Two clients: one write at once, its neighbour in a group of one, turn after turn. Not alone.
    this.#alone = group.length === 1 && !this.#wentAtOnce;
    this.#wentAtOnce = false;
    this.#committing = true;
    try {
      let results: (A | Error)[];
      try {
        // Alone, it needs no savepoint of its own: its transaction is its own.
        results =
          group.length === 1
            ? [await this.#writes.one((group[0] as Waiting<R, A>).request).catch(asError)]
            : await this.#writes.each(group.map((w) => w.request));
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

  async #oneByOne(group: readonly Waiting<R, A>[]): Promise<void> {
    for (const w of group) {
      try {
        w.resolve(await this.#writes.one(w.request));
      } catch (e) {
        w.reject(asError(e));
      }
    }
  }
}

/** The group commit of submits. */
export class GroupCommit extends CommitGroup<InsertRequest, InsertResult> {
  constructor(store: Store, enabled: boolean) {
    super({ one: (r) => store.insertJobs(r), each: (rs) => store.insertEach(rs) }, enabled);
  }

  insert(request: InsertRequest): Promise<InsertResult> {
    return this.add(request);
  }
}

/** The group commit of job changes: two or three per job that runs (started, its task, ended). */
export class UpdateGroup extends CommitGroup<JobUpdate, Job | null> {
  constructor(store: Store, enabled: boolean) {
    super({ one: (u) => store.updateJob(u.id, u.change, u.expect), each: (us) => store.updateEach(us) }, enabled);
  }

  update(id: number, change: JobUpdate['change'], expect?: JobUpdate['expect']): Promise<Job | null> {
    return this.add(expect ? { id, change, expect } : { id, change });
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function settle<R, A>(group: readonly Waiting<R, A>[], results: readonly (A | Error)[]): void {
  group.forEach((w, i) => {
    const result = results[i];
    if (i >= results.length) w.reject(new Error('the store answered fewer writes than it was given'));
    else if (result instanceof Error) w.reject(result);
    else w.resolve(result as A);
  });
}
