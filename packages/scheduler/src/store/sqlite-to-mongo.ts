/**
 * `godocker admin migrate --to mongodb://...`: an existing SQLite site moved to a
 * MongoDB-wire server, with every job keeping its id (clients, DRMAA sessions and
 * dependencies name them), every user their tokens, and usage its history. The daemon
 * is stopped first; the target database must hold no GoDocker data yet. Everything is
 * counted on both sides afterwards, and a difference is an error.
 */
import { existsSync } from 'node:fs';
import { DEFAULT_PROJECT, ErrorCodes, GodockerError, type JobState, type SessionKind } from '@godocker/sdk';
import Database from 'better-sqlite3';
import type { JobFields } from './mongo-job-docs.js';
import { type ImportedJob, MongoStore, type MongoStoreOptions } from './mongo-store.js';
import { redacted } from './open-store.js';
import { SqliteStore, type SshKeyRow, sshKeyOfRow } from './sqlite-store.js';
import type { JobUsageRecord } from './store.js';

const CHUNK = 1_000;

export interface MigrationCount {
  what: string;
  sqlite: number;
  mongodb: number;
}

interface JobRow {
  id: number;
  state: JobState;
  user_name: string;
  project: string;
  session: string | null;
  name: string;
  parent_id: number | null;
  submitted_at: string;
  doc: string;
  reaped_at: string | null;
  array_parent: number;
}

/** Copies the SQLite store at `sqlitePath` into an empty MongoDB database; returns what was counted on both sides. */
export async function migrateSqliteToMongo(
  sqlitePath: string,
  target: MongoStoreOptions,
  progress: (line: string) => void = () => undefined,
): Promise<MigrationCount[]> {
  if (!existsSync(sqlitePath)) {
    throw new GodockerError(
      ErrorCodes.NOT_FOUND,
      `no SQLite store at ${sqlitePath}: give --from the daemon's godocker.db (in its data folder)`,
    );
  }
  // Brought up to this version's schema first: the copy reads today's tables.
  const source = SqliteStore.open(sqlitePath);
  await source.migrate();
  await source.close();
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  let mongo: MongoStore;
  try {
    mongo = await MongoStore.open(target);
  } catch (error) {
    db.close();
    throw new GodockerError(
      ErrorCodes.UNAVAILABLE,
      `no MongoDB-wire server answers at ${redacted(target.url)}: ${(error as Error).message}`,
    );
  }
  try {
    await mongo.migrate();
    if ((await mongo.countUsers()) > 0 || Object.keys(await mongo.countByState({})).length > 0) {
      throw new GodockerError(
        ErrorCodes.CONFLICT,
        `the database "${target.database}" at ${redacted(target.url)} already holds GoDocker users or jobs: migrate into an empty database (store.database)`,
      );
    }
    await copy(db, mongo, progress);
    return await countBoth(db, mongo);
  } finally {
    db.close();
    await mongo.close();
  }
}

