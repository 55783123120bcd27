/**
 * Answers of the lookups every request makes (the user of a token, the project of a
 * submit), kept until anything they read may have changed: a write of this store to
 * users, tokens, projects or members (made through `writing()`), or a commit by any other
 * connection to the database (`PRAGMA data_version` moves). Found values only: a miss
 * (an unknown token) is asked again, so that guessing cannot fill the cache.
 *
 * Values are frozen: a caller that changed one would change every later answer.
 */
import type Database from 'better-sqlite3';

/** Distinct tokens and projects a daemon sees are few; past this the cache starts over. */
export const MAX_LOOKUP_ENTRIES = 10_000;

export class LookupCache {
  readonly #dataVersion: Database.Statement<[], number>;
  #version = -1;
  /** The version was read in this turn of the event loop: what other connections committed since is as if it came next turn. */
  #checked = false;
  readonly #entries = new Map<string, unknown>();

  constructor(db: Database.Database) {
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  get<T extends object>(key: string, load: () => T | null): T | null {
    if (!this.#checked) this.#check();
    const cached = this.#entries.get(key) as T | undefined;
    if (cached !== undefined) return cached;
    const value = load();
    if (value === null) return null;
    if (this.#entries.size >= MAX_LOOKUP_ENTRIES) this.#entries.clear();
    this.#entries.set(key, deepFreeze(value));
    return value;
  }

  #check(): void {
    const version = this.#dataVersion.get() as number;
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
    }
    this.#checked = true;
    setImmediate(() => {
      this.#checked = false;
    }).unref();
  }

  /** Runs a write whose changes a cached answer may hold, and forgets every answer after it (even one that failed midway). */
  writing<T>(write: () => T): T {
    try {
      return write();
    } finally {
      this.#entries.clear();
    }
  }
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
