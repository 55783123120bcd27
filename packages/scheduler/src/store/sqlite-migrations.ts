/**
 * Schema of the SQLite store, as an ordered list of migrations. The schema
 * version is `PRAGMA user_version`: migration N (0-based) upgrades a database
 * at version N to N+1. Append only: never edit a migration that has shipped,
 * add a new one instead, since existing databases have already run the old one.
 */
import { DEFAULT_PROJECT, type JobState } from '@godocker/sdk';
import type Database from 'better-sqlite3';
import { settleArrayParent, type TaskCounts } from './array-parent.js';
import type { NewJob } from './store.js';

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
  {
    description: 'projects, members, user priority and quota, fair-share usage, cpu-time buckets',
    up(db) {
      // Quotas are JSON objects holding only the limits that apply ('{}' = none).
      db.exec(`
        ALTER TABLE users ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN quota TEXT NOT NULL DEFAULT '{}';

        CREATE TABLE projects (
          name TEXT PRIMARY KEY,
          description TEXT NOT NULL,
          shares INTEGER NOT NULL CHECK (shares >= 0),
          priority INTEGER NOT NULL,
          quota TEXT NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;

        -- user_name, as in tokens and jobs. Deleting a project or a user takes
        -- its memberships with it.
        CREATE TABLE project_members (
          project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
          user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
          shares INTEGER NOT NULL CHECK (shares >= 0),
          PRIMARY KEY (project, user_name)
        ) STRICT;
        -- "Which projects is alice in", asked on every listing by a user.
        CREATE INDEX project_members_user ON project_members(user_name, project);

        -- No foreign keys on usage: what a former member used keeps counting
        -- against the project, and an admin may reset it at any time.
        CREATE TABLE usage (
          project TEXT NOT NULL,
          user_name TEXT NOT NULL,
          units REAL NOT NULL,
          updated_at TEXT NOT NULL,
          PRIMARY KEY (project, user_name)
        ) STRICT;

        CREATE TABLE usage_buckets (
          project TEXT NOT NULL,
          user_name TEXT NOT NULL,
          bucket_start INTEGER NOT NULL,
          cpu_seconds REAL NOT NULL,
          PRIMARY KEY (project, user_name, bucket_start)
        ) STRICT;
        -- The rolling window reads buckets by time, across every project and user.
        CREATE INDEX usage_buckets_start ON usage_buckets(bucket_start);
      `);
      const now = new Date().toISOString();
      const insertProject = db.prepare<[string, string, string]>(
        `INSERT OR IGNORE INTO projects (name, description, shares, priority, quota, created_at) VALUES (?, ?, 1, 0, '{}', ?)`,
      );
      insertProject.run(DEFAULT_PROJECT, 'every user belongs here; jobs that name no project go here', now);
      db.prepare(`INSERT INTO project_members (project, user_name, shares) SELECT ?, name, 1 FROM users`).run(DEFAULT_PROJECT);
      // Before projects existed, a job could name any project. Each such
      // project is created, with the users who submitted to it as members, so
      // an upgraded daemon goes on scheduling and accounting its queued jobs.
      for (const { project } of db.prepare<[], { project: string }>('SELECT DISTINCT project FROM jobs').all()) {
        insertProject.run(project, '', now);
      }
      db.exec(`
        INSERT OR IGNORE INTO project_members (project, user_name, shares)
        SELECT DISTINCT jobs.project, jobs.user_name, 1 FROM jobs JOIN users ON users.name = jobs.user_name
      `);
    },
  },
  {
    description: 'job sessions and the reaped mark of jobs',
    up(db) {
      // Sessions are per user (two users may each have "default"); jobs name
      // theirs in jobs.session, as they always did. reaped_at is the DRMAA
      // reaping: set by the session wait that returned the job, it takes the
      // job out of its session's waits without deleting its record.
      db.exec(`
        CREATE TABLE sessions (
          user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
          name TEXT NOT NULL,
          kind TEXT NOT NULL,
          created_at TEXT NOT NULL,
          PRIMARY KEY (user_name, name)
        ) STRICT;

        ALTER TABLE jobs ADD COLUMN reaped_at TEXT;
      `);
    },
  },
  {
    description: 'what an idempotent submit asked, to tell a retry from a reuse of its key',
    up(db) {
      // NULL for keys recorded before: any body is taken as their retry, as it was then.
      db.exec('ALTER TABLE idempotency ADD COLUMN fingerprint TEXT;');
    },
  },
  {
    description: 'an index for every job list filter; array task counts recounted',
    up(db) {
      // Every list is ordered by id, so each index is (the filter's columns, id): the
      // rowid ends every index, and an equality on the others leaves the walk in id
      // order, stopping at the page's end. The combinations are those a user's own
      // listing makes (user and one more filter). array_parent is set once, at insert.
      db.exec(`
        ALTER TABLE jobs ADD COLUMN array_parent INTEGER NOT NULL DEFAULT 0 CHECK (array_parent IN (0, 1));
        UPDATE jobs SET array_parent = 1 WHERE json_extract(doc, '$.array') IS NOT NULL;

        CREATE INDEX jobs_user_state ON jobs(user_name, state);
        CREATE INDEX jobs_project_state ON jobs(project, state);
        CREATE INDEX jobs_parent_state ON jobs(parent_id, state);
        CREATE INDEX jobs_user_project ON jobs(user_name, project);
        CREATE INDEX jobs_user_name ON jobs(user_name, name);
        CREATE INDEX jobs_user_session ON jobs(user_name, session);
        CREATE INDEX jobs_array_parent ON jobs(array_parent);
        -- A session wait asks for the session's jobs not yet reaped: one walk however
        -- many it has reaped. Queries write the same expression to use them.
        CREATE INDEX jobs_reaped ON jobs((reaped_at IS NOT NULL));
        CREATE INDEX jobs_user_session_reaped ON jobs(user_name, session, (reaped_at IS NOT NULL));

        -- One row per tag of a job (tags never change after submit), with the owner,
        -- so that a tag, or a user's tag, is one walk in job id order.
        CREATE TABLE job_tags (
          tag TEXT NOT NULL,
          job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
          user_name TEXT NOT NULL,
          PRIMARY KEY (tag, job_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX job_tags_user ON job_tags(user_name, tag);
        CREATE INDEX job_tags_job ON job_tags(job_id);
        INSERT OR IGNORE INTO job_tags (tag, job_id, user_name)
          SELECT json_each.value, jobs.id, jobs.user_name FROM jobs, json_each(jobs.doc, '$.meta.tags')
          WHERE json_each.type = 'text';
      `);
      // From now on the store moves an array's counts with each task's change, in the
      // same transaction. Before, they were recounted after the change, so a crash in
      // between left them behind: start from a true count.
      const count = db.prepare<[number], { state: JobState; n: number }>(
        'SELECT state, COUNT(*) AS n FROM jobs WHERE parent_id = ? GROUP BY state',
      );
      const write = db.prepare<[string, string, number]>('UPDATE jobs SET state = ?, doc = ? WHERE id = ?');
      const now = new Date().toISOString();
      for (const row of db.prepare<[], { id: number; doc: string }>('SELECT id, doc FROM jobs WHERE array_parent = 1').all()) {
        const parent = JSON.parse(row.doc) as NewJob;
        const counts: TaskCounts = {};
        for (const { state, n } of count.all(row.id)) counts[state] = n;
        const settled = settleArrayParent(parent, counts, now);
        const doc = JSON.stringify(settled);
        if (doc !== row.doc) write.run(settled.status.state, doc, row.id);
      }
    },
  },
  {
    description: 'partial indexes: only tasks in the array indexes, only session jobs in the session indexes',
    up(db) {
      // Every index a row is in costs its insert and each of its state changes a page
      // written at commit. Most jobs are neither a task nor in a DRMAA session, and a
      // filter on either (`parent_id = ?`, `session = ?`) implies the column is set,
      // so SQLite still walks these for them.
      db.exec(`
        DROP INDEX jobs_parent;
        DROP INDEX jobs_parent_state;
        DROP INDEX jobs_session;
        DROP INDEX jobs_user_session;
        DROP INDEX jobs_user_session_reaped;
        CREATE INDEX jobs_parent ON jobs(parent_id, id) WHERE parent_id IS NOT NULL;
        CREATE INDEX jobs_parent_state ON jobs(parent_id, state) WHERE parent_id IS NOT NULL;
        CREATE INDEX jobs_session ON jobs(session, id) WHERE session IS NOT NULL;
        CREATE INDEX jobs_user_session ON jobs(user_name, session) WHERE session IS NOT NULL;
        CREATE INDEX jobs_user_session_reaped ON jobs(user_name, session, (reaped_at IS NOT NULL)) WHERE session IS NOT NULL;
      `);
    },
  },
  {
    description: 'drained nodes: what an admin drained stays drained across restarts',
    up(db) {
      // Only drained nodes have a row: the executor says which nodes exist, the admin which take no new job.
      db.exec(`
        CREATE TABLE drained_nodes (
          name TEXT PRIMARY KEY,
          reason TEXT NOT NULL,
          by_user TEXT NOT NULL,
          at TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    description: 'ssh keys: the public keys a user logs in to the SSH gateway with',
    up(db) {
      db.exec(`
        CREATE TABLE ssh_keys (
          user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
          id TEXT NOT NULL,
          type TEXT NOT NULL,
          fingerprint TEXT NOT NULL,
          comment TEXT NOT NULL,
          public_key TEXT NOT NULL,
          created_at TEXT NOT NULL,
          PRIMARY KEY (user_name, id)
        ) STRICT;
      `);
    },
  },
  {
    description: 'directory users (mail, from_directory); token ids, expiry and last use',
    up(db) {
      // A token's id is the start of its hash (tokenIdOf): tokens made before get theirs here.
      db.exec(`
        ALTER TABLE users ADD COLUMN mail TEXT;
        ALTER TABLE users ADD COLUMN from_directory INTEGER NOT NULL DEFAULT 0 CHECK (from_directory IN (0, 1));
        ALTER TABLE tokens ADD COLUMN id TEXT;
        ALTER TABLE tokens ADD COLUMN expires_at TEXT;
        ALTER TABLE tokens ADD COLUMN last_used_at TEXT;
        UPDATE tokens SET id = 'tok_' || substr(hash, 1, 16);
        CREATE UNIQUE INDEX tokens_id ON tokens(id);
      `);
    },
  },
  {
    description: 'the notification outbox',
    up(db) {
      // No foreign key to jobs: what was told of a job stays told if the job is ever purged.
      db.exec(`
        CREATE TABLE notifications (
          id TEXT PRIMARY KEY,
          job_id INTEGER NOT NULL,
          channel TEXT NOT NULL CHECK (channel IN ('mail', 'webhook')),
          payload TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
          attempts INTEGER NOT NULL,
          next_attempt_at TEXT NOT NULL,
          last_error TEXT,
          created_at TEXT NOT NULL,
          done_at TEXT
        ) STRICT;
        -- Only what is still to send: the leader's poll reads a handful, however long the history.
        CREATE INDEX notifications_pending ON notifications(created_at, id) WHERE status = 'pending';
        CREATE INDEX notifications_job ON notifications(job_id);
      `);
    },
  },
  {
    description: 'the notification outbox: an index of what was delivered or given up, for its purge',
    up(db) {
      db.exec(`CREATE INDEX notifications_done ON notifications(done_at) WHERE status != 'pending';`);
    },
  },
  {
    description: "jobs' sampled usage: totals and a bounded series",
    up(db) {
      // Apart from the job's row: it is rewritten at every save while the job runs, and a list of jobs never reads it.
      db.exec(`
        CREATE TABLE job_usage (
          job_id INTEGER PRIMARY KEY,
          doc TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
];

/** The version a fully migrated database reports in `PRAGMA user_version`. */
export const SCHEMA_VERSION = MIGRATIONS.length;
