/**
 * Compare-and-set and all-or-nothing changes on a MongoDB-wire server that gives neither
 * as MongoDB does. FerretDB 1.x (what runs here) finds a conditional update's document,
 * then writes it back by `_id` with no check in between: of four `updateOne({_id, v: 0})`
 * racing, most "win" (measured in test/mongo-store.test.ts). It has no multi-document
 * transactions either. What it does keep atomic, as MongoDB does, is a unique index: of
 * two inserts of one key, one fails with 11000. Everything here is built on that alone.
 *
 * A record is kept as versions: one document per (key `k`, version `v`), never changed once
 * written. A change inserts version v+1, whose unique (k, v) makes it a compare-and-set on v.
 * Versions below the one that counts are deleted once superseded; until then a reader takes
 * the highest that counts.
 *
 * A change of several records inserts their new versions with `tx` set, then inserts its
 * decision record `committed` into `txns`: the commit point. Anyone who meets a version of a
 * change with no decision past `STALE_MS` inserts `aborted` for it instead; of the two
 * inserts one wins, so a change is committed or aborted, never both, and a writer that was
 * paused finds its commit refused. A version counts if it has no `tx`, or its change
 * committed. After the commit, `tx` is taken off the versions, and the record removed.
 *
 * What a transaction would give and this does not: a reader scanning many records while a
 * change commits may see part of it (no snapshot reads). Every single read, and every read
 * that starts after the commit, sees all of it or none, even across a crash.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { type Collection, type Db, type Document, type Filter, MongoServerError } from 'mongodb';

/** Queries by one key each sent at once (see buried() and getMany()). */
const QUERIES_AT_ONCE = 32;
/** getMany() reads up to this many keys one query each, more in one pass over the collection. */
const KEYS_READ_ONE_BY_ONE = 512;

/** A change undecided this long was left by a writer that died or stalled: it is aborted. */
export const STALE_MS = 15_000;
/** How long a reader waits for an undecided change it meets before reading around it. */
const READ_WAIT_MS = 2_000;
/** Aborted decisions are kept this long: a writer stalled longer than this must not commit after all. */
const ABORTED_KEPT_MS = 3_600_000;

export type Key = number | string;

/** What every stored version holds besides its record's fields. */
export interface VersionMeta {
  _id: string;
  k: Key;
  v: number;
  /** Epoch ms of the writer's clock, compared only with STALE_MS. */
  at: number;
  /** The change it belongs to, until that change is decided and done. */
  tx?: string;
  /** Set with `tx`, and taken off with it: what recover() finds changes by (see staleChanges). */
  undecided?: true;
  /** A deletion: the record does not exist from this version on. */
  gone?: boolean;
}

export type Version<T> = VersionMeta & T;

/** The record as it counts now, and where a change of it goes. */
export interface Head<T> {
  /** Null when there is no record (never was, or deleted). */
  current: Version<T> | null;
  /** The version a change inserts; a change built on `current`. */
  next: number;
}

/** A record that changed (or is being changed) since it was read: read again and retry. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

interface Decision {
  _id: string;
  state: 'committed' | 'aborted';
  at: number;
}

/** One record's new version, for `Versions.write` or `Decisions.run`. */
export interface VersionWrite {
  versions: Versions<Document>;
  k: Key;
  v: number;
  fields: Document;
  gone?: boolean;
  /**
   * Version 1 of a key no version was ever written for (a job id just allocated, a key of a
   * collection whose records never change): nothing can be above it, so it is not looked for.
   */
  fresh?: boolean;
}

/** The decision records, and the changes of several records. */
export class Decisions {
  private readonly txns: Collection<Decision>;
  private readonly known = new Map<string, Decision['state']>();
  /** Work left running after its caller was answered (see later). */
  private readonly unfinished = new Set<Promise<void>>();
  readonly all: Versions<Document>[] = [];

  constructor(db: Db) {
    this.txns = db.collection<Decision>('txns');
  }

  async createIndexes(): Promise<void> {
    await this.txns.createIndex({ at: 1 });
  }

  /** The decision of a change, or null while it has none. */
  async stateOf(tx: string): Promise<Decision['state'] | null> {
    const known = this.known.get(tx);
    if (known) return known;
    const record = await this.txns.findOne({ _id: tx });
    if (record) this.remember(tx, record.state);
    return record?.state ?? null;
  }

  /** Decides a change unless it is decided: the answer is what it is now. */
  async decide(tx: string, state: Decision['state']): Promise<Decision['state']> {
    try {
      await this.txns.insertOne({ _id: tx, state, at: Date.now() });
      this.remember(tx, state);
      return state;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const record = await this.txns.findOne({ _id: tx });
      if (!record) throw new ConflictError(`the decision of change ${tx} went away while it was read`);
      this.remember(tx, record.state);
      return record.state;
    }
  }

