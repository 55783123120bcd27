/**
 * The Store interface: everything the daemon keeps. Implementations: `sqlite`
 * (embedded default); `mongodb` later. Every implementation must pass the
 * conformance suite in `test/store-conformance.ts`.
 *
 * State changes are compare-and-set (`expect.states`), so two actors racing on
 * one job (a kill and an exit, two daemons) cannot both win.
 *
 * An array's parent is kept by the store: its `array.tasks` (task counts by state)
 * and its state (`settleArrayParent` of array-parent.ts) change in the same
 * transaction as the task that moves them, so no reader, and no restart after a
 * crash, ever sees them one change behind; nobody has to count the tasks again.
 *
 * Every JobFilter, and a user's filter with one more, is answered from an index
 * in id order: a page costs about what it returns, not what the store holds.
 */
import type {
  ArrayInfo,
  Job,
  JobState,
  JobStatus,
  JobUsage,
  Project,
  Quota,
  Session,
  SshKey,
  TokenInfo,
  UsageSample,
  User,
} from '@godocker/sdk';

/** A job document before the store gives it an id. */
export type NewJob = Omit<Job, 'id'>;

export interface JobFilter {
  states?: JobState[];
  user?: string;
  project?: string;
  tag?: string;
  name?: string;
  session?: string;
  parentId?: number;
  /** true: only reaped jobs; false: only jobs no session wait has reaped. */
  reaped?: boolean;
  /** false: no array parents (their tasks stay); true: only array parents. */
  arrayParent?: boolean;
  /**
   * sacct's window (ISO times): jobs submitted at or before `to` and not ended before `from`.
   * Checked on the way of the filter's index walk, not walked by: a page of an old window
   * reads the newer jobs it skips (the README's "Job history" says what that costs).
   */
  window?: { from?: string; to?: string };
  /**
   * A search (`GET /jobs?q=`): the job's name, image, one of its tags, its project or its
   * user holds this text, letters A-Z in either case (foldJobSearch), or it is the job's id.
   * Checked on the way of the other filters' index walk, as `window`: a page of a rare
   * text reads every job those filters select until the page is full.
   */
  search?: string;
}

export type NotificationChannel = 'mail' | 'webhook';
export type NotificationStatus = 'pending' | 'sent' | 'failed';

/**
 * One delivery of the notification outbox: one event of one job, on one channel. Recorded
 * by the leader from the job's history, delivered after, marked sent or failed.
 */
export interface NotificationRecord {
  /** `JOBID:HISTORYINDEX:CHANNEL`: recording a change twice (after a restart) keeps the first. */
  id: string;
  jobId: number;
  channel: NotificationChannel;
  /** The WebhookPayload as JSON: what both the mail and the POST are made from. */
  payload: string;
  status: NotificationStatus;
  attempts: number;
  /** ISO: not tried before this. */
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  /** ISO: when it was sent, or given up on. */
  doneAt: string | null;
}

/** What a delivery attempt changes. */
export type NotificationPatch = Pick<NotificationRecord, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'doneAt'>;

export interface PageRequest {
  /** At most this many jobs (newest first). */
  limit: number;
  /** Only jobs with an id lower than this (from a previous page's `nextCursor`). */
  cursor?: number;
}

export interface JobPage {
  jobs: Job[];
  nextCursor: number | null;
}

export interface JobChange {
  /** Moves the job to a new state and appends to its history. */
  state?: { to: JobState; reason: string; at: string };
  /** Other status fields to set (exitCode, node, containerId, startedAt...). */
  status?: Partial<Omit<JobStatus, 'state' | 'history'>>;
  hold?: boolean;
  usage?: Partial<Job['usage']>;
  array?: ArrayInfo;
}

/** A submit's Idempotency-Key, and what it asked (route and body, hashed) to tell a retry from a reuse. */
export interface Idempotency {
  user: string;
  key: string;
  fingerprint?: string;
}

/**
 * A quota on a user's or a project's waiting (pending or held) jobs, checked inside the
 * insert's transaction: two submits racing for the last free place cannot both have it.
 */