async function copy(db: Database.Database, mongo: MongoStore, progress: (line: string) => void): Promise<void> {
  for (const { key, value } of db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all()) {
    await mongo.setMeta(key, value);
  }
  const users = db.prepare<[], Record<string, unknown>>('SELECT * FROM users ORDER BY name').all();
  for (const u of users) {
    await mongo.createUser({
      name: u.name as string,
      uid: u.uid as number,
      gid: u.gid as number,
      home: u.home as string,
      admin: u.admin === 1,
      createdAt: u.created_at as string,
      priority: u.priority as number,
      quota: JSON.parse(u.quota as string),
      ...(typeof u.mail === 'string' ? { mail: u.mail } : {}),
      ...(u.from_directory === 1 ? { fromDirectory: true } : {}),
    });
  }
  type TokenRow = { hash: string; user_name: string; label: string; expires_at: string | null };
  for (const t of db.prepare<[], TokenRow>('SELECT * FROM tokens').all()) {
    await mongo.addToken(t.user_name, t.hash, t.label, t.expires_at ? { expiresAt: t.expires_at } : {});
  }
  for (const k of db.prepare<[], SshKeyRow>('SELECT * FROM ssh_keys').all()) await mongo.addSshKey(sshKeyOfRow(k));
  progress(`users: ${users.length}`);
  const projects = db.prepare<[], Record<string, unknown>>('SELECT * FROM projects ORDER BY name').all();
  for (const p of projects) {
    const fields = {
      description: p.description as string,
      shares: p.shares as number,
      priority: p.priority as number,
      quota: JSON.parse(p.quota as string),
    };
    if (p.name === DEFAULT_PROJECT) await mongo.updateProject(DEFAULT_PROJECT, fields);
    else await mongo.createProject({ name: p.name as string, createdAt: p.created_at as string, ...fields });
  }
  for (const m of db.prepare<[], { project: string; user_name: string; shares: number }>('SELECT * FROM project_members').all()) {
    if (m.project === DEFAULT_PROJECT) await mongo.updateMember(m.project, m.user_name, m.shares);
    else await mongo.addMember(m.project, m.user_name, m.shares);
  }
  progress(`projects: ${projects.length}`);
  const usage = db
    .prepare<[], { project: string; user_name: string; units: number; updated_at: string }>('SELECT * FROM usage')
    .all();
  await mongo.saveUsage(usage.map((r) => ({ project: r.project, user: r.user_name, units: r.units, updatedAt: r.updated_at })));
  const buckets = db.prepare<[], { project: string; user_name: string; bucket_start: number; cpu_seconds: number }>(
    'SELECT * FROM usage_buckets',
  );
  for (const b of buckets.iterate()) await mongo.addCpuTime(b.project, b.user_name, b.bucket_start, b.cpu_seconds);
  for (const s of db
    .prepare<[], { user_name: string; name: string; kind: string; created_at: string }>('SELECT * FROM sessions')
    .all()) {
    await mongo.createSession({ user: s.user_name, name: s.name, kind: s.kind as SessionKind, createdAt: s.created_at });
  }
  for (const d of db
    .prepare<[], { name: string; reason: string; by_user: string; at: string }>('SELECT * FROM drained_nodes')
    .all()) {
    await mongo.drainNode({ name: d.name, reason: d.reason, by: d.by_user, at: d.at });
  }
  let sampled: JobUsageRecord[] = [];
  for (const u of db.prepare<[], { doc: string }>('SELECT doc FROM job_usage ORDER BY job_id').iterate()) {
    sampled.push(JSON.parse(u.doc) as JobUsageRecord);
    if (sampled.length === CHUNK) {
      await mongo.saveJobUsage(sampled);
      sampled = [];
    }
  }
  await mongo.saveJobUsage(sampled);
  let chunk: ImportedJob[] = [];
  let copied = 0;
  for (const row of db.prepare<[], JobRow>('SELECT * FROM jobs ORDER BY id').iterate()) {
    chunk.push({ id: row.id, fields: fieldsOfRow(row) });
    if (chunk.length === CHUNK) {
      await mongo.importJobs(chunk);
      copied += chunk.length;
      progress(`jobs: ${copied}`);
      chunk = [];
    }
  }
  await mongo.importJobs(chunk);
  const keys = db.prepare<[], { user_name: string; key: string; job_id: number; fingerprint: string | null }>(
    'SELECT user_name, key, job_id, fingerprint FROM idempotency',
  );
  for (const k of keys.iterate()) {
    // A batch's key names its first job; the others are the user's next top-level jobs of the same submit time.
    const first = db
      .prepare<[number], { submitted_at: string; user_name: string }>('SELECT submitted_at, user_name FROM jobs WHERE id = ?')
      .get(k.job_id);
    const ids = first
      ? db
          .prepare<[number, string, string], { id: number }>(
            'SELECT id FROM jobs WHERE id >= ? AND parent_id IS NULL AND user_name = ? AND submitted_at = ? ORDER BY id',
          )
          .all(k.job_id, first.user_name, first.submitted_at)
          .map((r) => r.id)
      : [k.job_id];
    await mongo.importIdempotency(
      { user: k.user_name, key: k.key, ...(k.fingerprint === null ? {} : { fingerprint: k.fingerprint }) },
      ids,
    );
  }
}