  /**
   * Writes every new version or none. ConflictError when a record had changed since it was
   * read (its version was taken), or when this took so long that the change may have been
   * aborted by others. Nothing of it stays then.
   */
  async run(writes: readonly VersionWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const tx = randomUUID();
    const started = performance.now();
    const colls = [...new Set(writes.map((w) => w.versions))];
    try {
      for (const versions of colls)
        await versions.insertVersions(
          writes.filter((w) => w.versions === versions),
          tx,
        );
    } catch (error) {
      await this.abort(tx).catch(() => undefined);
      throw isDuplicateKey(error) ? new ConflictError('a record changed meanwhile') : error;
    }
    // A writer that stalled this long may have been taken for dead: it does not commit.
    if (performance.now() - started > STALE_MS / 2 || (await this.decide(tx, 'committed')) !== 'committed') {
      await this.abort(tx).catch(() => undefined);
      throw new ConflictError('the change took too long and was given up');
    }
    // Committed: the caller has its answer now. Readers take the versions as they are from the
    // decision until they are plain; a crash before that is finished by recover().
    this.later(this.finish(tx, colls));
  }

  /**
   * Work whose result the caller does not wait for, and that what comes after can do without
   * (it only keeps the store tidy or quick): its failure is left to recover() or the next write.
   */
  later(work: Promise<unknown>): void {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.unfinished.add(done);
    void done.then(() => this.unfinished.delete(done));
  }

  /** Resolves once the work left running by this process is done (before a close). */
  async settled(): Promise<void> {
    while (this.unfinished.size > 0) await Promise.all([...this.unfinished]);
  }

  /** A committed change made plain: `tx` off its versions, what they supersede deleted, its record removed. */
  async finish(tx: string, colls: readonly Versions<Document>[] = this.all): Promise<void> {
    for (const versions of colls) await versions.settle(tx);
    await this.txns.deleteOne({ _id: tx });
  }

  /** Aborts a change unless it committed (then finishes it), and deletes its versions. */
  async abort(tx: string): Promise<void> {
    if ((await this.decide(tx, 'aborted')) === 'committed') return this.finish(tx);
    for (const versions of this.all) await versions.dropChange(tx);
  }

  /** Ends what dead writers left: their changes aborted (or finished, when committed), old decisions forgotten. */
  async recover(now = Date.now()): Promise<void> {
    const txs = new Set<string>();
    for (const versions of this.all) for (const tx of await versions.staleChanges(now - STALE_MS)) txs.add(tx);
    for (const tx of txs) await this.abort(tx);
    await this.txns.deleteMany({ state: 'aborted', at: { $lt: now - ABORTED_KEPT_MS } });
  }

  private remember(tx: string, state: Decision['state']): void {
    this.known.set(tx, state);
    if (this.known.size > 10_000) this.known.delete(this.known.keys().next().value as string);
  }
}

/** One collection of versioned records. */
export class Versions<T extends Document> {
  /** Untyped: the record's fields are the caller's; what comes out is cast to Version<T>. */
  readonly coll: Collection<Document>;

  constructor(
    db: Db,
    name: string,
    private readonly decisions: Decisions,
  ) {
    this.coll = db.collection(name);
    decisions.all.push(this as unknown as Versions<Document>);
  }

  get name(): string {
    return this.coll.collectionName;
  }

  async createIndexes(extra: readonly { key: Document; unique?: boolean }[] = []): Promise<void> {
    await this.coll.createIndex({ k: 1, v: 1 }, { unique: true });
    await this.coll.createIndex({ tx: 1 }, { sparse: true });
    await this.coll.createIndex({ undecided: 1 }, { sparse: true });
    for (const index of extra) await this.coll.createIndex(index.key, index.unique ? { unique: true, sparse: true } : {});
  }

  /**
   * The record now, and the version a change of it inserts. ConflictError while another
   * change of it is undecided (a version above that one would bury it): retry.
   */
  async head(k: Key): Promise<Head<T>> {
    return this.headOf(k, true);
  }

  /** The record now, read around a change of it that is still undecided. */
  async get(k: Key): Promise<Version<T> | null> {
    return (await this.headOf(k, false)).current;
  }

  private async headOf(k: Key, strict: boolean): Promise<Head<T>> {
    const versions = (await this.coll.find({ k }).sort({ v: -1 }).toArray()) as unknown as Version<T>[];
    return (await this.headsOf(versions, strict)).get(k) ?? { current: null, next: 1 };
  }