export interface WaitingLimit {
  scope: 'user' | 'project';
  /** The user's or the project's name. */
  name: string;
  max: number;
  /** How many waiting jobs the insert adds (an array's whole task count). */
  adds: number;
}

/** A node an admin drained: it takes no new job until resumed (Slurm's `scontrol update state=drain`). */
export interface DrainedNode {
  name: string;
  reason: string;
  /** The admin who drained it. */
  by: string;
  at: string;
}

/** One change of updateEach: as updateJob's arguments. */
export interface JobUpdate {
  id: number;
  change: JobChange;
  expect?: { states: JobState[] };
}

export interface InsertRequest {
  /**
   * One job, or an array: `jobs[0]` is the parent and every other job is one of
   * its tasks (their `parentId` is set by the store to the parent's new id).
   */
  jobs: NewJob[];
  isArray: boolean;
  /** A retry with the same user and key returns the first insert's job. */
  idempotency?: Idempotency;
  /** Refused (GOD_QUOTA_EXCEEDED, nothing stored) when it would take a user or project past one. */
  limits?: readonly WaitingLimit[];
}

export interface InsertResult {
  /** The single job, or the array's parent. */
  job: Job;
  /** False when the idempotency key matched an earlier insert. */
  created: boolean;
}

/** Several submissions stored together (POST /jobs/batch): each one job, or an array and its tasks. */
export interface InsertBatchRequest {
  submissions: Omit<InsertRequest, 'idempotency'>[];
  /** A retry with the same user and key returns the first insert's jobs. */
  idempotency?: Idempotency;
  /** Checked against the whole batch, as InsertRequest's. */
  limits?: readonly WaitingLimit[];
}

export interface InsertBatchResult {
  /** One per submission, in order: the job, or the array's parent. */
  jobs: Job[];
  /** False when the idempotency key matched an earlier batch. */
  created: boolean;
}

/** A pending job as `queuedJobs` reads it. */
export interface QueuedJob {
  id: number;
  parentId: number | null;
  submittedAt: string;
  /** Null for an array task. */
  job: Job | null;
}

export interface StoredUser extends User {}

/** A registered SSH key with the key itself (one OpenSSH line), which the API never shows. */
export interface StoredSshKey extends SshKey {
  publicKey: string;
}

/** A user to create: priority and quota default to 0 and none. */
export type NewUser = Omit<StoredUser, 'priority' | 'quota'> & Partial<Pick<StoredUser, 'priority' | 'quota'>>;

/**
 * Changes to a user; fields left out stay. `quota` merges key by key (a null
 * removes that limit), as `mergeQuota` of the sdk says.
 */
export interface UserPatch {
  priority?: number;
  quota?: Quota;
  admin?: boolean;
  /** What the directory says at each login of a directory user. */
  uid?: number;
  gid?: number;
  home?: string;
  /** null removes it. */
  mail?: string | null;
}

/** A token as stored: its hash is the key, never shown; `id` names it to its owner. */
export type StoredToken = TokenInfo;

export interface NewTokenOptions {
  /** ISO time after which it no longer authenticates; none: it never expires. */
  expiresAt?: string;
}

/** A project to create; it starts with no members. */
export type NewProject = Omit<Project, 'members'>;

/** Changes to a project; fields left out stay, `quota` merges as in UserPatch. */
export interface ProjectPatch {
  description?: string;
  shares?: number;
  priority?: number;
  quota?: Quota;
}

/** Fair-share usage of one user in one project: billing units, decayed as of `updatedAt`. */
export interface UsageRow {
  project: string;
  user: string;
  units: number;
  /** ISO time the decay was last applied. */
  updatedAt: string;
}

/** Cumulative cpu time of one user in one project over some window. */
export interface ProjectStateCount {
  project: string;
  state: JobState;
  count: number;
}

export interface CpuTimeRow {
  project: string;
  user: string;
  cpuSeconds: number;
}

/** A job's sampled usage as the store keeps it: what the API shows, and the last reading (its counters run since the task started). */
export interface JobUsageRecord extends JobUsage {
  last: UsageSample | null;
}

export interface Store {
  /** Creates or upgrades the schema. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  /** Every key that starts with `prefix`, with its value, ordered by key. */
  listMeta(prefix: string): Promise<{ key: string; value: string }[]>;

