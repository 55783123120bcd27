/**
 * The Store interface: everything the daemon keeps. Implementations: `sqlite`
 * (embedded default); `mongodb` later. Every implementation must pass the
 * conformance suite in `test/store-conformance.ts`.
 *
 * State changes are compare-and-set (`expect.states`), so two actors racing on
 * one job (a kill and an exit, two daemons) cannot both win.
 */
import type { ArrayInfo, Job, JobState, JobStatus, User } from '@godocker/sdk';

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
}

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

export interface InsertRequest {
  /**
   * One job, or an array: `jobs[0]` is the parent and every other job is one of
   * its tasks (their `parentId` is set by the store to the parent's new id).
   */
  jobs: NewJob[];
  isArray: boolean;
  /** A retry with the same user and key returns the first insert's job. */
  idempotency?: { user: string; key: string };
}

export interface InsertResult {
  /** The single job, or the array's parent. */
  job: Job;
  /** False when the idempotency key matched an earlier insert. */
  created: boolean;
}

export interface StoredUser extends User {}

export interface Store {
  /** Creates or upgrades the schema. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  /** Throws a GodockerError GOD_CONFLICT if the name is taken. */
  createUser(user: StoredUser): Promise<void>;
  getUser(name: string): Promise<StoredUser | null>;
  listUsers(): Promise<StoredUser[]>;
  countUsers(): Promise<number>;
  /** Stores only the token's hash. */
  addToken(userName: string, tokenHash: string, label: string): Promise<void>;
  findUserByTokenHash(tokenHash: string): Promise<StoredUser | null>;

  /** Atomic: all jobs (and the idempotency record) or none. Ids increase. */
  insertJobs(request: InsertRequest): Promise<InsertResult>;
  getJob(id: number): Promise<Job | null>;
  /** Newest first. */
  listJobs(filter: JobFilter, page: PageRequest): Promise<JobPage>;
  /** Every job in these states, oldest first (the engine's input). */
  jobsInStates(states: JobState[]): Promise<Job[]>;
  countByState(filter: JobFilter): Promise<Partial<Record<JobState, number>>>;
  /**
   * Applies the change if the job exists and (when given) its state is one of
   * `expect.states`; returns the updated job, or null when it did not apply.
   */
  updateJob(id: number, change: JobChange, expect?: { states: JobState[] }): Promise<Job | null>;
}
