/**
 * Schema of the SQLite store, as an ordered list of migrations. The schema
 * version is `PRAGMA user_version`: migration N (0-based) upgrades a database
 * at version N to N+1. Append only: never edit a migration that has shipped,
 * add a new one instead, since existing databases have already run the old one.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  /** Shown in errors, so a failed upgrade says which step broke. */
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'meta, users, tokens, jobs, idempotency',
    up(db) {
      // STRICT: a wrong type bound by a bug fails loudly instead of being stored.
      db.exec(`
        CREATE TABLE meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE users (
          name TEXT PRIMARY KEY,
          uid INTEGER NOT NULL,
          gid INTEGER NOT NULL,
          home TEXT NOT NULL,
          admin INTEGER NOT NULL CHECK (admin IN (0, 1)),
          created_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE tokens (
          hash TEXT PRIMARY KEY,
          user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
          label TEXT NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX tokens_user ON tokens(user_name);

        -- AUTOINCREMENT so an id is never handed out twice, even after the
        -- newest jobs are purged: clients and DRMAA sessions keep old ids.
        -- doc is the whole job (without id) as JSON; the other columns copy the
        -- fields that queries filter on, and are kept in sync with doc.
        CREATE TABLE jobs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          state TEXT NOT NULL,
          user_name TEXT NOT NULL,
          project TEXT NOT NULL,
          session TEXT,
          name TEXT NOT NULL,
          parent_id INTEGER,
          submitted_at TEXT NOT NULL,
          doc TEXT NOT NULL
        ) STRICT;
        -- (column, id): every list is ordered by id, so filter and order come
        -- from one index walk, with no sort.
        CREATE INDEX jobs_state ON jobs(state, id);
        CREATE INDEX jobs_user ON jobs(user_name, id);
        CREATE INDEX jobs_project ON jobs(project, id);
        CREATE INDEX jobs_session ON jobs(session, id);
        CREATE INDEX jobs_parent ON jobs(parent_id, id);
        CREATE INDEX jobs_name ON jobs(name);

        CREATE TABLE idempotency (
          user_name TEXT NOT NULL,
          key TEXT NOT NULL,
          job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
          created_at TEXT NOT NULL,
          PRIMARY KEY (user_name, key)
        ) STRICT;
      `);
    },
  },
];

/** The version a fully migrated database reports in `PRAGMA user_version`. */
export const SCHEMA_VERSION = MIGRATIONS.length;