  /**
   * Creates the user and, in the same transaction, their membership of the
   * default project (shares 1). Throws a GodockerError GOD_CONFLICT if the
   * name is taken.
   */
  createUser(user: NewUser): Promise<void>;
  getUser(name: string): Promise<StoredUser | null>;
  listUsers(): Promise<StoredUser[]>;
  countUsers(): Promise<number>;
  /** Applies the patch atomically and returns the user as stored; NotFoundError for an unknown name. */
  updateUser(name: string, patch: UserPatch): Promise<StoredUser>;
  /**
   * Stores only the token's hash, and returns the token's record with a new id.
   * NotFoundError for an unknown user, GOD_CONFLICT for a hash already stored.
   */
  addToken(userName: string, tokenHash: string, label: string, options?: NewTokenOptions): Promise<StoredToken>;
  /** The token of this hash and its user, expired or not (the caller tells an expired one apart). */
  findToken(tokenHash: string): Promise<{ token: StoredToken; user: StoredUser } | null>;
  getToken(id: string): Promise<StoredToken | null>;
  /** The user's tokens, oldest first. */
  listTokens(userName: string): Promise<StoredToken[]>;
  /** False when no token has this id. */
  deleteToken(id: string): Promise<boolean>;
  /** Records a use; callers throttle it (a write per request would cost more than the request). */
  touchToken(id: string, at: string): Promise<void>;

  /**
   * Atomic: all jobs (and the idempotency record) or none. Ids increase. An array's
   * parent may come with only its first tasks (`array.created` says how many): the
   * others follow with `addArrayTasks`. The parent's `array.tasks` must count the
   * tasks that come with it: from then on the store keeps it.
   */
  insertJobs(request: InsertRequest): Promise<InsertResult>;
  /**
   * Independent inserts committed together (the group commit of concurrent submits): each
   * is stored or refused on its own, as insertJobs would (a reused key, a full quota, a
   * malformed request), and the answers come in request order, an Error for one refused.
   * Those stored are durable when this resolves. Rejects, storing none, when the commit
   * fails or one of them cannot be written: insertJobs then tells each its own fate.
   */
  insertEach(requests: readonly InsertRequest[]): Promise<(InsertResult | Error)[]>;
  /**
   * Appends the next tasks of an array, atomically with the parent's `array.created`
   * and task counts (and state), so that after a crash the parent says exactly which tasks exist:
   * the first task's index must be the one after the last stored (GOD_CONFLICT
   * otherwise, e.g. two writers). Returns the stored tasks, in order.
   */
  addArrayTasks(parentId: number, tasks: readonly NewJob[]): Promise<Job[]>;
  /**
   * The job an earlier insert with this user and idempotency key made, if any. With a
   * fingerprint that differs from the earlier one: IdempotencyKeyReusedError (422).
   */
  findIdempotent(user: string, key: string, fingerprint?: string): Promise<Job | null>;
  /**
   * Atomic: every submission's jobs (and the idempotency record) or none. Ids increase in
   * submission order, and every top-level job of the batch has the same submittedAt.
   */
  insertBatch(request: InsertBatchRequest): Promise<InsertBatchResult>;
  /** The jobs an earlier insertBatch of `count` submissions with this user and key made, if any; as findIdempotent. */
  findIdempotentBatch(user: string, key: string, fingerprint: string | undefined, count: number): Promise<Job[] | null>;
  getJob(id: number): Promise<Job | null>;
  /** Newest first. */
  listJobs(filter: JobFilter, page: PageRequest): Promise<JobPage>;
  /** Every job in these states, oldest first. */
  jobsInStates(states: JobState[]): Promise<Job[]>;
  /**
   * The pending jobs with an id above `afterId`, oldest first, at most `limit`: what a
   * starting daemon queues, read piece by piece. An array task comes without its document
   * (`job` null): it is its parent's shape with its own id and submission time, since a
   * task is never changed on its own but for its state, so a deep queue costs its ids.
   */
  queuedJobs(afterId: number, limit: number): Promise<QueuedJob[]>;
  countByState(filter: JobFilter): Promise<Partial<Record<JobState, number>>>;
  /**
   * Every job that runs (single jobs and array tasks, not array parents, whose state only sums
   * their tasks') counted by project and state, without reading a document: what `/metrics`
   * reports at each scrape. Only the (project, state) pairs that have jobs.
   */
  countByProjectState(): Promise<ProjectStateCount[]>;
  /**
   * Applies the change if the job exists and (when given) its state is one of
   * `expect.states`; returns the updated job, or null when it did not apply.
   * When the job is an array task whose state changes, its parent's `array.tasks`
   * and state follow in the same transaction: the parent goes to the state its
   * tasks make (tasks not stored yet count as waiting), recorded at `change.state.at`
   * with a reason that gives the counts ("all tasks done: 4 done"); it has started
   * (`startedAt`) with its first running task, ended (`endedAt`) with its last task,
   * and once ended it stays so. A change that gives `array` replaces it as given.
   */
  updateJob(id: number, change: JobChange, expect?: { states: JobState[] }): Promise<Job | null>;
  /**
   * Updates committed together (the group commit of state changes), applied in order, each
   * as updateJob would apply it alone: the answers come in request order, the job, null when
   * it did not apply, or an Error for one refused before it wrote. Rejects, applying none,
   * when the commit fails or one of them cannot be written: updateJob then tells each its own fate.
   */
  updateEach(updates: readonly JobUpdate[]): Promise<(Job | null | Error)[]>;

