/**
 * Users, tokens, projects, memberships and usage in the MongoDB store. Each change that
 * must be whole is one record (mongo-versions.ts: a compare-and-set on its version):
 *
 * - a project holds its members; adding, changing or removing one is a new version of it;
 * - every user is a member of the default project through the user's own record
 *   (`defaultShares`), so creating a user and their first membership is one insert;
 * - fair-share usage is one record (every row): a save is all or nothing;
 * - cpu time is added as records that are only ever inserted (an `$inc` is not atomic
 *   on every MongoDB-wire server), summed when read.
 */

import { randomUUID } from 'node:crypto';
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
import type { Collection, Db } from 'mongodb';
import { ConflictError, type Decisions, isDuplicateKey, type Version, Versions } from './mongo-versions.js';
import {
  type CpuTimeRow,
  type NewProject,
  type NewTokenOptions,
  type NewUser,
  type ProjectPatch,
  type StoredToken,
  type StoredUser,
  tokenIdOf,
  type UsageRow,
  type UserPatch,
} from './store.js';

/** Compare-and-set rounds before a change gives up on a record that keeps changing. */
const CAS_ROUNDS = 100;

interface UserFields {
  uid: number;
  gid: number;
  home: string;
  admin: boolean;
  createdAt: string;
  priority: number;
  quota: string;
  /** Their shares in the default project, which every user belongs to. */
  defaultShares: number;
  /** Absent on users made before directories (as are the next). */
  mail?: string | null;
  fromDirectory?: boolean;
}

interface TokenDoc {
  _id: string;
  /** tokenIdOf(_id); absent on tokens made before ids, which migrate() gives theirs. */
  id?: string;
  user: string;
  label: string;
  createdAt: string;
  expiresAt?: string | null;
  lastUsedAt?: string | null;
}

interface ProjectFields {
  description: string;
  shares: number;
  priority: number;
  quota: string;
  createdAt: string;
  /** Ordered by user; empty for the default project (its members are the users). */
  members: Member[];
}

interface UsageFields {
  rows: UsageRow[];
}

interface CpuDoc {
  _id: string;
  project: string;
  user: string;
  bucket: number;
  cpuSeconds: number;
}

type UserDoc = Version<UserFields>;
type ProjectDoc = Version<ProjectFields>;

export class MongoProjects {
  private readonly users: Versions<UserFields>;
  private readonly projects: Versions<ProjectFields>;
  private readonly usage: Versions<UsageFields>;
  private readonly tokens: Collection<TokenDoc>;
  private readonly cpu: Collection<CpuDoc>;

  constructor(db: Db, decisions: Decisions) {
    this.users = new Versions<UserFields>(db, 'users', decisions);
    this.projects = new Versions<ProjectFields>(db, 'projects', decisions);
    this.usage = new Versions<UsageFields>(db, 'usage', decisions);
    this.tokens = db.collection<TokenDoc>('tokens');
    this.cpu = db.collection<CpuDoc>('cputime');
  }

  async migrate(now: string): Promise<void> {
    await this.users.createIndexes();
    await this.projects.createIndexes([{ key: { 'members.user': 1 } }]);
    await this.usage.createIndexes();
    await this.tokens.createIndex({ user: 1 });
    for (const old of await this.tokens.find({ id: { $exists: false } }).toArray()) {
      await this.tokens.updateOne({ _id: old._id }, { $set: { id: tokenIdOf(old._id) } });
    }
    await this.tokens.createIndex({ id: 1 }, { unique: true });
    await this.cpu.createIndex({ bucket: 1 });
    await this.cas(this.projects, DEFAULT_PROJECT, 'the default project', (current) =>
      current
        ? null
        : {
            description: 'every user belongs here; jobs that name no project go here',
            shares: 1,
            priority: 0,
            quota: '{}',
            createdAt: now,
            members: [],
          },
    );
  }

  // Users and tokens.

