/**
 * The store for several daemons: a MongoDB-wire server (MongoDB, or FerretDB, which is
 * what runs here), through the official driver. It passes the conformance suite the
 * SQLite store passes (test/store-conformance.ts).
 *
 * Every record is kept as versions (mongo-versions.ts): a state change stays a
 * compare-and-set, the insert of the record's next version. What must change several
 * records at once (an array and its tasks, a batch, a task and its parent's counts, a
 * submit with its idempotency key and the quota it was checked against) is one change
 * with one decision record. Users, projects and usage: mongo-projects.ts.
 */
import {
  ErrorCodes,
  GodockerError,
  type Job,
  type JobState,
  type Logger,
  NotFoundError,
  type Session,
  type SessionKind,
  type SshKey,
} from '@godocker/sdk';
import {
  type Collection,
  type Db,
  type Document,
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { silentLogger } from '../coordination/rate-limited-warning.js';
import { moveTask, settleArrayParent, type TaskCounts } from './array-parent.js';
import { applyJobChange } from './job-change.js';
import {
  idemKey,
  JOB_INDEXES,
  type JobFields,
  jobFields,
  jobQuery,
  matchesFilter,
  matchesSearch,
  type StoredJob,
} from './mongo-job-docs.js';
import { MongoLookupCache } from './mongo-lookup-cache.js';
import { MongoNotifications } from './mongo-notifications.js';
import { MongoProjects } from './mongo-projects.js';
import {
  ConflictError,
  Decisions,
  isDuplicateKey,
  type Key,
  type Version,
  Versions,
  type VersionWrite,
} from './mongo-versions.js';
import { DriverWatchdog } from './mongo-watchdog.js';
import { publicView, sshKeyExists, sshKeyMissing } from './ssh-key-errors.js';
import type {
  CpuTimeRow,
  DrainedNode,
  Idempotency,
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
import { expandTask, type Inherited, inheritedOf, inheritsFields, TaskCompactor } from './task-doc.js';
import { checkWaitingLimit, countUpTo } from './waiting-limit.js';

/** The layout this code writes; a database with a newer one was written by a newer GoDocker. */
export const MONGO_SCHEMA_VERSION = 1;
/** Rounds of read, plan and compare-and-set before a change that keeps meeting others gives up. */
const ROUNDS = 200;
const PARENTS_CACHED = 256;
const RECOVERY_EVERY_MS = 5_000;

export interface MongoStoreOptions {
  /** mongodb://host:port/ (any MongoDB-wire server). */
  url: string;
  database: string;
  /** How long a call waits for a server to answer before it fails (default 10 s). */
  serverSelectionTimeoutMS?: number;
  /** Where the store's going away and coming back are told (once each), and a driver that had to be opened anew. */
  logger?: Logger;
}

interface MetaDoc {
  _id: string;
  value: string;
}

interface SshKeyDoc extends StoredSshKey {
  /** [user, id]: one key of a fingerprint per user, by the unique _id. */
  _id: string;
}

interface SessionDoc {
  _id: string;
  user: string;
  name: string;
  kind: string;
  createdAt: string;
}

/** A job's usage record under its job id. */
type JobUsageDoc = Omit<JobUsageRecord, 'jobId'> & { _id: number };

interface DrainedDoc {
  _id: string;
  reason: string;
  by: string;
  at: string;
}

/** Which jobs an insert with an idempotency key made (a batch's first jobs, in order), and what it asked. */
interface IdempotencyFields {
  jobIds: number[];
  fingerprint: string | null;
}

/**
 * Whether an error says the MongoDB-wire server cannot be reached now (down, restarting,
 * the network cut): a fault of the place, answered 503 with Retry-After, not of the request.
 */
export function isStoreUnavailable(error: unknown): boolean {
  return (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError
  );
}

/** A change by a daemon that no longer leads the site (a later leader's epoch is recorded). */
export class FencedError extends GodockerError {
  constructor(mine: number | null, site: number) {
    super(
      ErrorCodes.UNAVAILABLE,
      mine === null
        ? 'this daemon does not lead the site: it may not change jobs'
        : `this daemon's leadership (epoch ${mine}) has been taken over (epoch ${site}): it may not change jobs`,
    );
    this.name = 'FencedError';
  }
}

/** A job for `importJobs`: its id and its stored fields. */
export interface ImportedJob {
  id: number;
  fields: JobFields;
}

/** What one submission writes, and the job it answers with. */
interface Planned {
  writes: VersionWrite[];
  first: Job;
}

/** A job document being changed by an update group: as read, and as it will be written. */
interface Touched {
  stored: StoredJob;
  next: number;
  doc: NewJob;
  /** Only a job a change applied to is written: a rewrite of one as it was would take a version for nothing. */
  changed: boolean;
}

export class MongoStore implements Store {
  private readonly decisions: Decisions;
  private readonly jobs: Versions<JobFields>;
  private readonly idempotency: Versions<IdempotencyFields>;
  /** One record per quota scope, whose version a submit checked against it takes. */
  private readonly guards: Versions<Document>;
  private readonly meta: Collection<MetaDoc>;
  private readonly sessions: Collection<SessionDoc>;
  private readonly sshKeys: Collection<SshKeyDoc>;
  private readonly drained: Collection<DrainedDoc>;
  private readonly jobUsage: Collection<JobUsageDoc>;
  private readonly counters: Collection<{ _id: string; seq: number }>;
  /** Job id ranges taken, by their first id: see allocateIds. */
  private readonly idRanges: Collection<{ _id: number; count: number }>;
  private readonly accounts: MongoProjects;
  private readonly lookups: MongoLookupCache;
  private readonly notifications: MongoNotifications;
  /** The site's leadership: the highest epoch any leader claimed (fencing). */
  private readonly site: Versions<{ epoch: number }>;
  /** This daemon's epoch while it leads a site; job changes are refused once a later leader claimed the site. */
  private fencing: (() => number | null) | null = null;
  /** What the tasks of recently read arrays take from their parent (it never changes). */
  private readonly parents = new Map<number, Inherited>();
  private recovery: NodeJS.Timeout | null = null;

  private constructor(
    private readonly client: MongoClient,
    db: Db,
    private readonly watchdog: DriverWatchdog,
  ) {
    this.decisions = new Decisions(db);
    this.jobs = new Versions<JobFields>(db, 'jobs', this.decisions);
    this.idempotency = new Versions<IdempotencyFields>(db, 'idempotency', this.decisions);
    this.guards = new Versions<Document>(db, 'guards', this.decisions);
    this.meta = db.collection<MetaDoc>('meta');
    this.sessions = db.collection<SessionDoc>('sessions');
    this.sshKeys = db.collection<SshKeyDoc>('ssh_keys');
    this.drained = db.collection<DrainedDoc>('drained_nodes');
    this.jobUsage = db.collection<JobUsageDoc>('job_usage');
    this.counters = db.collection('counters');
    this.idRanges = db.collection('id_ranges');
    this.accounts = new MongoProjects(db, this.decisions);
    this.lookups = new MongoLookupCache(this.meta);
    this.notifications = new MongoNotifications(db);
    this.site = new Versions<{ epoch: number }>(db, 'site', this.decisions);
  }

  /**
   * A leader's epoch is recorded as the site's unless a later one is: from then on, job changes
   * of a store fenced with an earlier epoch are refused (a leader that was paused past its lease
   * and woke up cannot act). Returns the epoch the site has.
   */
  async claimLeadership(epoch: number): Promise<number> {
    for (let round = 0; ; round++) {
      const head = await this.site.head('leader').catch((e: unknown) => {
        if (e instanceof ConflictError) return null;
        throw e;
      });
      if (head) {
        if ((head.current?.epoch ?? 0) >= epoch) return head.current?.epoch ?? epoch;
        try {
          await this.site.write('leader', head.next, { epoch });
          return epoch;
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
        }
      }
      if (round >= ROUNDS) throw new GodockerError(ErrorCodes.UNAVAILABLE, 'the site leadership record kept changing');
      await pause(round);
    }
  }

  /** The highest epoch a leader claimed (0: none). */
  async siteEpoch(): Promise<number> {
    return (await this.site.get('leader'))?.epoch ?? 0;
  }

  /** Job changes through this store carry `epoch()` and are refused once the site has a later one. */
  fence(epoch: () => number | null): void {
    this.fencing = epoch;
  }

  static async open(options: MongoStoreOptions): Promise<MongoStore> {
    const client = new MongoClient(options.url, {
      // A call while the server is away fails after this (the API answers 503), not at the client's timeout.
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
      // A server that stopped answering on an open connection (a paused process, a cut network).
      socketTimeoutMS: 20_000,
      // How soon a server that is back is seen again. FerretDB sends no topologyVersion, so the
      // driver polls it anyway; on MongoDB, polling keeps one way of checking for both.
      heartbeatFrequencyMS: 2_000,
      serverMonitoringMode: 'poll',
      // Bounds each check of the server as well: the watchdog takes one running twice this long as stuck.
      connectTimeoutMS: 10_000,
      // A write is acknowledged once it is durable on the server's journal.
      writeConcern: { w: 'majority', journal: true },
    });

    const watchdog = new DriverWatchdog(client, options.logger ?? silentLogger);
    await client.connect();
    watchdog.start();
    return new MongoStore(client, client.db(options.database), watchdog);
  }

  async migrate(): Promise<void> {
    const version = await this.meta.findOne({ _id: 'schemaVersion' });
    if (version && Number(version.value) > MONGO_SCHEMA_VERSION) {
      throw new GodockerError(
        ErrorCodes.CONFIG_INVALID,
        `the MongoDB database has GoDocker schema version ${version.value}, newer than this GoDocker knows (${MONGO_SCHEMA_VERSION}): upgrade GoDocker`,
      );
    }
    await this.jobs.createIndexes(JOB_INDEXES);
    await this.idempotency.createIndexes();
    await this.guards.createIndexes();
    await this.decisions.createIndexes();
    await this.sessions.createIndex({ user: 1, name: 1 });
    await this.sshKeys.createIndex({ user: 1 });
    await this.accounts.migrate(new Date().toISOString());
    await this.notifications.migrate();
    await this.meta.updateOne({ _id: 'schemaVersion' }, { $set: { value: String(MONGO_SCHEMA_VERSION) } }, { upsert: true });
    await this.decisions.recover();
    if (!this.recovery) {
      // Changes a dead writer left half-made are ended by whichever daemon comes by.
      this.recovery = setInterval(() => void this.decisions.recover().catch(() => undefined), RECOVERY_EVERY_MS);
      this.recovery.unref();
    }
  }

  /**
   * Ends what writers that died left half-made (their changes aborted, or finished when they
   * had committed). Runs every few seconds by itself; `now` later than the clock ends changes
   * sooner than STALE_MS after they were left.
   */
  async recover(now = Date.now()): Promise<void> {
    await this.decisions.recover(now);
  }

  /** Resolves once what this store left running after answering is done (tests read the database below it). */
  async settled(): Promise<void> {
    await this.decisions.settled();
  }

  async close(): Promise<void> {
    if (this.recovery) clearInterval(this.recovery);
    this.recovery = null;
    await this.decisions.settled();
    this.watchdog.stop();
    await this.client.close();
  }

  async getMeta(key: string): Promise<string | null> {
    return (await this.meta.findOne({ _id: key }))?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.meta.updateOne({ _id: key }, { $set: { value } }, { upsert: true });
  }

  async listMeta(prefix: string): Promise<{ key: string; value: string }[]> {
    // Read whole and filtered here: the keys are few, and a prefix is then never a pattern.
    const docs = await this.meta.find({}).toArray();
    return docs
      .filter((d) => d._id.startsWith(prefix))
      .map((d) => ({ key: d._id, value: d.value }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  // Users, tokens, projects and usage: mongo-projects.ts.

  createUser(user: NewUser): Promise<void> {
    return this.lookups.writing(() => this.accounts.createUser(user));
  }
  getUser(name: string): Promise<StoredUser | null> {
    return this.lookups.get(`user ${name}`, () => this.accounts.getUser(name));
  }
  listUsers(): Promise<StoredUser[]> {
    return this.accounts.listUsers();
  }
  countUsers(): Promise<number> {
    return this.accounts.countUsers();
  }
  updateUser(name: string, patch: UserPatch): Promise<StoredUser> {
    return this.lookups.writing(() => this.accounts.updateUser(name, patch));
  }
  addToken(userName: string, tokenHash: string, label: string, options?: NewTokenOptions): Promise<StoredToken> {
    return this.lookups.writing(() => this.accounts.addToken(userName, tokenHash, label, options));
  }
  findToken(tokenHash: string): Promise<{ token: StoredToken; user: StoredUser } | null> {
    return this.lookups.get(`token ${tokenHash}`, () => this.accounts.findToken(tokenHash));
  }
  getToken(id: string): Promise<StoredToken | null> {
    return this.accounts.getToken(id);
  }
  listTokens(userName: string): Promise<StoredToken[]> {
    return this.accounts.listTokens(userName);
  }
  deleteToken(id: string): Promise<boolean> {
    return this.lookups.writing(() => this.accounts.deleteToken(id));
  }
  /** Not through the lookups: when a token was last used is a note no lookup answers from. */
  touchToken(id: string, at: string): Promise<void> {
    return this.accounts.touchToken(id, at);
  }
  createProject(project: NewProject) {
    return this.lookups.writing(() => this.accounts.createProject(project));
  }
  getProject(name: string) {
    return this.lookups.get(`project ${name}`, () => this.accounts.getProject(name));
  }
  listProjects() {
    return this.accounts.listProjects();
  }
  projectsOfUser(user: string) {
    return this.accounts.projectsOfUser(user);
  }
  isMember(project: string, user: string): Promise<boolean> {
    return this.accounts.isMember(project, user);
  }
  updateProject(name: string, patch: ProjectPatch) {
    return this.lookups.writing(() => this.accounts.updateProject(name, patch));
  }
  deleteProject(name: string): Promise<void> {
    return this.lookups.writing(() =>
      this.accounts.deleteProject(name, async () => {
        const [job] = await this.scan({ project: name }, { newestFirst: false, want: 1 });
        return job ? job.k : null;
      }),
    );
  }
  addMember(project: string, user: string, shares: number) {
    return this.lookups.writing(() => this.accounts.addMember(project, user, shares));
  }
  updateMember(project: string, user: string, shares: number) {
    return this.lookups.writing(() => this.accounts.updateMember(project, user, shares));
  }
  removeMember(project: string, user: string) {
    return this.lookups.writing(() => this.accounts.removeMember(project, user));
  }
  getUsage(): Promise<UsageRow[]> {
    return this.accounts.getUsage();
  }
  saveUsage(rows: readonly UsageRow[]): Promise<void> {
    return this.accounts.saveUsage(rows);
  }
  addCpuTime(project: string, user: string, bucketStart: number, cpuSeconds: number): Promise<void> {
    return this.accounts.addCpuTime(project, user, bucketStart, cpuSeconds);
  }
  cpuTimeSince(sinceEpochSeconds: number): Promise<CpuTimeRow[]> {
    return this.accounts.cpuTimeSince(sinceEpochSeconds);
  }
  resetCpuTime(project?: string, user?: string): Promise<number> {
    return this.accounts.resetCpuTime(project, user);
  }

  // Imports: `godocker admin migrate` (sqlite-to-mongo.ts) moving another store's jobs with their ids.

  /** Jobs as another store kept them (a task's document compact as there), with their ids. Only into a store without them. */
  async importJobs(jobs: readonly ImportedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.jobs.importRecords(jobs.map((j) => ({ k: j.id, fields: j.fields })));
    const last = Math.max(...jobs.map((j) => j.id));
    await this.counters.updateOne({ _id: 'jobs' }, { $max: { seq: last } }, { upsert: true });
  }

  /** An idempotency key another store kept: a retry of that submit answers its job here too. */
  async importIdempotency(idempotency: Idempotency, jobIds: number[]): Promise<void> {
    await this.idempotency.write(idemKey(idempotency.user, idempotency.key), 1, {
      jobIds,
      fingerprint: idempotency.fingerprint ?? null,
    });
  }

  /** How many idempotency keys are kept. */
  async countIdempotencyKeys(): Promise<number> {
    return (await this.idempotency.find({}, () => true, { order: 1 })).length;
  }

  // Inserts.

  async insertJobs(request: InsertRequest): Promise<InsertResult> {
    checkSubmission(request);
    const { idempotency } = request;
    return this.retrying(async () => {
      if (idempotency) {
        const job = await this.earlierJob(idempotency.user, idempotency.key, idempotency.fingerprint);
        if (job) return { job, created: false };
      }
      const guards = await this.checkLimits(request.limits, new Map());
      const [planned] = (await this.plan([request])) as [Planned];
      const writes = [...planned.writes, ...guards];
      if (idempotency) writes.push(this.idempotencyWrite(idempotency, [planned.first.id]));
      await this.write(writes);
      return { job: planned.first, created: true };
    });
  }

  async insertEach(requests: readonly InsertRequest[]): Promise<(InsertResult | Error)[]> {
    if (requests.length === 0) return [];
    const answers: (InsertResult | Error | SameKeyInGroup | null)[] = [];
    const toStore: InsertRequest[] = [];
    const added = new Map<string, number>();
    const keys = new Map<string, { index: number; fingerprint: string | undefined }>();
    const guards = new Map<Key, VersionWrite>();
    for (const request of requests) {
      try {
        checkSubmission(request);
        const { idempotency } = request;
        if (idempotency) {
          const first = keys.get(idemKey(idempotency.user, idempotency.key));
          if (first !== undefined) {
            const fp = idempotency.fingerprint;
            if (fp !== undefined && first.fingerprint !== undefined && fp !== first.fingerprint)
              throw keyReused(idempotency.key, null);
            answers.push(new SameKeyInGroup(first.index));
            continue;
          }
          const job = await this.earlierJob(idempotency.user, idempotency.key, idempotency.fingerprint);
          if (job) {
            answers.push({ job, created: false });
            continue;
          }
        }
        for (const write of await this.checkLimits(request.limits, added)) guards.set(write.k, write);
        for (const limit of request.limits ?? []) added.set(scopeOf(limit), (added.get(scopeOf(limit)) ?? 0) + limit.adds);
        if (idempotency) {
          keys.set(idemKey(idempotency.user, idempotency.key), { index: answers.length, fingerprint: idempotency.fingerprint });
        }
        answers.push(null);
        toStore.push(request);
      } catch (e) {
        if (e instanceof ConflictError) throw e;
        answers.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
    const planned = await this.plan(toStore);
    const writes = [...planned.flatMap((p) => p.writes), ...guards.values()];
    toStore.forEach((request, i) => {
      if (request.idempotency) writes.push(this.idempotencyWrite(request.idempotency, [(planned[i] as Planned).first.id]));
    });
    // One change: the group is stored whole or not at all (the caller then inserts one by one).
    await this.write(writes);
    let next = 0;
    const stored = answers.map((a) => (a === null ? { job: (planned[next++] as Planned).first, created: true } : a));
    return stored.map((a) => (a instanceof SameKeyInGroup ? { job: (stored[a.index] as InsertResult).job, created: false } : a));
  }

  async insertBatch(request: InsertBatchRequest): Promise<InsertBatchResult> {
    if (request.submissions.length === 0) throw new GodockerError(ErrorCodes.INVALID_REQUEST, 'insertBatch needs a submission');
    for (const submission of request.submissions) checkSubmission(submission);
    const { idempotency } = request;
    return this.retrying(async () => {
      if (idempotency) {
        const jobs = await this.earlierBatch(
          idempotency.user,
          idempotency.key,
          idempotency.fingerprint,
          request.submissions.length,
        );
        if (jobs) return { jobs, created: false };
      }
      const guards = await this.checkLimits(request.limits, new Map());
      const planned = await this.plan(request.submissions);
      const writes = [...planned.flatMap((p) => p.writes), ...guards];
      if (idempotency)
        writes.push(
          this.idempotencyWrite(
            idempotency,
            planned.map((p) => p.first.id),
          ),
        );
      await this.write(writes);
      return { jobs: planned.map((p) => p.first), created: true };
    });
  }

  async findIdempotent(user: string, key: string, fingerprint?: string): Promise<Job | null> {
    return this.earlierJob(user, key, fingerprint);
  }

  async findIdempotentBatch(user: string, key: string, fingerprint: string | undefined, count: number): Promise<Job[] | null> {
    return this.earlierBatch(user, key, fingerprint, count);
  }

  async addArrayTasks(parentId: number, tasks: readonly NewJob[]): Promise<Job[]> {
    if (tasks.length === 0) return [];
    return this.retrying(async () => {
      const head = await this.jobs.head(parentId);
      const stored = head.current as StoredJob | null;
      const parent = stored ? (JSON.parse(stored.doc) as NewJob) : null;
      if (!stored || !parent?.array)
        throw new NotFoundError(`no array job ${parentId} to add tasks to`, ErrorCodes.JOB_NOT_FOUND);
      const array = parent.array;
      const created = array.created ?? array.count;
      const expected = array.start + created * array.step;
      const firstIndex = tasks[0]?.taskIndex;
      if (firstIndex !== expected || created + tasks.length > array.count) {
        throw new GodockerError(
          ErrorCodes.CONFLICT,
          `array ${parentId} has ${created} of its ${array.count} tasks: the next is index ${expected}, not ${firstIndex} (another writer?)`,
        );
      }
      const firstId = await this.allocateIds(tasks.length);
      const compactor = new TaskCompactor(parent);
      const counts: TaskCounts = { ...array.tasks };
      const writes: VersionWrite[] = [];
      const out: Job[] = [];
      tasks.forEach((task, i) => {
        const id = firstId + i;
        writes.push(this.newJobWrite(id, jobFields(task, parentId, compactor)));
        counts[task.status.state] = (counts[task.status.state] ?? 0) + 1;
        out.push({ ...task, id, parentId });
      });
      const grown: NewJob = { ...parent, array: { ...array, created: created + tasks.length } };
      writes.push(this.jobWrite(stored, head.next, settleArrayParent(grown, counts, new Date().toISOString())));
      await this.checkFence();
      await this.decisions.run(writes);
      return out;
    });
  }

  // Reads.

  async getJob(id: number): Promise<Job | null> {
    const stored = await this.readStored(id);
    return stored ? this.toJob(stored) : null;
  }

  async listJobs(filter: JobFilter, page: PageRequest): Promise<JobPage> {
    if (!Number.isInteger(page.limit) || page.limit < 1) {
      throw new GodockerError(ErrorCodes.INVALID_REQUEST, `page limit must be a positive integer, not ${page.limit}`, {
        field: 'limit',
      });
    }
    const found = await this.scan(filter, { newestFirst: true, below: page.cursor, want: page.limit + 1 });
    const jobs = await this.toJobs(found.slice(0, page.limit));
    const last = jobs.at(-1);
    return { jobs, nextCursor: found.length > page.limit && last ? last.id : null };
  }

  async jobsInStates(states: JobState[]): Promise<Job[]> {
    return this.toJobs(await this.scan({ states }, { newestFirst: false }));
  }

  async queuedJobs(afterId: number, limit: number): Promise<QueuedJob[]> {
    const found = await this.scan({ states: ['pending'] }, { newestFirst: false, above: afterId, want: limit });
    const out: QueuedJob[] = [];
    for (const s of found.slice(0, limit)) {
      out.push({
        id: s.k,
        parentId: s.parentId,
        submittedAt: s.submittedAt,
        job: s.parentId === null ? await this.toJob(s) : null,
      });
    }
    return out;
  }

  async countByState(filter: JobFilter): Promise<Partial<Record<JobState, number>>> {
    const counts: Partial<Record<JobState, number>> = {};
    for (const s of await this.scan(filter, { newestFirst: false })) counts[s.state] = (counts[s.state] ?? 0) + 1;
    return counts;
  }

  async countByProjectState(): Promise<ProjectStateCount[]> {
    // The records as they count now (the versions scheme has no aggregate that knows which
    // version counts): one pass over the jobs' index keys and current versions.
    const counts = new Map<string, ProjectStateCount>();
    for (const s of await this.scan({ arrayParent: false }, { newestFirst: false })) {
      const key = `${s.state}\u0000${s.project}`;
      const row = counts.get(key) ?? { project: s.project, state: s.state, count: 0 };
      row.count += 1;
      counts.set(key, row);
    }
    return [...counts.values()];
  }

  async endedJobsBefore(endedBefore: string, afterId: number, limit: number): Promise<Job[]> {
    // Equality on the state (FerretDB answers it from its index), the rest checked on the documents, a page at a time.
    const out: Job[] = [];
    let above = afterId;
    for (;;) {
      const page = await this.scan({ states: ['done', 'failed'] }, { newestFirst: false, above, want: limit });
      for (const s of page) {
        const status = (JSON.parse(s.doc) as NewJob).status;
        if (status.archivedAt === undefined && status.endedAt !== null && status.endedAt < endedBefore) {
          out.push(await this.toJob(s));
          if (out.length >= limit) return out;
        }
      }
      const last = page.at(-1);
      if (page.length < limit || last === undefined) return out;
      above = last.k;
    }
  }

  async listJobIds(filter: JobFilter): Promise<number[]> {
    return (await this.scan(filter, { newestFirst: false })).map((s) => s.k);
  }

  // Updates.

  async updateJob(id: number, change: JobChange, expect?: { states: JobState[] }): Promise<Job | null> {
    const [answer] = await this.updateEach([expect ? { id, change, expect } : { id, change }]);
    if (answer instanceof Error) throw answer;
    return answer ?? null;
  }

  async updateEach(updates: readonly JobUpdate[]): Promise<(Job | null | Error)[]> {
    if (updates.length === 0) return [];
    return this.retrying(async () => {
      const touched = new Map<number, Touched>();
      const answers: (Job | null | Error)[] = [];
      for (const { id, change, expect } of updates) {
        let entry: Touched | null;
        let before: JobState;
        try {
          entry = await this.touch(touched, id);
          if (!entry || (expect && !expect.states.includes(entry.doc.status.state))) {
            answers.push(null);
            continue;
          }
          before = entry.doc.status.state;
          entry.doc = applyJobChange(entry.doc, change);
          entry.changed = true;
        } catch (e) {
          if (e instanceof ConflictError) throw e;
          answers.push(e instanceof Error ? e : new Error(String(e)));
          continue;
        }
        const after = entry.doc.status.state;
        if (before !== after && entry.doc.parentId !== null) {
          await this.moveTaskOfParent(touched, entry.doc.parentId, before, after, change.state?.at);
        }
        answers.push({ id, ...(await this.whole(entry.stored.parentId, entry.doc)) });
      }
      // Made after every plan: a document that cannot be written refuses the whole group.
      const writes = [...touched.values()].filter((t) => t.changed).map((t) => this.jobWrite(t.stored, t.next, t.doc));
      await this.write(writes);
      return answers;
    });
  }

  async reapJobs(ids: readonly number[], at: string): Promise<number[]> {
    const reaped: number[] = [];
    for (const id of ids) {
      const done = await this.retrying(async () => {
        const head = await this.jobs.head(id);
        const stored = head.current as StoredJob | null;
        if (!stored || stored.reaped) return false;
        await this.checkFence();
        await this.jobs.write(id, head.next, { ...fieldsOf(stored), reaped: true, reapedAt: at });
        return true;
      });
      if (done) reaped.push(id);
    }
    return reaped;
  }

  // The notification outbox.

  async addNotifications(records: readonly NotificationRecord[]): Promise<number> {
    return this.notifications.add(records);
  }

  async pendingNotifications(limit: number): Promise<NotificationRecord[]> {
    return this.notifications.pending(limit);
  }

  async updateNotification(id: string, patch: NotificationPatch): Promise<void> {
    await this.notifications.update(id, patch);
  }

  async notificationsOfJob(jobId: number): Promise<NotificationRecord[]> {
    return this.notifications.ofJob(jobId);
  }

  async purgeNotifications(doneBefore: string): Promise<number> {
    return this.notifications.purge(doneBefore);
  }

  // Nodes.

  async drainNode(node: DrainedNode): Promise<DrainedNode> {
    await this.drained.replaceOne({ _id: node.name }, { reason: node.reason, by: node.by, at: node.at }, { upsert: true });
    return { ...node };
  }

  async resumeNode(name: string): Promise<boolean> {
    return (await this.drained.deleteOne({ _id: name })).deletedCount === 1;
  }

  async drainedNodes(): Promise<DrainedNode[]> {
    const docs = await this.drained.find({}).sort({ _id: 1 }).toArray();
    return docs.map((d) => ({ name: d._id, reason: d.reason, by: d.by, at: d.at }));
  }

  // Sampled job usage.

  async saveJobUsage(records: readonly JobUsageRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.jobUsage.bulkWrite(
      records.map(({ jobId, ...rest }) => ({
        replaceOne: { filter: { _id: jobId }, replacement: rest, upsert: true },
      })),
      { ordered: false },
    );
  }

  async getJobUsage(jobId: number): Promise<JobUsageRecord | null> {
    const doc = await this.jobUsage.findOne({ _id: jobId });
    if (!doc) return null;
    const { _id, ...rest } = doc;
    return { jobId: _id, ...rest };
  }

  // SSH keys.

  async addSshKey(key: StoredSshKey): Promise<SshKey> {
    if (!(await this.accounts.userExists(key.user))) throw new NotFoundError(`no user named "${key.user}"`);
    try {
      await this.sshKeys.insertOne({ _id: sessionId(key.user, key.id), ...key });
    } catch (e) {
      if (isDuplicateKey(e)) throw sshKeyExists(key);
      throw e;
    }
    return publicView(key);
  }

  async listSshKeys(user: string): Promise<StoredSshKey[]> {
    const docs = await this.sshKeys.find({ user }).toArray();
    return docs
      .map(({ _id, ...key }) => key)
      .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1));
  }

  async deleteSshKey(user: string, id: string): Promise<void> {
    const { deletedCount } = await this.sshKeys.deleteOne({ _id: sessionId(user, id) });
    if (deletedCount === 0) throw sshKeyMissing(id);
  }

  // Sessions.

  async createSession(session: Session): Promise<Session> {
    if (!(await this.accounts.userExists(session.user))) throw new NotFoundError(`no user named "${session.user}"`);
    try {
      await this.sessions.insertOne({
        _id: sessionId(session.user, session.name),
        user: session.user,
        name: session.name,
        kind: session.kind,
        createdAt: session.createdAt,
      });
    } catch (e) {
      if (isDuplicateKey(e)) {
        throw new GodockerError(ErrorCodes.CONFLICT, `you already have a session named "${session.name}"`, { field: 'name' });
      }
      throw e;
    }
    return { ...session };
  }

  async getSession(user: string, name: string): Promise<Session | null> {
    const doc = await this.sessions.findOne({ _id: sessionId(user, name) });
    return doc ? toSession(doc) : null;
  }

  async listSessions(user: string): Promise<Session[]> {
    const docs = await this.sessions.find({ user }).toArray();
    return docs.map(toSession).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async deleteSession(user: string, name: string): Promise<void> {
    if (!(await this.sessions.findOne({ _id: sessionId(user, name) }))) {
      throw new NotFoundError(`no session named "${name}"`, ErrorCodes.SESSION_NOT_FOUND);
    }
    // Its jobs leave it first: a crash in between leaves the session, empty, to delete again,
    // never jobs in a session that no longer exists (a new one of that name would take them).
    await this.detachSessionJobs(user, name);
    await this.sessions.deleteOne({ _id: sessionId(user, name) });
    // A submit into the session while it was being deleted.
    await this.detachSessionJobs(user, name);
  }

  // Below: the parts of the above.

  private async detachSessionJobs(user: string, name: string): Promise<void> {
    for (const s of await this.scan({ user, session: name }, { newestFirst: false })) {
      await this.retrying(async () => {
        const head = await this.jobs.head(s.k);
        const stored = head.current as StoredJob | null;
        if (!stored || stored.session !== name) return;
        const doc = JSON.parse(stored.doc) as NewJob;
        await this.jobs.write(s.k, head.next, this.jobWrite(stored, head.next, { ...doc, session: null }).fields);
      });
    }
  }

  /** The jobs matching `filter` as they are now, in id order (newest first or oldest first). */
  private async scan(
    filter: JobFilter,
    options: { newestFirst: boolean; below?: number | undefined; above?: number; want?: number },
  ): Promise<StoredJob[]> {
    const q = jobQuery(filter);
    if (q === null) return [];
    const range: { order: 1 | -1; below?: number; above?: number; want?: number } = { order: options.newestFirst ? -1 : 1 };
    if (options.below !== undefined) range.below = options.below;
    if (options.above !== undefined) range.above = options.above;
    if (options.want !== undefined) range.want = options.want;
    const search = filter.search;
    if (search === undefined) return (await this.jobs.find(q, (s) => matchesFilter(s, filter), range)) as StoredJob[];
    const image = async (parentId: number) => (await this.inheritedFrom(parentId)).container.image;
    const check = async (s: Version<JobFields>) => matchesFilter(s, filter) && matchesSearch(s as StoredJob, search, image);
    return (await this.jobs.find(q, check, range)) as StoredJob[];
  }

  private async readStored(id: number): Promise<StoredJob | null> {
    return (await this.jobs.get(id)) as StoredJob | null;
  }

  private async toJobs(stored: readonly StoredJob[]): Promise<Job[]> {
    const out: Job[] = [];
    // One after the other: the tasks of one array share its parent, read once.
    for (const s of stored) out.push(await this.toJob(s));
    return out;
  }

  private async toJob(s: StoredJob): Promise<Job> {
    return { id: s.k, ...(await this.whole(s.parentId, JSON.parse(s.doc) as NewJob)) };
  }

  /** A stored document as the whole job: a task's with what it takes from its parent. */
  private async whole(parentId: number | null, doc: NewJob): Promise<NewJob> {
    const d = doc as unknown as Record<string, unknown>;
    if (parentId === null || !inheritsFields(d)) return doc;
    return expandTask({ ...d, command: { ...(d.command as object) } }, await this.inheritedFrom(parentId));
  }

  private async inheritedFrom(parentId: number): Promise<Inherited> {
    const cached = this.parents.get(parentId);
    if (cached) {
      this.parents.delete(parentId);
      this.parents.set(parentId, cached);
      return cached;
    }
    const stored = await this.readStored(parentId);
    if (!stored)
      throw new GodockerError(ErrorCodes.INTERNAL, `the parent ${parentId} of an array task is missing from the store`);
    const inherited = inheritedOf(JSON.parse(stored.doc) as NewJob);
    this.parents.set(parentId, inherited);
    if (this.parents.size > PARENTS_CACHED) this.parents.delete(this.parents.keys().next().value as number);
    return inherited;
  }

  private async earlierIds(user: string, key: string, fingerprint: string | undefined): Promise<number[] | null> {
    const found = await this.idempotency.get(idemKey(user, key));
    if (!found) return null;
    if (fingerprint !== undefined && found.fingerprint !== null && found.fingerprint !== fingerprint) {
      throw keyReused(key, found.jobIds[0] ?? null);
    }
    return found.jobIds;
  }

  private async earlierJob(user: string, key: string, fingerprint: string | undefined): Promise<Job | null> {
    const ids = await this.earlierIds(user, key, fingerprint);
    return ids && ids[0] !== undefined ? this.getJob(ids[0]) : null;
  }

  private async earlierBatch(user: string, key: string, fingerprint: string | undefined, count: number): Promise<Job[] | null> {
    const ids = await this.earlierIds(user, key, fingerprint);
    if (!ids) return null;
    const jobs: Job[] = [];
    for (const id of ids) {
      const job = await this.getJob(id);
      if (job) jobs.push(job);
    }
    if (jobs.length !== count) {
      throw new GodockerError(
        ErrorCodes.CONFLICT,
        `Idempotency-Key "${key}" answered a batch of ${count} jobs, ${count - jobs.length} of which have since been purged: send the batch with a new key`,
        { field: 'header.idempotency-key' },
      );
    }
    return jobs;
  }

  /** The idempotency record of an insert: its version 1, so two inserts with one key cannot both be stored. */
  private idempotencyWrite(idempotency: Idempotency, jobIds: number[]): VersionWrite {
    const fields: IdempotencyFields = { jobIds, fingerprint: idempotency.fingerprint ?? null };
    return {
      versions: this.idempotency as unknown as Versions<Document>,
      k: idemKey(idempotency.user, idempotency.key),
      v: 1,
      fields,
      // Idempotency records are never changed: no version can ever be above the first.
      fresh: true,
    };
  }

  /**
   * Checks the limits and returns the writes that hold them: the next version of each scope's
   * guard record, so two inserts racing for the last free place conflict and count again.
   * `added`: what earlier inserts of the same group add.
   */
  private async checkLimits(
    limits: readonly WaitingLimit[] | undefined,
    added: ReadonlyMap<string, number>,
  ): Promise<VersionWrite[]> {
    const writes: VersionWrite[] = [];
    for (const limit of limits ?? []) {
      const id = scopeOf(limit);
      const guard = await this.guards.head(id);
      const filter: JobFilter = {
        states: ['pending', 'held'],
        ...(limit.scope === 'user' ? { user: limit.name } : { project: limit.name }),
      };
      const waiting = (await this.scan(filter, { newestFirst: false, want: countUpTo(limit) })).length;
      checkWaitingLimit(limit, Math.min(waiting, countUpTo(limit)) + (added.get(id) ?? 0));
      writes.push({ versions: this.guards, k: id, v: guard.next, fields: {} });
    }
    return writes;
  }

  /** The writes of each submission (ids taken for all at once). Throws, writing nothing, for a document that cannot be stored. */
  private async plan(submissions: readonly Omit<InsertRequest, 'idempotency'>[]): Promise<Planned[]> {
    const total = submissions.reduce((n, s) => n + s.jobs.length, 0);
    if (total === 0) return [];
    let id = await this.allocateIds(total);
    return submissions.map(({ jobs, isArray }) => {
      const [first, ...rest] = jobs as [NewJob, ...NewJob[]];
      const firstId = id++;
      const fields = jobFields(first, first.parentId, null);
      const writes = [this.newJobWrite(firstId, fields)];
      const compactor = isArray ? new TaskCompactor(first) : null;
      for (const job of rest) writes.push(this.newJobWrite(id++, jobFields(job, isArray ? firstId : job.parentId, compactor)));
      // The text just made rather than the input: the caller gets exactly what is stored.
      return { writes, first: { id: firstId, ...(JSON.parse(fields.doc) as NewJob) } };
    });
  }

  private newJobWrite(id: number, fields: JobFields): VersionWrite {
    // The id came from allocateIds: no version of it was ever written.
    return { versions: this.jobs as unknown as Versions<Document>, k: id, v: 1, fields, fresh: true };
  }

  /**
   * The next version of a stored job with `next` as its document. `next` is the stored
   * document changed (a task's compact form stays compact: what it leaves to its parent never
   * changes), so its owner and project are the stored ones.
   */
  private jobWrite(stored: StoredJob, v: number, next: NewJob): VersionWrite {
    const fields: JobFields = {
      ...fieldsOf(stored),
      state: next.status.state,
      session: next.session,
      name: next.meta.name,
      submittedAt: next.status.submittedAt,
      endedAt: next.status.endedAt,
      arrayParent: next.array !== null,
      tags: [...new Set(next.meta.tags)],
      doc: JSON.stringify(next),
    };
    return { versions: this.jobs as unknown as Versions<Document>, k: stored.k, v, fields };
  }

  /** One record is one compare-and-set (the insert of its version); more are one change. */
  private async write(writes: readonly VersionWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.checkFence();
    if (writes.length > 1) return this.decisions.run(writes);
    const w = writes[0] as VersionWrite;
    await w.versions.write(w.k, w.v, w.fields, w.gone ?? false, w.fresh ?? false);
  }

  /**
   * Ids for `count` new jobs, in a row, never used before. A range is taken by inserting a
   * record keyed by its first id: of two takers of one start, the unique `_id` lets one win,
   * and the other steps past the winner's range and tries there. Every start is the end of
   * another range plus one, so ranges never overlap, on a server whose `$inc` is not atomic
   * too (FerretDB's is not). The counter only says where to begin: one that lags (a lost `$max`)
   * costs a few steps, never an id twice. Ids that are new for sure let their first versions be
   * written without looking for versions above them (VersionWrite.fresh).
   */
  private async allocateIds(count: number): Promise<number> {
    let start = ((await this.counters.findOne({ _id: 'jobs' }))?.seq ?? 0) + 1;
    for (let round = 0; ; round++) {
      try {
        await this.idRanges.insertOne({ _id: start, count });
        break;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
      const taken = await this.idRanges.findOne({ _id: start });
      // Ranges are never deleted: a start that is taken has its record.
      if (!taken) throw new GodockerError(ErrorCodes.INTERNAL, `job id range at ${start} is taken but has no record`);
      start += taken.count;
      if (round > 10_000) throw new GodockerError(ErrorCodes.UNAVAILABLE, 'could not take a range of job ids: try again');
    }
    // Not waited for: when it is late or lost (two first allocations racing to create the
    // counter), the next allocation walks a step further.
    this.decisions.later(this.counters.updateOne({ _id: 'jobs' }, { $max: { seq: start + count - 1 } }, { upsert: true }));
    return start;
  }

  /** The job as this update group has it so far, read from the store the first time. */
  private async touch(touched: Map<number, Touched>, id: number): Promise<Touched | null> {
    const known = touched.get(id);
    if (known) return known;
    const head = await this.jobs.head(id);
    const stored = head.current as StoredJob | null;
    if (!stored) return null;
    const entry = { stored, next: head.next, doc: JSON.parse(stored.doc) as NewJob, changed: false };
    touched.set(id, entry);
    return entry;
  }

  /** A task of this parent moved: the parent's counts and state follow, in the same change. */
  private async moveTaskOfParent(
    touched: Map<number, Touched>,
    parentId: number,
    from: JobState,
    to: JobState,
    at = new Date().toISOString(),
  ): Promise<void> {
    const parent = await this.touch(touched, parentId);
    if (!parent?.doc.array) return;
    const tasks = parent.doc.array.tasks;
    // Counts that cannot hold the move were set by hand (updateJob with an array): count afresh.
    const counts = (tasks[from] ?? 0) > 0 ? moveTask(tasks, from, to) : await this.countTasks(parentId, touched);
    parent.doc = settleArrayParent(parent.doc, counts, at);
    parent.changed = true;
  }

  /** The parent's tasks by state, as this update group leaves them. */
  private async countTasks(parentId: number, touched: ReadonlyMap<number, Touched>): Promise<TaskCounts> {
    const counts: TaskCounts = {};
    for (const s of await this.scan({ parentId }, { newestFirst: false })) {
      const state = touched.get(s.k)?.doc.status.state ?? s.state;
      counts[state] = (counts[state] ?? 0) + 1;
    }
    return counts;
  }

  /** Refuses a change of a leader whose epoch the site has left behind. */
  private async checkFence(): Promise<void> {
    if (!this.fencing) return;
    const mine = this.fencing();
    const site = await this.siteEpoch();
    if (mine === null || mine < site) throw new FencedError(mine, site);
  }

  /** Runs `attempt` again while it meets other writers' changes, with a short growing pause. */
  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let round = 0; ; round++) {
      try {
        return await attempt();
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        if (round >= ROUNDS) {
          throw new GodockerError(
            ErrorCodes.UNAVAILABLE,
            `the store is too busy with conflicting changes: try again (${e.message})`,
          );
        }
        await pause(round);
      }
    }
  }
}

/** An insert of a group whose key an earlier insert of the same group used: answered as a retry of it. */
class SameKeyInGroup {
  constructor(readonly index: number) {}
}

/** A stored job's own fields, without what the versions layer adds. */
function fieldsOf(stored: StoredJob): JobFields {
  const { _id, k, v, at, tx, undecided, gone, ...fields } = stored;
  return fields;
}

function keyReused(key: string, jobId: number | null): GodockerError {
  return new GodockerError(
    ErrorCodes.IDEMPOTENCY_KEY_REUSED,
    `Idempotency-Key "${key}" was used for another request${jobId === null ? '' : ` (job ${jobId})`}: a retry sends the same request, a new request needs a new key`,
    { field: 'header.idempotency-key' },
  );
}

function scopeOf(limit: WaitingLimit): string {
  return `${limit.scope}:${limit.name}`;
}

function sessionId(user: string, name: string): string {
  return JSON.stringify([user, name]);
}

function toSession(doc: SessionDoc): Session {
  return { name: doc.name, user: doc.user, kind: doc.kind as SessionKind, createdAt: doc.createdAt };
}

function pause(round: number): Promise<void> {
  const ms = Math.min(2 ** Math.min(round, 6), 50) * (0.5 + Math.random());
  return new Promise((r) => setTimeout(r, ms));
}

function checkSubmission({ jobs, isArray }: Omit<InsertRequest, 'idempotency'>): void {
  if (jobs.length === 0) throw new GodockerError(ErrorCodes.INVALID_REQUEST, 'an insert needs at least one job');
  if (!isArray && jobs.length !== 1) {
    throw new GodockerError(ErrorCodes.INVALID_REQUEST, 'several jobs can only be inserted as an array (isArray)');
  }
}