  /** The records of these keys as they are now (missing ones left out). */
  async getMany(ks: readonly Key[]): Promise<Map<Key, Version<T>>> {
    const out = new Map<Key, Version<T>>();
    if (ks.length === 0) return out;
    let versions: Version<T>[];
    if (ks.length <= KEYS_READ_ONE_BY_ONE) {
      // FerretDB answers an equality on `k` from the index, an $in by reading the whole
      // collection: a few keys are read one query each, many by that one pass.
      versions = [];
      for (let i = 0; i < ks.length; i += QUERIES_AT_ONCE) {
        const found = await Promise.all(ks.slice(i, i + QUERIES_AT_ONCE).map((k) => this.coll.find({ k }).toArray()));
        for (const docs of found) {
          docs.sort((a, b) => (b.v as number) - (a.v as number));
          versions.push(...(docs as unknown as Version<T>[]));
        }
      }
    } else {
      versions = (await this.coll
        .find({ k: { $in: [...ks] } })
        .sort({ k: 1, v: -1 })
        .toArray()) as unknown as Version<T>[];
    }
    for (const [k, head] of await this.headsOf(versions, false)) if (head.current) out.set(k, head.current);
    return out;
  }

  /**
   * The records whose current version matches `filter` (the server's query) and `check`
   * (the same, read here), in key order. Every version the server finds is only a lead: its
   * key's versions are all read to know which counts. `want`: stop once that many matched.
   */
  async find(
    filter: Filter<Document>,
    check: (record: Version<T>) => boolean | Promise<boolean>,
    options: { order: 1 | -1; below?: number; above?: number; want?: number },
  ): Promise<Version<T>[]> {
    const batch = options.want === undefined ? 0 : Math.max(options.want, 16);
    const found: Version<T>[] = [];
    let { below, above } = options;
    for (;;) {
      const range: Record<string, number> = {};
      if (below !== undefined) range.$lt = below;
      if (above !== undefined) range.$gt = above;
      const query = Object.keys(range).length > 0 ? { ...filter, k: range } : filter;
      let cursor = this.coll.find(query, { projection: { _id: 0, k: 1 } }).sort({ k: options.order, v: -1 });
      if (batch > 0) cursor = cursor.limit(batch);
      const leads = await cursor.toArray();
      const keys = [...new Set(leads.map((l) => l.k as Key))];
      const records = await this.getMany(keys);
      for (const k of keys) {
        const record = records.get(k);
        if (record && (await check(record))) found.push(record);
      }
      const last = leads.at(-1);
      if (batch === 0 || leads.length < batch || !last) return found;
      if (options.want !== undefined && found.length >= options.want) return found;
      if (options.order === -1) below = last.k as number;
      else above = last.k as number;
    }
  }

  /** Writes one record's new version (a compare-and-set on the version); ConflictError when it was taken. */
  async write(k: Key, v: number, fields: T | Document, gone = false, fresh = false): Promise<void> {
    try {
      await this.coll.insertOne(this.versionDoc(k, v, fields, gone, undefined));
    } catch (error) {
      if (isDuplicateKey(error)) throw new ConflictError(`${this.name} ${k} changed meanwhile`);
      throw error;
    }
    if (!fresh && (await this.buried([{ k, v }]))) {
      await this.coll.deleteOne({ k, v });
      throw new ConflictError(`${this.name} ${k} changed meanwhile`);
    }
    // What it supersedes is no longer read; removed after the answer, or by the next change of the record.
    if (v > 1) this.decisions.later(this.coll.deleteMany({ k, v: { $lt: v } }));
  }

  /** Records copied from elsewhere (a migration): each its version 1, into a collection without them. */
  async importRecords(records: readonly { k: Key; fields: Document }[]): Promise<void> {
    if (records.length === 0) return;
    await this.coll.insertMany(
      records.map((r) => this.versionDoc(r.k, 1, r.fields, false, undefined)),
      { ordered: false },
    );
  }

  /** Part of Decisions.run: the versions of one change in this collection. */
  async insertVersions(writes: readonly VersionWrite[], tx: string): Promise<void> {
    if (writes.length === 0) return;
    await this.coll.insertMany(
      writes.map((w) => this.versionDoc(w.k, w.v, w.fields, w.gone ?? false, tx)),
      { ordered: true },
    );
    if (await this.buried(writes.filter((w) => !w.fresh))) throw new ConflictError(`a record of ${this.name} changed meanwhile`);
  }