  async createUser(user: NewUser): Promise<void> {
    await this.cas(this.users, user.name, `user "${user.name}"`, (current) => {
      if (current) throw new GodockerError(ErrorCodes.CONFLICT, `a user named "${user.name}" already exists`, { field: 'name' });
      return {
        uid: user.uid,
        gid: user.gid,
        home: user.home,
        admin: user.admin,
        createdAt: user.createdAt,
        priority: user.priority ?? 0,
        quota: JSON.stringify(mergeQuota({}, user.quota ?? {})),
        defaultShares: 1,
        mail: user.mail ?? null,
        fromDirectory: user.fromDirectory ?? false,
      };
    });
  }

  async getUser(name: string): Promise<StoredUser | null> {
    const doc = await this.users.get(name);
    return doc ? toUser(doc) : null;
  }

  async listUsers(): Promise<StoredUser[]> {
    return (await this.allUsers()).map(toUser);
  }

  async countUsers(): Promise<number> {
    return (await this.allUsers()).length;
  }

  async updateUser(name: string, patch: UserPatch): Promise<StoredUser> {
    const doc = await this.cas(this.users, name, `user "${name}"`, (current) => {
      if (!current) throw new NotFoundError(`no user named "${name}"`);
      return {
        ...fieldsOfUser(current),
        admin: patch.admin ?? current.admin,
        priority: patch.priority ?? current.priority,
        quota: patch.quota === undefined ? current.quota : JSON.stringify(mergeQuota(parseQuota(current.quota), patch.quota)),
        uid: patch.uid ?? current.uid,
        gid: patch.gid ?? current.gid,
        home: patch.home ?? current.home,
        mail: patch.mail === undefined ? (current.mail ?? null) : patch.mail,
      };
    });
    return toUser(doc as UserDoc);
  }

  async addToken(userName: string, tokenHash: string, label: string, options: NewTokenOptions = {}): Promise<StoredToken> {
    if (!(await this.userExists(userName))) throw new NotFoundError(`no user named "${userName}"`);
    const doc: TokenDoc = {
      _id: tokenHash,
      id: tokenIdOf(tokenHash),
      user: userName,
      label,
      createdAt: new Date().toISOString(),
      expiresAt: options.expiresAt ?? null,
      lastUsedAt: null,
    };
    try {
      await this.tokens.insertOne(doc);
    } catch (e) {
      if (isDuplicateKey(e)) throw new GodockerError(ErrorCodes.CONFLICT, 'this token is already registered');
      throw e;
    }
    return toToken(doc);
  }

  async findToken(tokenHash: string): Promise<{ token: StoredToken; user: StoredUser } | null> {
    const token = await this.tokens.findOne({ _id: tokenHash });
    const user = token ? await this.getUser(token.user) : null;
    return token && user ? { token: toToken(token), user } : null;
  }

  async getToken(id: string): Promise<StoredToken | null> {
    const token = await this.tokens.findOne({ id });
    return token ? toToken(token) : null;
  }

