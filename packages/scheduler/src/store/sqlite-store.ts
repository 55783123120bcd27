/**
 * The embedded default store: one SQLite file through better-sqlite3, in WAL
 * mode so API reads never wait behind the scheduler's writes.
 *
 * better-sqlite3 is synchronous; the methods are async only to honour the
 * Store interface (a networked store cannot be synchronous). Each method runs
 * to completion without yielding, so no two calls of this process interleave
 * inside a transaction.
 */

import { chmodSync, closeSync, openSync } from 'node:fs';
import {
  DEFAULT_PROJECT,
  ErrorCodes,
  GodockerError,
  type Job,
  type JobState,
  mergeQuota,
  NotFoundError,
  type Project,
  type Session,
  type SessionKind,
  type SshKey,
} from '@godocker/sdk';
import Database from 'better-sqlite3';
import { moveTask, settleArrayParent, type TaskCounts } from './array-parent.js';
import { applyJobChange } from './job-change.js';
import { LookupCache } from './lookup-cache.js';
import {
  COUNT_BY_PROJECT_STATE_SQL,
  COUNT_PARENTS_BY_PROJECT_STATE_SQL,
  countQuery,
  idsQuery,
  jobsQuery,
  listQuery,
  type Param,
  QUEUED_JOBS_SQL,
} from './sqlite-job-queries.js';
import { MIGRATIONS, SCHEMA_VERSION } from './sqlite-migrations.js';
import { SqliteNotifications } from './sqlite-notifications.js';
import { isConstraint, parseQuota, SqliteProjects } from './sqlite-projects.js';
import { publicView, sshKeyExists, sshKeyMissing } from './ssh-key-errors.js';
import type {
  CpuTimeRow,
  DrainedNode,
  InsertBatchRequest,
  InsertBatchResult,
  InsertRequest,
  InsertResult,
  JobChange,
  JobFilter,
  JobPage,
  JobUpdate,
  JobUsageRecord,
  NewJob,
  NewProject,
  NewTokenOptions,
  NewUser,
  NotificationPatch,
  NotificationRecord,
  PageRequest,
  ProjectPatch,
  ProjectStateCount,
  QueuedJob,
  Store,
  StoredSshKey,
  StoredToken,
  StoredUser,
  UsageRow,
  UserPatch,
  WaitingLimit,
} from './store.js';
import { tokenIdOf } from './store.js';
import { expandTask, type Inherited, inheritedOf, inheritsFields, TaskCompactor } from './task-doc.js';
import { checkWaitingLimit, countUpTo } from './waiting-limit.js';
import { BACKSTOP_PAGES, WalCheckpointer } from './wal-checkpointer.js';

interface JobRow {
  id: number;
  parent_id: number | null;
  doc: string;
}

interface UserRow {
  name: string;
  uid: number;
  gid: number;
  home: string;
  admin: number;
  created_at: string;
  priority: number;
  quota: string;
  mail: string | null;
  from_directory: number;
}