  /**
   * Whether a version just inserted is below another of its record. The slot of a version
   * superseded and deleted is free again: a writer that read the record before that, and
   * took so long that two changes came in between, inserts there without a duplicate key,
   * under a version that counts. Its change is then lost, and must be said to be.
   */
  private async buried(written: readonly { k: Key; v: number }[]): Promise<boolean> {
    // One query per record, on its key alone: FerretDB sends an equality on `k` to SQL (the
    // index), but an $or of them, or an $in, it answers by reading the whole collection, on
    // every write (measured: the cost of a write grew with the store).
    for (let i = 0; i < written.length; i += QUERIES_AT_ONCE) {
      const found = await Promise.all(
        written.slice(i, i + QUERIES_AT_ONCE).map((w) =>
          this.coll
            .find({ k: w.k, v: { $gt: w.v } }, { projection: { _id: 1 } })
            .limit(1)
            .toArray(),
        ),
      );
      if (found.some((docs) => docs.length > 0)) return true;
    }
    return false;
  }

  /** Part of Decisions.finish. */
  async settle(tx: string): Promise<void> {
    const mine = await this.coll.find({ tx }, { projection: { k: 1, v: 1 } }).toArray();
    if (mine.length === 0) return;
    await this.coll.updateMany({ tx }, { $unset: { tx: '', undecided: '' } });
    const superseding = mine.filter((m) => (m.v as number) > 1);
    if (superseding.length === 0) return;
    await this.coll.bulkWrite(
      superseding.map((m) => ({ deleteMany: { filter: { k: m.k, v: { $lt: m.v } } } })),
      { ordered: false },
    );
  }

  /** Part of Decisions.abort. */
  async dropChange(tx: string): Promise<void> {
    await this.coll.deleteMany({ tx });
  }

  /** Changes with a version here written before `before`. */
  async staleChanges(before: number): Promise<string[]> {
    // By `undecided`, an equality FerretDB sends to SQL and its index: `tx: {$exists}` or a range on
    // `at` it answers by reading the whole collection, and this runs every few seconds.
    const docs = await this.coll.find({ undecided: true }, { projection: { tx: 1, at: 1 } }).toArray();
    return [...new Set(docs.filter((d) => (d.at as number) < before).map((d) => d.tx as string))];
  }

  private versionDoc(k: Key, v: number, fields: Document, gone: boolean, tx: string | undefined): Document {
    const doc: Document = { ...fields, _id: `${k}#${v}`, k, v, at: Date.now() };
    if (gone) doc.gone = true;
    if (tx) {
      doc.tx = tx;
      doc.undecided = true;
    }
    return doc;
  }

  /**
   * For each key of `versions` (each key's versions together, highest first): the highest
   * version that counts, and the next version to write. An undecided change met on the way
   * is waited for, then read around (and aborted when stale); `strict` (a write will follow)
   * turns one still undecided into a ConflictError, since a version above would bury it.
   */
  private async headsOf(versions: readonly Version<T>[], strict: boolean): Promise<Map<Key, Head<T>>> {
    const byKey = new Map<Key, Version<T>[]>();
    for (const version of versions) {
      const list = byKey.get(version.k);
      if (list) list.push(version);
      else byKey.set(version.k, [version]);
    }
    const heads = new Map<Key, Head<T>>();
    for (const [k, list] of byKey) {
      const top = (list[0] as Version<T>).v;
      let current: Version<T> | null = null;
      for (const version of list) {
        if (version.tx === undefined || (await this.counts(version, strict))) {
          current = version;
          break;
        }
      }
      heads.set(k, { current: current && !current.gone ? stripped(current) : null, next: top + 1 });
    }
    return heads;
  }

  /** Whether a version of a change counts: its change committed. */
  private async counts(version: Version<T>, strict: boolean): Promise<boolean> {
    const tx = version.tx as string;
    const deadline = Date.now() + READ_WAIT_MS;
    for (let round = 0; ; round++) {
      const state = await this.decisions.stateOf(tx);
      if (state === 'committed') return true;
      if (state === 'aborted') return false;
      // No decision: undecided, or committed and made plain since this version was read (the
      // decision is removed last). The version itself tells.
      const now = await this.coll.findOne({ _id: version._id } as unknown as Filter<Document>, { projection: { tx: 1 } });
      if (now && now.tx === undefined) return true;
      if (!now) return false;
      if (Date.now() - version.at > STALE_MS) {
        await this.decisions.abort(tx);
        return (await this.decisions.stateOf(tx)) === 'committed';
      }
      if (Date.now() > deadline) {
        if (strict) throw new ConflictError(`${this.name} ${version.k} is being changed`);
        return false;
      }
      await delay(Math.min(2 * 2 ** round, 100));
    }
  }
}

function stripped<T>(version: Version<T>): Version<T> {
  if (version.tx === undefined && version.undecided === undefined) return version;
  const { tx: _tx, undecided: _undecided, ...rest } = version;
  return rest as Version<T>;
}
