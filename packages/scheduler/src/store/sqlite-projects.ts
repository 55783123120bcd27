/**
 * Projects, memberships and usage in the SQLite store. `SqliteStore` delegates
 * to this class; its methods are synchronous (better-sqlite3) and each public
 * one is its own transaction, so a read-modify-write cannot interleave with
 * another process writing the same file.
 */
import {
  DEFAULT_PROJECT,
  ErrorCodes,
  GodockerError,
  type Member,
  mergeQuota,
  NotFoundError,
  type Project,
  type Quota,
  ValidationError,
} from '@godocker/sdk';
import Database from 'better-sqlite3';
import type { CpuTimeRow, NewProject, ProjectPatch, UsageRow } from './store.js';

interface ProjectRow {
  name: string;
  description: string;
  shares: number;
  priority: number;
  quota: string;
  created_at: string;
}

interface MemberRow {
  project: string;
  user_name: string;
  shares: number;
}

function prepareStatements(db: Database.Database) {
  return {
    insertProject: db.prepare<[string, string, number, number, string, string]>(
      'INSERT INTO projects (name, description, shares, priority, quota, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    getProject: db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE name = ?'),
    listProjects: db.prepare<[], ProjectRow>('SELECT * FROM projects ORDER BY name'),
    projectsOfUser: db.prepare<[string], ProjectRow>(
      `SELECT projects.* FROM project_members JOIN projects ON projects.name = project_members.project
       WHERE project_members.user_name = ? ORDER BY projects.name`,
    ),
    updateProject: db.prepare<[string, number, number, string, string]>(
      'UPDATE projects SET description = ?, shares = ?, priority = ?, quota = ? WHERE name = ?',
    ),
    deleteProject: db.prepare<[string]>('DELETE FROM projects WHERE name = ?'),
    anyJobOf: db.prepare<[string], { id: number }>('SELECT id FROM jobs WHERE project = ? LIMIT 1'),
    userExists: db.prepare<[string], { name: string }>('SELECT name FROM users WHERE name = ?'),
    membersOf: db.prepare<[string], MemberRow>('SELECT * FROM project_members WHERE project = ? ORDER BY user_name'),
    allMembers: db.prepare<[], MemberRow>('SELECT * FROM project_members ORDER BY project, user_name'),
    membersOfProjectsOf: db.prepare<[string], MemberRow>(
      `SELECT m.* FROM project_members m
       WHERE m.project IN (SELECT project FROM project_members WHERE user_name = ?)
       ORDER BY m.project, m.user_name`,
    ),
    getMember: db.prepare<[string, string], MemberRow>('SELECT * FROM project_members WHERE project = ? AND user_name = ?'),
    insertMember: db.prepare<[string, string, number]>(
      'INSERT INTO project_members (project, user_name, shares) VALUES (?, ?, ?)',
    ),
    updateMember: db.prepare<[number, string, string]>(
      'UPDATE project_members SET shares = ? WHERE project = ? AND user_name = ?',
    ),
    deleteMember: db.prepare<[string, string]>('DELETE FROM project_members WHERE project = ? AND user_name = ?'),
    getUsage: db.prepare<[], { project: string; user_name: string; units: number; updated_at: string }>(
      'SELECT * FROM usage ORDER BY project, user_name',
    ),
    upsertUsage: db.prepare<[string, string, number, string]>(
      `INSERT INTO usage (project, user_name, units, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (project, user_name) DO UPDATE SET units = excluded.units, updated_at = excluded.updated_at`,
    ),
    addCpuTime: db.prepare<[string, string, number, number]>(
      `INSERT INTO usage_buckets (project, user_name, bucket_start, cpu_seconds) VALUES (?, ?, ?, ?)
       ON CONFLICT (project, user_name, bucket_start) DO UPDATE SET cpu_seconds = cpu_seconds + excluded.cpu_seconds`,
    ),
    cpuTimeSince: db.prepare<[number], { project: string; user_name: string; cpu_seconds: number }>(
      `SELECT project, user_name, SUM(cpu_seconds) AS cpu_seconds FROM usage_buckets
       WHERE bucket_start >= ? GROUP BY project, user_name ORDER BY project, user_name`,
    ),
    // NULL parameters match everything, so one statement serves the four kinds of reset.
    resetCpuTime: db.prepare<[string | null, string | null, string | null, string | null]>(
      'DELETE FROM usage_buckets WHERE (? IS NULL OR project = ?) AND (? IS NULL OR user_name = ?)',
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

export class SqliteProjects {
  private readonly db: Database.Database;
  /** Prepared on first use: the tables exist only after `migrate()`. */
  private statements: Statements | null = null;

  constructor(db: Database.Database) {
    this.db = db;
  }

  private get q(): Statements {
    this.statements ??= prepareStatements(this.db);
    return this.statements;
  }

  /** Runs `fn` in an IMMEDIATE transaction: it reads then writes, and must hold the write lock to do so safely. */
  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  createProject(p: NewProject): Project {
    try {
      this.q.insertProject.run(p.name, p.description, p.shares, p.priority, JSON.stringify(mergeQuota({}, p.quota)), p.createdAt);
    } catch (e) {
      if (isConstraint(e, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new GodockerError(ErrorCodes.CONFLICT, `a project named "${p.name}" already exists`, { field: 'name' });
      }
      throw e;
    }
    return this.mustGet(p.name);
  }

  getProject(name: string): Project | null {
    const row = this.q.getProject.get(name);
    return row ? toProject(row, this.q.membersOf.all(name)) : null;
  }

  listProjects(): Project[] {
    // Two reads in one transaction, so a membership added between them cannot show up half.
    return this.db.transaction(() => withMembers(this.q.listProjects.all(), this.q.allMembers.all()))();
  }

  projectsOfUser(user: string): Project[] {
    return this.db.transaction(() => withMembers(this.q.projectsOfUser.all(user), this.q.membersOfProjectsOf.all(user)))();
  }

  isMember(project: string, user: string): boolean {
    return this.q.getMember.get(project, user) !== undefined;
  }

  updateProject(name: string, patch: ProjectPatch): Project {
    return this.write(() => {
      const row = this.q.getProject.get(name);
      if (!row) throw projectNotFound(name);
      const quota = patch.quota === undefined ? parseQuota(row.quota) : mergeQuota(parseQuota(row.quota), patch.quota);
      this.q.updateProject.run(
        patch.description ?? row.description,
        patch.shares ?? row.shares,
        patch.priority ?? row.priority,
        JSON.stringify(quota),
        name,
      );
      return this.mustGet(name);
    });
  }

  deleteProject(name: string): void {
    this.write(() => {
      if (name === DEFAULT_PROJECT) {
        throw new GodockerError(
          ErrorCodes.CONFLICT,
          `the project "${DEFAULT_PROJECT}" cannot be deleted: every user belongs to it`,
        );
      }
      if (!this.q.getProject.get(name)) throw projectNotFound(name);
      const job = this.q.anyJobOf.get(name);
      if (job) {
        throw new GodockerError(
          ErrorCodes.CONFLICT,
          `project "${name}" cannot be deleted: jobs are accounted to it (job ${job.id} among others)`,
        );
      }
      this.q.deleteProject.run(name);
    });
  }

  addMember(project: string, user: string, shares: number): Project {
    return this.write(() => {
      if (!this.q.getProject.get(project)) throw projectNotFound(project);
      if (!this.q.userExists.get(user)) throw new NotFoundError(`no user named "${user}"`);
      if (this.q.getMember.get(project, user)) {
        throw new GodockerError(ErrorCodes.CONFLICT, `${user} is already a member of project "${project}"`, { field: 'user' });
      }
      this.insertMembership(project, user, shares);
      return this.mustGet(project);
    });
  }

  /** Inside the caller's transaction (user creation): the first membership, of the default project. */
  insertMembership(project: string, user: string, shares: number): void {
    checkShares(shares);
    this.q.insertMember.run(project, user, shares);
  }

  updateMember(project: string, user: string, shares: number): Project {
    return this.write(() => {
      checkShares(shares);
      this.mustBeMember(project, user);
      this.q.updateMember.run(shares, project, user);
      return this.mustGet(project);
    });
  }

  removeMember(project: string, user: string): Project {
    return this.write(() => {
      if (project === DEFAULT_PROJECT) {
        throw new GodockerError(
          ErrorCodes.CONFLICT,
          `every user belongs to the project "${DEFAULT_PROJECT}": give ${user} 0 shares there instead`,
          { field: 'user' },
        );
      }
      this.mustBeMember(project, user);
      this.q.deleteMember.run(project, user);
      return this.mustGet(project);
    });
  }

  getUsage(): UsageRow[] {
    return this.q.getUsage.all().map((r) => ({ project: r.project, user: r.user_name, units: r.units, updatedAt: r.updated_at }));
  }

  saveUsage(rows: readonly UsageRow[]): void {
    this.write(() => {
      for (const r of rows) {
        nonNegative(r.units, 'units');
        this.q.upsertUsage.run(r.project, r.user, r.units, r.updatedAt);
      }
    });
  }

  addCpuTime(project: string, user: string, bucketStart: number, cpuSeconds: number): void {
    if (!Number.isSafeInteger(bucketStart)) {
      throw new ValidationError(`a cpu-time bucket starts at whole epoch seconds, not ${bucketStart}`, 'bucketStart');
    }
    nonNegative(cpuSeconds, 'cpuSeconds');
    this.q.addCpuTime.run(project, user, bucketStart, cpuSeconds);
  }

  cpuTimeSince(sinceEpochSeconds: number): CpuTimeRow[] {
    return this.q.cpuTimeSince
      .all(sinceEpochSeconds)
      .map((r) => ({ project: r.project, user: r.user_name, cpuSeconds: r.cpu_seconds }));
  }

  resetCpuTime(project?: string, user?: string): number {
    const p = project ?? null;
    const u = user ?? null;
    return this.q.resetCpuTime.run(p, p, u, u).changes;
  }

  private mustGet(name: string): Project {
    const project = this.getProject(name);
    if (!project) throw projectNotFound(name);
    return project;
  }

  private mustBeMember(project: string, user: string): void {
    if (this.q.getMember.get(project, user)) return;
    if (!this.q.getProject.get(project)) throw projectNotFound(project);
    throw new NotFoundError(`${user} is not a member of project "${project}"`);
  }
}

function projectNotFound(name: string): NotFoundError {
  return new NotFoundError(`no project named "${name}"`);
}

/** The schema's CHECK would refuse a negative too, but with a message no one can act on. */
function checkShares(shares: number): void {
  if (!Number.isSafeInteger(shares) || shares < 0) {
    throw new ValidationError(`shares must be a whole number of at least 0, not ${shares}`, 'shares');
  }
}

// NaN would be bound as NULL and fail NOT NULL; Infinity would poison every sum after it.
function nonNegative(value: number, field: string): void {
  if (!Number.isFinite(value) || value < 0) throw new ValidationError(`${field} must be a finite number of at least 0`, field);
}

export function parseQuota(text: string): Quota {
  return JSON.parse(text) as Quota;
}

function toMember(row: MemberRow): Member {
  return { user: row.user_name, shares: row.shares };
}

function toProject(row: ProjectRow, members: readonly MemberRow[]): Project {
  return {
    name: row.name,
    description: row.description,
    shares: row.shares,
    priority: row.priority,
    quota: parseQuota(row.quota),
    members: members.map(toMember),
    createdAt: row.created_at,
  };
}

/** Joins projects to their members; `members` is ordered by project then user. */
function withMembers(rows: readonly ProjectRow[], members: readonly MemberRow[]): Project[] {
  const byProject = new Map<string, MemberRow[]>();
  for (const m of members) {
    const list = byProject.get(m.project);
    if (list) list.push(m);
    else byProject.set(m.project, [m]);
  }
  return rows.map((row) => toProject(row, byProject.get(row.name) ?? []));
}

export function isConstraint(e: unknown, code: string): boolean {
  return e instanceof Database.SqliteError && e.code === code;
}