function fieldsOfRow(row: JobRow): JobFields {
  const doc = JSON.parse(row.doc) as { meta: { tags: string[] }; status: { endedAt: string | null } };
  const fields: JobFields = {
    state: row.state,
    user: row.user_name,
    project: row.project,
    session: row.session,
    name: row.name,
    parentId: row.parent_id,
    submittedAt: row.submitted_at,
    endedAt: doc.status.endedAt,
    arrayParent: row.array_parent === 1,
    tags: [...new Set(doc.meta.tags)],
    reaped: row.reaped_at !== null,
    doc: row.doc,
  };
  if (row.reaped_at !== null) fields.reapedAt = row.reaped_at;
  return fields;
}

async function countBoth(db: Database.Database, mongo: MongoStore): Promise<MigrationCount[]> {
  const n = (sql: string) => (db.prepare<[], { n: number }>(sql).get() as { n: number }).n;
  const counts: MigrationCount[] = [];
  const add = (what: string, sqlite: number, mongodb: number) => counts.push({ what, sqlite, mongodb });
  add('users', n('SELECT COUNT(*) AS n FROM users'), await mongo.countUsers());
  const projects = await mongo.listProjects();
  add('projects', n('SELECT COUNT(*) AS n FROM projects'), projects.length);
  add(
    'memberships',
    n('SELECT COUNT(*) AS n FROM project_members'),
    projects.reduce((a, p) => a + p.members.length, 0),
  );
  const byState = await mongo.countByState({});
  for (const { state, c } of db
    .prepare<[], { state: JobState; c: number }>('SELECT state, COUNT(*) AS c FROM jobs GROUP BY state')
    .all()) {
    add(`jobs ${state}`, c, byState[state] ?? 0);
  }
  add(
    'jobs',
    n('SELECT COUNT(*) AS n FROM jobs'),
    Object.values(byState).reduce((a, b) => a + (b ?? 0), 0),
  );
  add('idempotency keys', n('SELECT COUNT(*) AS n FROM idempotency'), await mongo.countIdempotencyKeys());
  add('usage rows', n('SELECT COUNT(*) AS n FROM usage'), (await mongo.getUsage()).length);
  const cpu = await mongo.cpuTimeSince(0);
  add(
    'cpu-time seconds',
    Math.round(n('SELECT COALESCE(SUM(cpu_seconds), 0) AS n FROM usage_buckets')),
    Math.round(cpu.reduce((a, r) => a + r.cpuSeconds, 0)),
  );
  const keyOwners = db.prepare<[], { user_name: string }>('SELECT DISTINCT user_name FROM ssh_keys').all();
  let mongoKeys = 0;
  for (const o of keyOwners) mongoKeys += (await mongo.listSshKeys(o.user_name)).length;
  add('ssh keys', n('SELECT COUNT(*) AS n FROM ssh_keys'), mongoKeys);
  add('drained nodes', n('SELECT COUNT(*) AS n FROM drained_nodes'), (await mongo.drainedNodes()).length);
  let mongoUsage = 0;
  for (const { job_id } of db.prepare<[], { job_id: number }>('SELECT job_id FROM job_usage').iterate()) {
    if ((await mongo.getJobUsage(job_id)) !== null) mongoUsage++;
  }
  add('job usage records', n('SELECT COUNT(*) AS n FROM job_usage'), mongoUsage);
  const sessions = db
    .prepare<[], { user_name: string; n: number }>('SELECT user_name, COUNT(*) AS n FROM sessions GROUP BY user_name')
    .all();
  let mongoSessions = 0;
  for (const s of sessions) mongoSessions += (await mongo.listSessions(s.user_name)).length;
  add('sessions', n('SELECT COUNT(*) AS n FROM sessions'), mongoSessions);
  // Spot check: the newest job reads back as the same document.
  const last = db.prepare<[], JobRow>('SELECT * FROM jobs ORDER BY id DESC LIMIT 1').get();
  if (last) {
    const same = (await mongo.getJob(last.id)) !== null;
    add(`job ${last.id} reads back`, 1, same ? 1 : 0);
  }
  return counts;
}