interface TokenRow {
  id: string;
  hash: string;
  user_name: string;
  label: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

/** A row of `ssh_keys` (read by the store, and by `admin migrate` copying a site). */
export interface SshKeyRow {
  user_name: string;
  id: string;
  type: string;
  fingerprint: string;
  comment: string;
  public_key: string;
  created_at: string;
}

interface SessionRow {
  user_name: string;
  name: string;
  kind: string;
  created_at: string;
}

/** Arrays whose shared fields are kept at hand for reading their tasks. */
const PARENTS_CACHED = 256;

function prepareStatements(db: Database.Database) {
  return {
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    // substr, not LIKE: a prefix holding % or _ means itself.
    listMeta: db.prepare<[string, string], { key: string; value: string }>(
      'SELECT key, value FROM meta WHERE substr(key, 1, length(?)) = ? ORDER BY key',
    ),
    setMeta: db.prepare<[string, string]>(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    insertUser: db.prepare<[string, number, number, string, number, string, number, string, string | null, number]>(
      `INSERT INTO users (name, uid, gid, home, admin, created_at, priority, quota, mail, from_directory)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateUser: db.prepare<[number, number, string, number, number, string, string | null, string]>(
      'UPDATE users SET admin = ?, priority = ?, quota = ?, uid = ?, gid = ?, home = ?, mail = ? WHERE name = ?',
    ),
    getUser: db.prepare<[string], UserRow>('SELECT * FROM users WHERE name = ?'),
    listUsers: db.prepare<[], UserRow>('SELECT * FROM users ORDER BY name'),
    countUsers: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM users'),
    insertToken: db.prepare<[string, string, string, string, string, string | null]>(
      'INSERT INTO tokens (id, hash, user_name, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    tokenByHash: db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE hash = ?'),
    tokenById: db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE id = ?'),
    tokensOfUser: db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE user_name = ? ORDER BY created_at, id'),
    deleteToken: db.prepare<[string]>('DELETE FROM tokens WHERE id = ?'),
    touchToken: db.prepare<[string, string]>('UPDATE tokens SET last_used_at = ? WHERE id = ?'),
    insertJob: db.prepare<[string, string, string, string | null, string, number | null, string, string, number]>(
      `INSERT INTO jobs (state, user_name, project, session, name, parent_id, submitted_at, doc, array_parent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertTag: db.prepare<[string, number, string]>('INSERT OR IGNORE INTO job_tags (tag, job_id, user_name) VALUES (?, ?, ?)'),
    getJob: db.prepare<[number], JobRow>('SELECT id, parent_id, doc FROM jobs WHERE id = ?'),
    queuedJobs: db.prepare<[number, number], { id: number; parent_id: number | null; submitted_at: string; doc: string | null }>(
      QUEUED_JOBS_SQL,
    ),
    updateJob: db.prepare<[string, string, number]>('UPDATE jobs SET state = ?, doc = ? WHERE id = ?'),
    // No state change: the indexes that hold the state stay as they are.
    updateDoc: db.prepare<[string, number]>('UPDATE jobs SET doc = ? WHERE id = ?'),
    countByProjectState: db.prepare<[], { project: string; state: JobState; n: number }>(COUNT_BY_PROJECT_STATE_SQL),
    countParentsByProjectState: db.prepare<[], { project: string; state: JobState; n: number }>(
      COUNT_PARENTS_BY_PROJECT_STATE_SQL,
    ),
    countTasks: db.prepare<[number], { state: JobState; n: number }>(
      'SELECT state, COUNT(*) AS n FROM jobs WHERE parent_id = ? GROUP BY state',
    ),
    findIdempotent: db.prepare<[string, string], { job_id: number; fingerprint: string | null }>(
      'SELECT job_id, fingerprint FROM idempotency WHERE user_name = ? AND key = ?',
    ),
    insertIdempotent: db.prepare<[string, string, number, string, string | null]>(
      'INSERT INTO idempotency (user_name, key, job_id, created_at, fingerprint) VALUES (?, ?, ?, ?, ?)',
    ),
    // A batch's jobs: its first one and the top-level jobs after it, inserted in the same transaction.
    batchJobs: db.prepare<[number, string, string, number], JobRow>(
      'SELECT id, parent_id, doc FROM jobs WHERE id >= ? AND parent_id IS NULL AND user_name = ? AND submitted_at = ? ORDER BY id LIMIT ?',
    ),
    // Counted up to a bound (countUpTo) along the index that holds the state: a quota check costs the same however long the queue.
    waitingOfUser: db.prepare<[string, number], { n: number }>(
      "SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs INDEXED BY jobs_user_state WHERE user_name = ? AND state IN ('pending', 'held') LIMIT ?)",
    ),
    waitingOfProject: db.prepare<[string, number], { n: number }>(
      "SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs INDEXED BY jobs_project_state WHERE project = ? AND state IN ('pending', 'held') LIMIT ?)",
    ),
    insertSshKey: db.prepare<[string, string, string, string, string, string, string]>(
      'INSERT INTO ssh_keys (user_name, id, type, fingerprint, comment, public_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    listSshKeys: db.prepare<[string], SshKeyRow>('SELECT * FROM ssh_keys WHERE user_name = ? ORDER BY created_at, id'),
    deleteSshKey: db.prepare<[string, string]>('DELETE FROM ssh_keys WHERE user_name = ? AND id = ?'),
    insertSession: db.prepare<[string, string, string, string]>(
      'INSERT INTO sessions (user_name, name, kind, created_at) VALUES (?, ?, ?, ?)',
    ),
    getSession: db.prepare<[string, string], SessionRow>('SELECT * FROM sessions WHERE user_name = ? AND name = ?'),
    listSessions: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE user_name = ? ORDER BY name'),
    deleteSession: db.prepare<[string, string]>('DELETE FROM sessions WHERE user_name = ? AND name = ?'),
    // json_set with an SQL NULL writes a JSON null: the document keeps matching the Job schema.
    detachSessionJobs: db.prepare<[string, string]>(
      "UPDATE jobs SET session = NULL, doc = json_set(doc, '$.session', NULL) WHERE user_name = ? AND session = ?",
    ),
    reapJob: db.prepare<[string, number]>('UPDATE jobs SET reaped_at = ? WHERE id = ? AND reaped_at IS NULL'),
    drainNode: db.prepare<[string, string, string, string]>(
      `INSERT INTO drained_nodes (name, reason, by_user, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET reason = excluded.reason, by_user = excluded.by_user, at = excluded.at`,
    ),
    resumeNode: db.prepare<[string]>('DELETE FROM drained_nodes WHERE name = ?'),
    drainedNodes: db.prepare<[], DrainedNode>('SELECT name, reason, by_user AS by, at FROM drained_nodes ORDER BY name'),
    saveJobUsage: db.prepare<[number, string]>(
      'INSERT INTO job_usage (job_id, doc) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET doc = excluded.doc',
    ),
    getJobUsage: db.prepare<[number], { doc: string }>('SELECT doc FROM job_usage WHERE job_id = ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

interface PlannedUpdate {
  row: JobRow;
  doc: NewJob;
  next: NewJob;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** Prepared on first use: the tables they name exist only after `migrate()`. */
  private statements: Statements | null = null;
  /** Filtered queries differ by which filters are set; each shape is prepared once. */
  private readonly jobQueries = new Map<string, Database.Statement<Param[], JobRow>>();
  private readonly countQueries = new Map<string, Database.Statement<Param[], { state: JobState; n: number }>>();
  private readonly idQueries = new Map<string, Database.Statement<Param[], { id: number }>>();

  private readonly projects: SqliteProjects;
  private checkpointer: WalCheckpointer | null = null;
  private readonly lookups: LookupCache;
  private readonly notifications: SqliteNotifications;
  private readonly insertTransaction: Database.Transaction<(request: InsertRequest) => InsertResult>;
  private readonly eachTransaction: Database.Transaction<(requests: readonly InsertRequest[]) => (InsertResult | Error)[]>;
  /** What the tasks of recently read arrays take from their parent (it never changes). */
  private readonly parents = new Map<number, Inherited>();
  private readonly batchTransaction: Database.Transaction<(request: InsertBatchRequest) => InsertBatchResult>;
  private readonly addTasksTransaction: Database.Transaction<(parentId: number, tasks: readonly NewJob[]) => Job[]>;
  private readonly updateTransaction: Database.Transaction<
    (id: number, change: JobChange, expect?: { states: JobState[] }) => Job | null
  >;
  private readonly updateEachTransaction: Database.Transaction<(updates: readonly JobUpdate[]) => (Job | null | Error)[]>;

  private constructor(db: Database.Database) {
    this.db = db;
    this.projects = new SqliteProjects(db);
    this.notifications = new SqliteNotifications(db);
    this.lookups = new LookupCache(db);
    this.insertTransaction = db.transaction((request: InsertRequest) => this.insertInTransaction(request));
    this.eachTransaction = db.transaction((requests: readonly InsertRequest[]) => this.insertEachInTransaction(requests));
    this.batchTransaction = db.transaction((request: InsertBatchRequest) => this.insertBatchInTransaction(request));
    this.addTasksTransaction = db.transaction((parentId: number, tasks: readonly NewJob[]) =>
      this.addTasksInTransaction(parentId, tasks),
    );
    this.updateTransaction = db.transaction((id: number, change: JobChange, expect?: { states: JobState[] }) =>
      this.updateInTransaction(id, change, expect),
    );
    this.updateEachTransaction = db.transaction((updates: readonly JobUpdate[]) => this.updateEachInTransaction(updates));
  }

  /**
   * Opens (creating if needed) the database at `path`; `':memory:'` for a throwaway one.
   * `backgroundCheckpoints`: the WAL is checkpointed by a worker thread (wal-checkpointer.ts),
   * not in the commits of this connection (the daemon's choice).
   */
  static open(path: string, options: { backgroundCheckpoints?: boolean } = {}): SqliteStore {
    if (path !== ':memory:') ownerOnly(path);
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      // Safe with WAL: a crash may lose the last commits but never corrupts.
      db.pragma('synchronous = NORMAL');
      // Another process (a CLI run against the same file) may hold the write lock briefly.
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      db.close();
      throw e;
    }
    const store = new SqliteStore(db);
    if (options.backgroundCheckpoints && path !== ':memory:') {
      db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
      store.checkpointer = new WalCheckpointer(path);
    }
    return store;
  }

  async migrate(): Promise<void> {
    // IMMEDIATE: two daemons starting at once must not both run a migration.
    this.db
      .transaction(() => {
        const from = this.db.pragma('user_version', { simple: true }) as number;
        if (from > SCHEMA_VERSION) {
          throw new GodockerError(
            ErrorCodes.CONFIG_INVALID,
            `the database ${this.db.name} has schema version ${from}, newer than this GoDocker knows (${SCHEMA_VERSION}): upgrade GoDocker`,
          );
        }
        for (const [version, migration] of MIGRATIONS.entries()) {
          if (version < from) continue;
          try {
            migration.up(this.db);
          } catch (e) {
            throw new GodockerError(
              ErrorCodes.INTERNAL,
              `database migration ${version + 1} (${migration.description}) failed: ${(e as Error).message}`,
              { cause: e },
            );
          }
        }
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    this.checkpointer = null;
    if (!this.db.open) return;
    // SQLite's advice for long-lived connections: refresh the planner's
    // statistics when closing, so combined filters pick the better index.
    this.db.pragma('optimize');
    this.db.close();
  }

  async getMeta(key: string): Promise<string | null> {
    return this.q.getMeta.get(key)?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.q.setMeta.run(key, value);
  }

  async listMeta(prefix: string): Promise<{ key: string; value: string }[]> {
    return this.q.listMeta.all(prefix, prefix);
  }

  async createUser(user: NewUser): Promise<void> {
    const insert = () => {
      const quota = JSON.stringify(mergeQuota({}, user.quota ?? {}));
      const { name, uid, gid, home, admin, createdAt } = user;
      const fromDirectory = user.fromDirectory ? 1 : 0;
      this.q.insertUser.run(
        name,
        uid,
        gid,
        home,
        admin ? 1 : 0,
        createdAt,
        user.priority ?? 0,
        quota,
        user.mail ?? null,
        fromDirectory,
      );
      this.projects.insertMembership(DEFAULT_PROJECT, name, 1);
    };
    try {
      this.lookups.writing(() => this.db.transaction(insert).immediate());
    } catch (e) {
      if (isConstraint(e, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new GodockerError(ErrorCodes.CONFLICT, `a user named "${user.name}" already exists`, { field: 'name' });
      }
      throw e;
    }
  }

  async updateUser(name: string, patch: UserPatch): Promise<StoredUser> {
    return this.lookups.writing(() => this.updateUserNow(name, patch));
  }

  private updateUserNow(name: string, patch: UserPatch): StoredUser {
    return this.db
      .transaction(() => {
        const row = this.q.getUser.get(name);
        if (!row) throw new NotFoundError(`no user named "${name}"`);
        const quota = patch.quota === undefined ? parseQuota(row.quota) : mergeQuota(parseQuota(row.quota), patch.quota);
        const admin = patch.admin === undefined ? row.admin : patch.admin ? 1 : 0;
        const mail = patch.mail === undefined ? row.mail : patch.mail;
        const { uid = row.uid, gid = row.gid, home = row.home } = patch;
        this.q.updateUser.run(admin, patch.priority ?? row.priority, JSON.stringify(quota), uid, gid, home, mail, name);
        return toUser(this.q.getUser.get(name) ?? row);
      })
      .immediate();
  }

  async getUser(name: string): Promise<StoredUser | null> {
    const row = this.q.getUser.get(name);
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<StoredUser[]> {
    return this.q.listUsers.all().map(toUser);
  }

  async countUsers(): Promise<number> {
    return this.q.countUsers.get()?.n ?? 0;
  }

  async addToken(userName: string, tokenHash: string, label: string, options: NewTokenOptions = {}): Promise<StoredToken> {
    const id = tokenIdOf(tokenHash);
    try {
      const createdAt = new Date().toISOString();
      this.lookups.writing(() => this.q.insertToken.run(id, tokenHash, userName, label, createdAt, options.expiresAt ?? null));
      return { id, user: userName, label, createdAt, expiresAt: options.expiresAt ?? null, lastUsedAt: null };
    } catch (e) {
      if (isConstraint(e, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw new NotFoundError(`no user named "${userName}"`);
      if (isConstraint(e, 'SQLITE_CONSTRAINT_PRIMARYKEY'))
        throw new GodockerError(ErrorCodes.CONFLICT, 'this token is already registered');
      throw e;
    }
  }

  async findToken(tokenHash: string): Promise<{ token: StoredToken; user: StoredUser } | null> {
    // A use recorded since is not written through writing(): the cached record may show an older lastUsedAt.
    return this.lookups.get(`token ${tokenHash}`, () => {
      const token = this.q.tokenByHash.get(tokenHash);
      const user = token ? this.q.getUser.get(token.user_name) : undefined;
      return token && user ? { token: toToken(token), user: toUser(user) } : null;
    });
  }

  async getToken(id: string): Promise<StoredToken | null> {
    const row = this.q.tokenById.get(id);
    return row ? toToken(row) : null;
  }

  async listTokens(userName: string): Promise<StoredToken[]> {
    return this.q.tokensOfUser.all(userName).map(toToken);
  }

  async deleteToken(id: string): Promise<boolean> {
    return this.lookups.writing(() => this.q.deleteToken.run(id).changes > 0);
  }

  async touchToken(id: string, at: string): Promise<void> {
    this.q.touchToken.run(at, id);
  }

  async insertJobs(request: InsertRequest): Promise<InsertResult> {
    // IMMEDIATE takes the write lock before the idempotency lookup, so two
    // retries racing from two processes cannot both miss it and both insert.
    return this.insertTransaction.immediate(request);
  }

  async insertEach(requests: readonly InsertRequest[]): Promise<(InsertResult | Error)[]> {
    if (requests.length === 0) return [];
    return this.eachTransaction.immediate(requests);
  }

  async insertBatch(request: InsertBatchRequest): Promise<InsertBatchResult> {
    if (request.submissions.length === 0) throw new GodockerError(ErrorCodes.INVALID_REQUEST, 'insertBatch needs a submission');
    for (const submission of request.submissions) checkSubmission(submission);
    return this.batchTransaction.immediate(request);
  }

  async findIdempotentBatch(user: string, key: string, fingerprint: string | undefined, count: number): Promise<Job[] | null> {
    return this.earlierBatch(user, key, fingerprint, count);
  }

  async getJob(id: number): Promise<Job | null> {
    return this.readJob(id);
  }

  async addArrayTasks(parentId: number, tasks: readonly NewJob[]): Promise<Job[]> {
    if (tasks.length === 0) return [];
    return this.addTasksTransaction.immediate(parentId, tasks);
  }

  async findIdempotent(user: string, key: string, fingerprint?: string): Promise<Job | null> {
    return this.earlierJob(user, key, fingerprint);
  }

  private earlierJob(user: string, key: string, fingerprint: string | undefined): Job | null {
    const earlier = this.q.findIdempotent.get(user, key);
    if (!earlier) return null;
    if (fingerprint !== undefined && earlier.fingerprint !== null && earlier.fingerprint !== fingerprint) {
      throw new GodockerError(
        ErrorCodes.IDEMPOTENCY_KEY_REUSED,
        `Idempotency-Key "${key}" was used for another request (job ${earlier.job_id}): a retry sends the same request, a new request needs a new key`,
        { field: 'header.idempotency-key' },
      );
    }
    return this.readJob(earlier.job_id);
  }

  /**
   * The idempotency record names the batch's first job; the others are the next top-level
   * jobs of the same user with the same submittedAt (one transaction, AUTOINCREMENT ids).
   */
  private earlierBatch(user: string, key: string, fingerprint: string | undefined, count: number): Job[] | null {
    const first = this.earlierJob(user, key, fingerprint);
    if (!first) return null;
    const jobs = this.q.batchJobs.all(first.id, user, first.status.submittedAt, count).map((row) => this.toJob(row));
    if (jobs.length !== count) {
      throw new GodockerError(
        ErrorCodes.CONFLICT,
        `Idempotency-Key "${key}" answered a batch of ${count} jobs, ${count - jobs.length} of which have since been purged: send the batch with a new key`,
        { field: 'header.idempotency-key' },
      );
    }
    return jobs;
  }

  async listJobs(filter: JobFilter, page: PageRequest): Promise<JobPage> {
    if (!Number.isInteger(page.limit) || page.limit < 1) {
      throw new GodockerError(ErrorCodes.INVALID_REQUEST, `page limit must be a positive integer, not ${page.limit}`, {
        field: 'limit',
      });
    }
    const query = listQuery(filter, page);
    if (query === null) return { jobs: [], nextCursor: null };
    // One row more than asked tells whether another page exists.
    const rows = this.jobQuery(query.sql).all(...query.params);
    const jobs = rows.slice(0, page.limit).map((row) => this.toJob(row));
    const last = jobs.at(-1);
    return { jobs, nextCursor: rows.length > page.limit && last ? last.id : null };
  }

  async jobsInStates(states: JobState[]): Promise<Job[]> {
    const query = jobsQuery({ states });
    if (query === null) return [];
    return this.jobQuery(query.sql)
      .all(...query.params)
      .map((row) => this.toJob(row));
  }

  async queuedJobs(afterId: number, limit: number): Promise<QueuedJob[]> {
    return this.q.queuedJobs.all(afterId, limit).map((r) => ({
      id: r.id,
      parentId: r.parent_id,
      submittedAt: r.submitted_at,
      job: r.doc === null ? null : this.toJob({ id: r.id, parent_id: r.parent_id, doc: r.doc }),
    }));
  }

  async countByState(filter: JobFilter): Promise<Partial<Record<JobState, number>>> {
    const query = countQuery(filter);
    if (query === null) return {};
    let statement = this.countQueries.get(query.sql);
    if (!statement) {
      statement = this.db.prepare<Param[], { state: JobState; n: number }>(query.sql);
      this.countQueries.set(query.sql, statement);
    }
    const counts: Partial<Record<JobState, number>> = {};
    for (const { state, n } of statement.all(...query.params)) counts[state] = n;
    return counts;
  }

  async countByProjectState(): Promise<ProjectStateCount[]> {
    const key = (project: string, state: JobState) => `${state}\u0000${project}`;
    const parents = new Map<string, number>();
    for (const r of this.q.countParentsByProjectState.all()) parents.set(key(r.project, r.state), r.n);
    const out: ProjectStateCount[] = [];
    for (const r of this.q.countByProjectState.all()) {
      const count = r.n - (parents.get(key(r.project, r.state)) ?? 0);
      if (count > 0) out.push({ project: r.project, state: r.state, count });
    }
    return out;
  }

  async updateJob(id: number, change: JobChange, expect?: { states: JobState[] }): Promise<Job | null> {
    // IMMEDIATE: the read and the write are one compare-and-set, even against
    // another process writing the same file.
    return this.updateTransaction.immediate(id, change, expect);
  }

  async updateEach(updates: readonly JobUpdate[]): Promise<(Job | null | Error)[]> {
    if (updates.length === 0) return [];
    return this.updateEachTransaction.immediate(updates);
  }

  async drainNode(node: DrainedNode): Promise<DrainedNode> {
    this.q.drainNode.run(node.name, node.reason, node.by, node.at);
    return { ...node };
  }

  async resumeNode(name: string): Promise<boolean> {
    return this.q.resumeNode.run(name).changes > 0;
  }

  async drainedNodes(): Promise<DrainedNode[]> {
    return this.q.drainedNodes.all();
  }

  async saveJobUsage(records: readonly JobUsageRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.db.transaction(() => {
      for (const r of records) this.q.saveJobUsage.run(r.jobId, JSON.stringify(r));
    })();
  }

  async getJobUsage(jobId: number): Promise<JobUsageRecord | null> {
    const row = this.q.getJobUsage.get(jobId);
    return row ? (JSON.parse(row.doc) as JobUsageRecord) : null;
  }

  async endedJobsBefore(endedBefore: string, afterId: number, limit: number): Promise<Job[]> {
    // Hourly at most, over the ended jobs only (the state index): no column of its own is worth it.
    return this.jobQuery(
      `SELECT id, parent_id, doc FROM jobs WHERE state IN ('done', 'failed') AND id > ?
         AND json_extract(doc, '$.status.endedAt') < ? AND json_extract(doc, '$.status.archivedAt') IS NULL
       ORDER BY id LIMIT ?`,
    )
      .all(afterId, endedBefore, limit)
      .map((row) => this.toJob(row));
  }

  async listJobIds(filter: JobFilter): Promise<number[]> {
    const query = idsQuery(filter);
    if (query === null) return [];
    let statement = this.idQueries.get(query.sql);
    if (!statement) {
      statement = this.db.prepare<Param[], { id: number }>(query.sql);
      this.idQueries.set(query.sql, statement);
    }
    return statement.all(...query.params).map((r) => r.id);
  }

  async addSshKey(key: StoredSshKey): Promise<SshKey> {
    try {
      this.q.insertSshKey.run(key.user, key.id, key.type, key.fingerprint, key.comment, key.publicKey, key.createdAt);
    } catch (e) {
      if (isConstraint(e, 'SQLITE_CONSTRAINT_PRIMARYKEY')) throw sshKeyExists(key);
      if (isConstraint(e, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw new NotFoundError(`no user named "${key.user}"`);
      throw e;
    }
    return publicView(key);
  }

  async listSshKeys(user: string): Promise<StoredSshKey[]> {
    return this.q.listSshKeys.all(user).map(sshKeyOfRow);
  }

  async deleteSshKey(user: string, id: string): Promise<void> {
    if (this.q.deleteSshKey.run(user, id).changes === 0) throw sshKeyMissing(id);
  }

  async createSession(session: Session): Promise<Session> {
    try {
      this.q.insertSession.run(session.user, session.name, session.kind, session.createdAt);
    } catch (e) {
      if (isConstraint(e, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new GodockerError(ErrorCodes.CONFLICT, `you already have a session named "${session.name}"`, { field: 'name' });
      }
      if (isConstraint(e, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw new NotFoundError(`no user named "${session.user}"`);
      throw e;
    }
    return { ...session };
  }

  async getSession(user: string, name: string): Promise<Session | null> {
    const row = this.q.getSession.get(user, name);
    return row ? toSession(row) : null;
  }

  async listSessions(user: string): Promise<Session[]> {
    return this.q.listSessions.all(user).map(toSession);
  }

  async deleteSession(user: string, name: string): Promise<void> {
    this.db
      .transaction(() => {
        if (this.q.deleteSession.run(user, name).changes === 0) {
          throw new NotFoundError(`no session named "${name}"`, ErrorCodes.SESSION_NOT_FOUND);
        }
        this.q.detachSessionJobs.run(user, name);
      })
      .immediate();
  }

  async reapJobs(ids: readonly number[], at: string): Promise<number[]> {
    return this.db.transaction(() => ids.filter((id) => this.q.reapJob.run(at, id).changes === 1)).immediate();
  }

  async createProject(project: NewProject): Promise<Project> {
    return this.lookups.writing(() => this.projects.createProject(project));
  }

  async getProject(name: string): Promise<Project | null> {
    return this.lookups.get(`project ${name}`, () => this.projects.getProject(name));
  }

  async listProjects(): Promise<Project[]> {
    return this.projects.listProjects();
  }

  async projectsOfUser(user: string): Promise<Project[]> {
    return this.projects.projectsOfUser(user);
  }

  async isMember(project: string, user: string): Promise<boolean> {
    return this.projects.isMember(project, user);
  }

  async updateProject(name: string, patch: ProjectPatch): Promise<Project> {
    return this.lookups.writing(() => this.projects.updateProject(name, patch));
  }

  async deleteProject(name: string): Promise<void> {
    this.lookups.writing(() => this.projects.deleteProject(name));
  }

  async addMember(project: string, user: string, shares: number): Promise<Project> {
    return this.lookups.writing(() => this.projects.addMember(project, user, shares));
  }

  async updateMember(project: string, user: string, shares: number): Promise<Project> {
    return this.lookups.writing(() => this.projects.updateMember(project, user, shares));
  }

  async removeMember(project: string, user: string): Promise<Project> {
    return this.lookups.writing(() => this.projects.removeMember(project, user));
  }

  async getUsage(): Promise<UsageRow[]> {
    return this.projects.getUsage();
  }

  async saveUsage(rows: readonly UsageRow[]): Promise<void> {
    this.projects.saveUsage(rows);
  }

  async addCpuTime(project: string, user: string, bucketStart: number, cpuSeconds: number): Promise<void> {
    this.projects.addCpuTime(project, user, bucketStart, cpuSeconds);
  }

  async cpuTimeSince(sinceEpochSeconds: number): Promise<CpuTimeRow[]> {
    return this.projects.cpuTimeSince(sinceEpochSeconds);
  }

  async resetCpuTime(project?: string, user?: string): Promise<number> {
    return this.projects.resetCpuTime(project, user);
  }

  async addNotifications(records: readonly NotificationRecord[]): Promise<number> {
    return this.notifications.add(records);
  }

  async pendingNotifications(limit: number): Promise<NotificationRecord[]> {
    return this.notifications.pending(limit);
  }

  async updateNotification(id: string, patch: NotificationPatch): Promise<void> {
    this.notifications.update(id, patch);
  }

  async notificationsOfJob(jobId: number): Promise<NotificationRecord[]> {
    return this.notifications.ofJob(jobId);
  }

  async purgeNotifications(doneBefore: string): Promise<number> {
    return this.notifications.purge(doneBefore);
  }

  private get q(): Statements {
    this.statements ??= prepareStatements(this.db);
    return this.statements;
  }

  private jobQuery(sql: string): Database.Statement<Param[], JobRow> {
    let statement = this.jobQueries.get(sql);
    if (!statement) {
      statement = this.db.prepare<Param[], JobRow>(sql);
      this.jobQueries.set(sql, statement);
    }
    return statement;
  }

  private readJob(id: number): Job | null {
    const row = this.q.getJob.get(id);
    return row ? this.toJob(row) : null;
  }

  /** Runs inside the insert transaction: any throw rolls every row back. */
  private insertInTransaction(request: InsertRequest): InsertResult {
    return this.answerWithoutWriting(request) ?? this.writeInsert(request);
  }

  /**
   * No savepoint per insert: a savepoint makes SQLite copy every page it changes to a
   * sub-journal first, which costs more than the insert. What refuses one insert alone
   * (a reused key, a full quota, a malformed request) is known before it writes; a
   * failure while writing throws out of the whole group, and the caller retries its
   * inserts one by one.
   */
  private insertEachInTransaction(requests: readonly InsertRequest[]): (InsertResult | Error)[] {
    return requests.map((request) => {
      let earlier: InsertResult | null;
      try {
        earlier = this.answerWithoutWriting(request);
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
      return earlier ?? this.writeInsert(request);
    });
  }

  /** A retry's earlier answer, or null when the request is to be stored; throws its refusal. Writes nothing. */
  private answerWithoutWriting(request: InsertRequest): InsertResult | null {
    checkSubmission(request);
    const { idempotency } = request;
    if (idempotency) {
      const job = this.earlierJob(idempotency.user, idempotency.key, idempotency.fingerprint);
      if (job) return { job, created: false };
    }
    this.checkLimits(request.limits);
    return null;
  }

  private writeInsert({ jobs, isArray, idempotency }: InsertRequest): InsertResult {
    const job = this.insertSubmission(jobs, isArray);
    if (idempotency) {
      const { user, key, fingerprint } = idempotency;
      this.q.insertIdempotent.run(user, key, job.id, new Date().toISOString(), fingerprint ?? null);
    }
    return { job, created: true };
  }

  private insertBatchInTransaction({ submissions, idempotency, limits }: InsertBatchRequest): InsertBatchResult {
    if (idempotency) {
      const jobs = this.earlierBatch(idempotency.user, idempotency.key, idempotency.fingerprint, submissions.length);
      if (jobs) return { jobs, created: false };
    }
    this.checkLimits(limits);
    const jobs = submissions.map(({ jobs, isArray }) => this.insertSubmission(jobs, isArray));
    if (idempotency) {
      const { user, key, fingerprint } = idempotency;
      this.q.insertIdempotent.run(user, key, (jobs[0] as Job).id, new Date().toISOString(), fingerprint ?? null);
    }
    return { jobs, created: true };
  }

  /** Inside the insert's transaction, so that no other insert can take the places it counted as free. */
  private checkLimits(limits: readonly WaitingLimit[] | undefined): void {
    for (const limit of limits ?? []) {
      const count = limit.scope === 'user' ? this.q.waitingOfUser : this.q.waitingOfProject;
      checkWaitingLimit(limit, count.get(limit.name, countUpTo(limit))?.n ?? 0);
    }
  }

  /** One job, or an array's parent then its tasks; returns the first job as stored. */
  private insertSubmission(jobs: NewJob[], isArray: boolean): Job {
    const [first, ...rest] = jobs as [NewJob, ...NewJob[]];
    const stored = this.insertOne(first, first.parentId);
    const compactor = isArray ? new TaskCompactor(first) : null;
    for (const job of rest) this.insertOne(job, isArray ? stored.id : job.parentId, compactor);
    // The text just written rather than the input: the caller gets exactly what is stored.
    return { id: stored.id, ...(JSON.parse(stored.doc) as NewJob) };
  }

  private addTasksInTransaction(parentId: number, tasks: readonly NewJob[]): Job[] {
    const row = this.q.getJob.get(parentId);
    const parent = row ? (JSON.parse(row.doc) as NewJob) : null;
    if (!parent?.array) throw new NotFoundError(`no array job ${parentId} to add tasks to`, ErrorCodes.JOB_NOT_FOUND);
    const array = parent.array;
    const created = array.created ?? array.count;
    const expected = array.start + created * array.step;
    const first = tasks[0]?.taskIndex;
    if (first !== expected || created + tasks.length > array.count) {
      throw new GodockerError(
        ErrorCodes.CONFLICT,
        `array ${parentId} has ${created} of its ${array.count} tasks: the next is index ${expected}, not ${first} (another writer?)`,
      );
    }
    const counts: TaskCounts = { ...array.tasks };
    const compactor = new TaskCompactor(parent);
    const stored = tasks.map((task) => {
      const { id } = this.insertOne(task, parentId, compactor);
      counts[task.status.state] = (counts[task.status.state] ?? 0) + 1;
      return { ...task, id, parentId };
    });
    const grown: NewJob = { ...parent, array: { ...array, created: created + tasks.length } };
    this.writeJob(parentId, parent, settleArrayParent(grown, counts, new Date().toISOString()));
    return stored;
  }

  private updateInTransaction(id: number, change: JobChange, expect?: { states: JobState[] }): Job | null {
    const planned = this.planUpdate(id, change, expect);
    return planned && this.writeUpdate(id, change, planned);
  }

  /**
   * No savepoint per update (as for insertEach): what refuses one update alone is known
   * before it writes; a failure while writing throws out of the whole group.
   */
  private updateEachInTransaction(updates: readonly JobUpdate[]): (Job | null | Error)[] {
    return updates.map(({ id, change, expect }) => {
      let planned: PlannedUpdate | null;
      try {
        planned = this.planUpdate(id, change, expect);
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
      return planned && this.writeUpdate(id, change, planned);
    });
  }

  /** The job's document before and after the change, or null when it does not apply. Writes nothing. */
  private planUpdate(id: number, change: JobChange, expect?: { states: JobState[] }): PlannedUpdate | null {
    const row = this.q.getJob.get(id);
    if (!row) return null;
    const doc = JSON.parse(row.doc) as NewJob;
    if (expect && !expect.states.includes(doc.status.state)) return null;
    // A task's own fields are all a change can touch: it is written back as compact as it was.
    return { row, doc, next: applyJobChange(doc, change) };
  }

  private writeUpdate(id: number, change: JobChange, { row, doc, next }: PlannedUpdate): Job {
    this.writeJob(id, doc, next);
    const from = doc.status.state;
    const to = next.status.state;
    if (from !== to && doc.parentId !== null) this.moveTaskOfParent(doc.parentId, from, to, change.state?.at);
    return { id, ...this.whole(row.parent_id, next as unknown as Record<string, unknown>) };
  }

  /** A task of this parent went from one state to another: the parent's counts and state follow, in the same transaction. */
  private moveTaskOfParent(parentId: number, from: JobState, to: JobState, at = new Date().toISOString()): void {
    const row = this.q.getJob.get(parentId);
    const parent = row ? (JSON.parse(row.doc) as NewJob) : null;
    if (!parent?.array) return;
    // Counts that cannot hold the move were set by hand (updateJob with an array): count afresh.
    const counts = (parent.array.tasks[from] ?? 0) > 0 ? moveTask(parent.array.tasks, from, to) : this.countTasks(parentId);
    this.writeJob(parentId, parent, settleArrayParent(parent, counts, at));
  }

  private countTasks(parentId: number): TaskCounts {
    const counts: TaskCounts = {};
    for (const { state, n } of this.q.countTasks.all(parentId)) counts[state] = n;
    return counts;
  }

  private writeJob(id: number, before: NewJob, after: NewJob): void {
    const doc = JSON.stringify(after);
    if (after.status.state === before.status.state) this.q.updateDoc.run(doc, id);
    else this.q.updateJob.run(after.status.state, doc, id);
  }

  /** `compactor` (an array's tasks): the document leaves out what the task shares with its parent. */
  private insertOne(job: NewJob, parentId: number | null, compactor: TaskCompactor | null = null): { id: number; doc: string } {
    // A shallow copy: the caller's object is not ours to change, and an `id`
    // it may carry (a Job passed as a NewJob) must not shadow the row's id.
    const { id: _ignored, ...copy } = job as NewJob & { id?: unknown };
    copy.parentId = parentId;
    const doc = JSON.stringify(compactor ? compactor.compact(copy) : copy);
    const result = this.q.insertJob.run(
      copy.status.state,
      copy.user.name,
      copy.project,
      copy.session,
      copy.meta.name,
      parentId,
      copy.status.submittedAt,
      doc,
      copy.array ? 1 : 0,
    );
    const id = Number(result.lastInsertRowid);
    for (const tag of copy.meta.tags) this.q.insertTag.run(tag, id, copy.user.name);
    return { id, doc };
  }

  private toJob(row: JobRow): Job {
    return { id: row.id, ...this.whole(row.parent_id, JSON.parse(row.doc) as Record<string, unknown>) };
  }

  /** A stored document as the whole job: a task's with what it takes from its parent. */
  private whole(parentId: number | null, doc: Record<string, unknown>): NewJob {
    if (parentId === null || !inheritsFields(doc)) return doc as unknown as NewJob;
    return expandTask(doc, this.inheritedFrom(parentId));
  }

  private inheritedFrom(parentId: number): Inherited {
    const cached = this.parents.get(parentId);
    if (cached) {
      // Most recently used last: the oldest entry is the one to drop.
      this.parents.delete(parentId);
      this.parents.set(parentId, cached);
      return cached;
    }
    const row = this.q.getJob.get(parentId);
    if (!row) throw new GodockerError(ErrorCodes.INTERNAL, `the parent ${parentId} of an array task is missing from the store`);
    const inherited = inheritedOf(JSON.parse(row.doc) as NewJob);
    this.parents.set(parentId, inherited);
    if (this.parents.size > PARENTS_CACHED) this.parents.delete(this.parents.keys().next().value as number);
    return inherited;
  }
}

function checkSubmission({ jobs, isArray }: Omit<InsertRequest, 'idempotency'>): void {
  if (jobs.length === 0) throw new GodockerError(ErrorCodes.INVALID_REQUEST, 'an insert needs at least one job');
  if (!isArray && jobs.length !== 1) {
    // The result names one job: the ids of the others would be lost.
    throw new GodockerError(ErrorCodes.INVALID_REQUEST, 'several jobs can only be inserted as an array (isArray)');
  }
}

function toUser(row: UserRow): StoredUser {
  return {
    name: row.name,
    uid: row.uid,
    gid: row.gid,
    home: row.home,
    admin: row.admin === 1,
    createdAt: row.created_at,
    priority: row.priority,
    quota: parseQuota(row.quota),
    ...(row.mail !== null ? { mail: row.mail } : {}),
    ...(row.from_directory === 1 ? { fromDirectory: true } : {}),
  };
}

function toToken(row: TokenRow): StoredToken {
  return {
    id: row.id,
    user: row.user_name,
    label: row.label,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}

function toSession(row: SessionRow): Session {
  return { name: row.name, user: row.user_name, kind: row.kind as SessionKind, createdAt: row.created_at };
}

/**
 * The database holds every user's scripts, env values and token hashes: 0600. SQLite gives
 * its -wal and -shm files the mode of the database file, so making that one first is enough.
 */
function ownerOnly(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

export function sshKeyOfRow(r: SshKeyRow): StoredSshKey {
  return {
    id: r.id,
    user: r.user_name,
    type: r.type,
    fingerprint: r.fingerprint,
    comment: r.comment,
    publicKey: r.public_key,
    createdAt: r.created_at,
  };
}