  // Nodes. The executor says which nodes exist; the store keeps which of them are drained.
  /** Drains a node, or says again why it is drained (the latest reason wins). */
  drainNode(node: DrainedNode): Promise<DrainedNode>;
  /** Resumes a node; false when it was not drained. */
  resumeNode(name: string): Promise<boolean>;
  /** Every drained node, by name. */
  drainedNodes(): Promise<DrainedNode[]>;
  /** Ids of the matching jobs, oldest first (a session's jobs, without loading their documents). */
  listJobIds(filter: JobFilter): Promise<number[]>;
  /**
   * Ended jobs (done or failed) not archived yet (no `status.archivedAt`) whose `status.endedAt`
   * is before `endedBefore` (ISO), with an id above `afterId`, by id, at most `limit`: what the
   * archiving of old jobs takes next. It marks each with updateJob's `status.archivedAt`.
   */
  endedJobsBefore(endedBefore: string, afterId: number, limit: number): Promise<Job[]>;

  // SSH public keys: who may log in to the SSH gateway with which key.

  /** GOD_CONFLICT if the user already has a key of that fingerprint; NotFoundError for an unknown user. */
  addSshKey(key: StoredSshKey): Promise<SshKey>;
  /** The user's keys, oldest first. */
  listSshKeys(user: string): Promise<StoredSshKey[]>;
  /** NotFoundError (GOD_NOT_FOUND) when the user has no key of that id. */
  deleteSshKey(user: string, id: string): Promise<void>;

  // Job sessions (DRMAA). A session belongs to one user; its jobs are that
  // user's jobs whose `session` names it.

  /** Stores the session as given; GOD_CONFLICT if the user already has one of that name. */
  createSession(session: Session): Promise<Session>;
  getSession(user: string, name: string): Promise<Session | null>;
  /** The user's sessions, ordered by name. */
  listSessions(user: string): Promise<Session[]>;
  /**
   * Deletes the session; its jobs stay (running ones keep running) but no longer
   * belong to any session, so a new session of the same name starts empty.
   * NotFoundError (GOD_SESSION_NOT_FOUND) when there is no such session.
   */
  deleteSession(user: string, name: string): Promise<void>;
  /**
   * Marks jobs reaped (compare-and-set: a job is reaped once). Returns the ids
   * this call reaped, in the order given; unknown and already reaped ids are
   * left out. Two racing waits can never both reap the same job.
   */
  reapJobs(ids: readonly number[], at: string): Promise<number[]>;

  // Projects. After `migrate()` the project DEFAULT_PROJECT exists (shares 1,
  // no quota) and every user is a real member of it: the engine reads members
  // the same way for every project, with no special case.