  async listTokens(userName: string): Promise<StoredToken[]> {
    const docs = await this.tokens.find({ user: userName }).toArray();
    return docs.map(toToken).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async deleteToken(id: string): Promise<boolean> {
    return (await this.tokens.deleteOne({ id })).deletedCount > 0;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.tokens.updateOne({ id }, { $set: { lastUsedAt: at } });
  }

  async userExists(name: string): Promise<boolean> {
    return (await this.users.get(name)) !== null;
  }

  // Projects.

  async createProject(p: NewProject): Promise<Project> {
    await this.cas(this.projects, p.name, `project "${p.name}"`, (current) => {
      if (current) throw new GodockerError(ErrorCodes.CONFLICT, `a project named "${p.name}" already exists`, { field: 'name' });
      return {
        description: p.description,
        shares: p.shares,
        priority: p.priority,
        quota: JSON.stringify(mergeQuota({}, p.quota)),
        createdAt: p.createdAt,
        members: [],
      };
    });
    return this.mustGet(p.name);
  }

  async getProject(name: string): Promise<Project | null> {
    const doc = await this.projects.get(name);
    return doc ? this.withMembers(doc) : null;
  }

  async listProjects(): Promise<Project[]> {
    const docs = await this.projects.find({}, () => true, { order: 1 });
    return this.allWithMembers(docs);
  }

  async projectsOfUser(user: string): Promise<Project[]> {
    if (!(await this.userExists(user))) return [];
    const docs = await this.projects.find(
      { $or: [{ k: DEFAULT_PROJECT }, { 'members.user': user }] },
      (p) => p.k === DEFAULT_PROJECT || p.members.some((m) => m.user === user),
      { order: 1 },
    );
    return this.allWithMembers(docs);
  }

  async isMember(project: string, user: string): Promise<boolean> {
    if (project === DEFAULT_PROJECT) return this.userExists(user);
    const doc = await this.projects.get(project);
    return doc?.members.some((m) => m.user === user) ?? false;
  }

  async updateProject(name: string, patch: ProjectPatch): Promise<Project> {
    await this.cas(this.projects, name, `project "${name}"`, (current) => {
      if (!current) throw projectNotFound(name);
      return {
        ...fieldsOfProject(current),
        description: patch.description ?? current.description,
        shares: patch.shares ?? current.shares,
        priority: patch.priority ?? current.priority,
        quota: patch.quota === undefined ? current.quota : JSON.stringify(mergeQuota(parseQuota(current.quota), patch.quota)),
      };
    });
    return this.mustGet(name);
  }

  /** `anyJob`: the id of one job that names the project, or null (asked once the project is known to exist). */
  async deleteProject(name: string, anyJob: () => Promise<number | null>): Promise<void> {
    if (name === DEFAULT_PROJECT) {
      throw new GodockerError(
        ErrorCodes.CONFLICT,
        `the project "${DEFAULT_PROJECT}" cannot be deleted: every user belongs to it`,
      );
    }
    if (!(await this.projects.get(name))) throw projectNotFound(name);
    const job = await anyJob();
    if (job !== null) {
      throw new GodockerError(
        ErrorCodes.CONFLICT,
        `project "${name}" cannot be deleted: jobs are accounted to it (job ${job} among others)`,
      );
    }
    // Its memberships are in it: they go with it.
    await this.cas(this.projects, name, `project "${name}"`, (current) => {
      if (!current) throw projectNotFound(name);
      return 'gone';
    });
  }

  async addMember(project: string, user: string, shares: number): Promise<Project> {
    checkShares(shares);
    if (!(await this.projects.get(project))) throw projectNotFound(project);
    if (!(await this.userExists(user))) throw new NotFoundError(`no user named "${user}"`);
    if (project === DEFAULT_PROJECT) {
      throw new GodockerError(ErrorCodes.CONFLICT, `${user} is already a member of project "${project}"`, { field: 'user' });
    }
    await this.cas(this.projects, project, `project "${project}"`, (current) => {
      if (!current) throw projectNotFound(project);
      if (current.members.some((m) => m.user === user)) {
        throw new GodockerError(ErrorCodes.CONFLICT, `${user} is already a member of project "${project}"`, { field: 'user' });
      }
      return { ...fieldsOfProject(current), members: sortMembers([...current.members, { user, shares }]) };
    });
    return this.mustGet(project);
  }

  async updateMember(project: string, user: string, shares: number): Promise<Project> {
    checkShares(shares);
    if (project === DEFAULT_PROJECT) {
      await this.cas(this.users, user, `user "${user}"`, (current) => {
        if (!current) throw notMember(project, user);
        return { ...fieldsOfUser(current), defaultShares: shares };
      });
    } else {
      await this.cas(this.projects, project, `project "${project}"`, (current) => {
        if (!current) throw projectNotFound(project);
        if (!current.members.some((m) => m.user === user)) throw notMember(project, user);
        return { ...fieldsOfProject(current), members: current.members.map((m) => (m.user === user ? { user, shares } : m)) };
      });
    }
    return this.mustGet(project);
  }

  async removeMember(project: string, user: string): Promise<Project> {
    if (project === DEFAULT_PROJECT) {
      throw new GodockerError(
        ErrorCodes.CONFLICT,
        `every user belongs to the project "${DEFAULT_PROJECT}": give ${user} 0 shares there instead`,
        { field: 'user' },
      );
    }
    await this.cas(this.projects, project, `project "${project}"`, (current) => {
      if (!current) throw projectNotFound(project);
      if (!current.members.some((m) => m.user === user)) throw notMember(project, user);
      return { ...fieldsOfProject(current), members: current.members.filter((m) => m.user !== user) };
    });
    return this.mustGet(project);
  }

  // Usage.

  async getUsage(): Promise<UsageRow[]> {
    return (await this.usage.get('usage'))?.rows ?? [];
  }

  async saveUsage(rows: readonly UsageRow[]): Promise<void> {
    for (const r of rows) nonNegative(r.units, 'units');
    await this.cas(this.usage, 'usage', 'fair-share usage', (current) => {
      const byKey = new Map((current?.rows ?? []).map((r) => [`${r.project}\u0000${r.user}`, r]));
      for (const r of rows) {
        byKey.set(`${r.project}\u0000${r.user}`, { project: r.project, user: r.user, units: r.units, updatedAt: r.updatedAt });
      }
      return { rows: [...byKey.values()].sort((a, b) => cmp(a.project, b.project) || cmp(a.user, b.user)) };
    });
  }

  async addCpuTime(project: string, user: string, bucketStart: number, cpuSeconds: number): Promise<void> {
    if (!Number.isSafeInteger(bucketStart)) {
      throw new ValidationError(`a cpu-time bucket starts at whole epoch seconds, not ${bucketStart}`, 'bucketStart');
    }
    nonNegative(cpuSeconds, 'cpuSeconds');
    await this.cpu.insertOne({ _id: randomUUID(), project, user, bucket: bucketStart, cpuSeconds });
  }

  async cpuTimeSince(sinceEpochSeconds: number): Promise<CpuTimeRow[]> {
    const rows = await this.cpu
      .aggregate<{ _id: { project: string; user: string }; cpuSeconds: number }>([
        { $match: { bucket: { $gte: sinceEpochSeconds } } },
        { $group: { _id: { project: '$project', user: '$user' }, cpuSeconds: { $sum: '$cpuSeconds' } } },
      ])
      .toArray();
    return rows
      .map((r) => ({ project: r._id.project, user: r._id.user, cpuSeconds: r.cpuSeconds }))
      .sort((a, b) => cmp(a.project, b.project) || cmp(a.user, b.user));
  }

  /** Says how many hour buckets went (each may be several records). */
  async resetCpuTime(project?: string, user?: string): Promise<number> {
    const filter: Record<string, string> = {};
    if (project !== undefined) filter.project = project;
    if (user !== undefined) filter.user = user;
    const buckets = await this.cpu
      .aggregate([{ $match: filter }, { $group: { _id: { project: '$project', user: '$user', bucket: '$bucket' } } }])
      .toArray();
    await this.cpu.deleteMany(filter);
    return buckets.length;
  }

  private async allUsers(): Promise<UserDoc[]> {
    const docs = await this.users.find({}, () => true, { order: 1 });
    return docs.sort((a, b) => cmp(String(a.k), String(b.k)));
  }

  private async withMembers(doc: ProjectDoc): Promise<Project> {
    const members =
      doc.k === DEFAULT_PROJECT
        ? (await this.allUsers()).map((u) => ({ user: String(u.k), shares: u.defaultShares }))
        : doc.members;
    return {
      name: String(doc.k),
      description: doc.description,
      shares: doc.shares,
      priority: doc.priority,
      quota: parseQuota(doc.quota),
      members: members.map((m) => ({ user: m.user, shares: m.shares })),
      createdAt: doc.createdAt,
    };
  }

  private async allWithMembers(docs: ProjectDoc[]): Promise<Project[]> {
    const out: Project[] = [];
    for (const doc of docs.sort((a, b) => cmp(String(a.k), String(b.k)))) out.push(await this.withMembers(doc));
    return out;
  }

  private async mustGet(name: string): Promise<Project> {
    const project = await this.getProject(name);
    if (!project) throw projectNotFound(name);
    return project;
  }

  /**
   * Read, change, write the next version; again when another change came between. `change`
   * answers the new fields, 'gone' to delete the record, or null to leave it as it is; it may
   * throw to refuse. Returns the record as written.
   */
  private async cas<T extends object>(
    versions: Versions<T>,
    key: string,
    what: string,
    change: (current: Version<T> | null) => T | 'gone' | null,
  ): Promise<Version<T> | null> {
    for (let round = 0; round < CAS_ROUNDS; round++) {
      const head = await versions.head(key).catch((e: unknown) => {
        if (e instanceof ConflictError) return null;
        throw e;
      });
      if (head) {
        const next = change(head.current);
        if (next === null) return head.current;
        try {
          if (next === 'gone') await versions.write(key, head.next, {}, true);
          else await versions.write(key, head.next, next);
          return next === 'gone' ? null : ({ ...next, k: key, v: head.next } as unknown as Version<T>);
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
        }
      }
      await new Promise((r) => setTimeout(r, Math.min(2 ** round, 50)));
    }
    throw busy(what);
  }
}

function fieldsOfUser(doc: UserDoc): UserFields {
  const { _id, k, v, at, tx, undecided, gone, ...fields } = doc;
  return fields;
}

function fieldsOfProject(doc: ProjectDoc): ProjectFields {
  const { _id, k, v, at, tx, undecided, gone, ...fields } = doc;
  return fields;
}

function busy(what: string): GodockerError {
  return new GodockerError(ErrorCodes.UNAVAILABLE, `${what} kept changing under this change: try again`);
}

function toUser(doc: UserDoc): StoredUser {
  return {
    name: String(doc.k),
    uid: doc.uid,
    gid: doc.gid,
    home: doc.home,
    admin: doc.admin,
    createdAt: doc.createdAt,
    priority: doc.priority,
    quota: parseQuota(doc.quota),
    ...(typeof doc.mail === 'string' ? { mail: doc.mail } : {}),
    ...(doc.fromDirectory ? { fromDirectory: true } : {}),
  };
}

function toToken(doc: TokenDoc): StoredToken {
  return {
    id: doc.id ?? tokenIdOf(doc._id),
    user: doc.user,
    label: doc.label,
    createdAt: doc.createdAt,
    expiresAt: doc.expiresAt ?? null,
    lastUsedAt: doc.lastUsedAt ?? null,
  };
}

function parseQuota(text: string): Quota {
  return JSON.parse(text) as Quota;
}

function sortMembers(members: Member[]): Member[] {
  return members.sort((a, b) => cmp(a.user, b.user));
}

/** Code-point order, as SQLite's BINARY collation sorts names. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function projectNotFound(name: string): NotFoundError {
  return new NotFoundError(`no project named "${name}"`);
}

function notMember(project: string, user: string): NotFoundError {
  return new NotFoundError(`${user} is not a member of project "${project}"`);
}

function checkShares(shares: number): void {
  if (!Number.isSafeInteger(shares) || shares < 0) {
    throw new ValidationError(`shares must be a whole number of at least 0, not ${shares}`, 'shares');
  }
}

// Infinity would poison every sum after it; NaN is no amount.
function nonNegative(value: number, field: string): void {
  if (!Number.isFinite(value) || value < 0) throw new ValidationError(`${field} must be a finite number of at least 0`, field);
}
