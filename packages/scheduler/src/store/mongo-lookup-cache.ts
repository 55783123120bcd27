/**
 * The MongoDB store's answers to the lookups every request makes (the user of a token, the
 * project of a submit), the counterpart of the SQLite store's LookupCache. Several daemons
 * share the database, and it tells no one of a commit: every write to users, tokens, projects
 * or members (made through `writing()`) leaves a new mark in `meta`, and each daemon reads
 * the mark again at most every `checkEveryMs`, forgetting its answers when it moved. A token
 * revoked through one daemon stops working on the others within that time.
 * Found values only, frozen, as in LookupCache.
 */
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { deepFreeze, MAX_LOOKUP_ENTRIES } from './lookup-cache.js';

const MARK_ID = 'accountsMark';

export class MongoLookupCache {
  readonly #meta: Collection<{ _id: string; value: string }>;
  readonly #checkEveryMs: number;
  readonly #entries = new Map<string, unknown>();
  #mark: string | null = null;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #checking: Promise<void> | null = null;
  /** Moves with every write of this store: an answer loaded across one is not kept. */
  #generation = 0;

  constructor(meta: Collection<{ _id: string; value: string }>, checkEveryMs = 250) {
    this.#meta = meta;
    this.#checkEveryMs = checkEveryMs;
  }

  async get<T extends object>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    await this.#check();
    const cached = this.#entries.get(key) as T | undefined;
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const value = await load();
    if (value === null || generation !== this.#generation) return value;
    if (this.#entries.size >= MAX_LOOKUP_ENTRIES) this.#entries.clear();
    this.#entries.set(key, deepFreeze(value));
    return value;
  }

  /** Runs a write whose changes a cached answer may hold; forgets every answer and tells the other daemons, even when it failed midway. */
  async writing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.#forget();
      const mark = randomUUID();
      await this.#meta.updateOne({ _id: MARK_ID }, { $set: { value: mark } }, { upsert: true }).catch(() => {
        // Lost: the other daemons keep their answers until a later write moves the mark.
      });
    }
  }

  #forget(): void {
    this.#entries.clear();
    this.#generation++;
  }

  async #check(): Promise<void> {
    if (performance.now() - this.#checkedAt < this.#checkEveryMs) return;
    // Requests arriving together share one read of the mark.
    this.#checking ??= (async () => {
      try {
        const mark = (await this.#meta.findOne({ _id: MARK_ID }))?.value ?? null;
        if (mark !== this.#mark) {
          this.#forget();
          this.#mark = mark;
        }
        this.#checkedAt = performance.now();
      } finally {
        this.#checking = null;
      }
    })();
    await this.#checking;
  }
}