  /** Returns the project as stored (no members yet); GOD_CONFLICT if the name is taken. */
  createProject(project: NewProject): Promise<Project>;
  /** The project with its members, or null. */
  getProject(name: string): Promise<Project | null>;
  /** Every project with its members, ordered by name. */
  listProjects(): Promise<Project[]>;
  /** The projects `user` is a member of, with all their members, ordered by name. */
  projectsOfUser(user: string): Promise<Project[]>;
  /** Whether `user` may submit to `project`: the cheap check for every submit. */
  isMember(project: string, user: string): Promise<boolean>;
  /** Applies the patch atomically; NotFoundError for an unknown project. */
  updateProject(name: string, patch: ProjectPatch): Promise<Project>;
  /**
   * Deletes a project and its memberships. GOD_CONFLICT for the default
   * project and for a project that any job (in any state) names, since those
   * jobs' records and accounting point at it; NotFoundError for an unknown one.
   */
  deleteProject(name: string): Promise<void>;
  /**
   * Adds `user` to `project` and returns the project. NotFoundError for an
   * unknown project or user, GOD_CONFLICT if already a member.
   */
  addMember(project: string, user: string, shares: number): Promise<Project>;
  /** Sets a member's shares; NotFoundError when the project, or the membership, does not exist. */
  updateMember(project: string, user: string, shares: number): Promise<Project>;
  /**
   * Removes a membership; NotFoundError when there is none. GOD_CONFLICT for the
   * default project, which every user belongs to (give them 0 shares instead).
   * Usage already recorded is kept: it still counts against the project.
   */
  removeMember(project: string, user: string): Promise<Project>;

  // Usage. Kept per (project, user) and never tied to memberships by foreign
  // keys: what a former member used still counts against their project.

  /** Every fair-share usage row. */
  getUsage(): Promise<UsageRow[]>;
  /** Saves each job's sampled usage whole (one record per job, replaced). */
  saveJobUsage(records: readonly JobUsageRecord[]): Promise<void>;
  /** A job's sampled usage; null when none was ever saved. */
  getJobUsage(jobId: number): Promise<JobUsageRecord | null>;
  /** Inserts or replaces each (project, user) row, all in one transaction. */
  saveUsage(rows: readonly UsageRow[]): Promise<void>;
  /**
   * Adds cpu seconds to the bucket starting at `bucketStart` (epoch seconds;
   * callers use `cpuTimeBucket()` of the sdk, hour buckets).
   */
  addCpuTime(project: string, user: string, bucketStart: number, cpuSeconds: number): Promise<void>;
  /**
   * Sum per (project, user) of the buckets with `bucket_start >= sinceEpochSeconds`.
   * A window that starts inside a bucket counts the whole bucket only if the
   * caller passes the bucket's start: round down to count it (strict), up to skip it.
   */
  cpuTimeSince(sinceEpochSeconds: number): Promise<CpuTimeRow[]>;
  /**
   * Forgets recorded cpu time (the admin's reset of the cumulative quota): of
   * everyone, of one project, of one user, or of one user in one project.
   * Returns how many buckets were removed.
   */
  resetCpuTime(project?: string, user?: string): Promise<number>;

  // The notification outbox: written by the leader only, so plain rows, not versioned ones.

  /** Stores the records whose id is new; an id already stored keeps its record. Returns how many were new. */
  addNotifications(records: readonly NotificationRecord[]): Promise<number>;
  /** Pending records, oldest first, at most `limit` (those not yet due included: the caller waits). */
  pendingNotifications(limit: number): Promise<NotificationRecord[]>;
  /** Applies the patch; NotFoundError for an unknown id. */
  updateNotification(id: string, patch: NotificationPatch): Promise<void>;
  /** A job's records, by id. */
  notificationsOfJob(jobId: number): Promise<NotificationRecord[]>;
  /** Deletes the records sent or given up before `doneBefore` (ISO); pending ones stay. Returns how many went. */
  purgeNotifications(doneBefore: string): Promise<number>;
}

/**
 * A token's id: the start of its hash. Ids then need no state of their own, tokens made before
 * ids existed get the same in every store, and 64 bits of a SHA-256 say nothing of the token.
 */
export function tokenIdOf(tokenHash: string): string {
  return `tok_${tokenHash.slice(0, 16)}`;
}
