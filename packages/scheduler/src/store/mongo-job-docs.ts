/**
 * How a job is kept in the MongoDB store's `jobs` collection: the fields every list
 * filter reads, each at the top with an index, and the job document itself as JSON text
 * (`doc`), written and read exactly as the SQLite store does. Text, not a sub-document:
 * user-chosen keys (env names, labels) may hold '.' or '$', which MongoDB-wire servers
 * refuse as field names, and the text round-trips any document the Job schema allows.
 */
import { type JobState, searchHolds, searchIsId } from '@godocker/sdk';
import type { Document, Filter } from 'mongodb';
import type { Version } from './mongo-versions.js';
import type { JobFilter, NewJob } from './store.js';
import type { TaskCompactor } from './task-doc.js';

export interface JobFields {
  state: JobState;
  user: string;
  project: string;
  session: string | null;
  name: string;
  parentId: number | null;
  submittedAt: string;
  /** Absent on versions written before it was kept: read from `doc` then. */
  endedAt?: string | null;
  arrayParent: boolean;
  tags: string[];
  reaped: boolean;
  /** When a session wait reaped it. */
  reapedAt?: string;
  doc: string;
}

/** A job as stored: its key `k` is its id. */
export type StoredJob = Version<JobFields> & { k: number };

/** The indexes a filter walks (the SQLite store's, as MongoDB keys). */
export const JOB_INDEXES: readonly { key: Document }[] = [
  { key: { state: 1, k: 1 } },
  { key: { user: 1, state: 1, k: 1 } },
  { key: { project: 1, state: 1, k: 1 } },
  { key: { parentId: 1, state: 1, k: 1 } },
  { key: { session: 1, user: 1, reaped: 1, k: 1 } },
  { key: { name: 1, user: 1, k: 1 } },
  { key: { tags: 1, user: 1, k: 1 } },
  { key: { reaped: 1, k: 1 } },
  { key: { arrayParent: 1, k: 1 } },
];

/** One string for the pair, unambiguous whatever the key holds, and with no NUL (PostgreSQL's jsonb, under FerretDB, refuses it). */
export function idemKey(user: string, key: string): string {
  return JSON.stringify([user, key]);
}

/**
 * The stored fields of `job` (its `parentId` set), compacted against its parent when it is
 * an array task. Throws, before anything is written, for a document that cannot be stored.
 */
export function jobFields(job: NewJob, parentId: number | null, compactor: TaskCompactor | null): JobFields {
  // A shallow copy: the caller's object is not ours, and an `id` it carries must not be stored.
  const { id: _ignored, ...copy } = job as NewJob & { id?: unknown };
  copy.parentId = parentId;
  return fieldsOfDoc(copy, JSON.stringify(compactor ? compactor.compact(copy) : copy));
}

/** The fields of a document already written as `text` (its compact form for a task). */
export function fieldsOfDoc(job: NewJob, text: string): JobFields {
  return {
    state: job.status.state,
    user: job.user.name,
    project: job.project,
    session: job.session,
    name: job.meta.name,
    parentId: job.parentId,
    submittedAt: job.status.submittedAt,
    endedAt: job.status.endedAt,
    arrayParent: job.array !== null,
    tags: [...new Set(job.meta.tags)],
    reaped: false,
    doc: text,
  };
}

/** The server-side condition for a filter; null when nothing can match. */
export function jobQuery(filter: JobFilter): Filter<Document> | null {
  if (filter.states?.length === 0) return null;
  const q: Record<string, unknown> = {};
  if (filter.states) q.state = filter.states.length === 1 ? filter.states[0] : { $in: filter.states };
  if (filter.user !== undefined) q.user = filter.user;
  if (filter.project !== undefined) q.project = filter.project;
  if (filter.tag !== undefined) q.tags = filter.tag;
  if (filter.name !== undefined) q.name = filter.name;
  if (filter.session !== undefined) q.session = filter.session;
  if (filter.parentId !== undefined) q.parentId = filter.parentId;
  if (filter.reaped !== undefined) q.reaped = filter.reaped;
  if (filter.arrayParent !== undefined) q.arrayParent = filter.arrayParent;
  return q;
}

/** The same condition read in JavaScript, for documents whose committed form the server has not indexed yet. */
export function matchesFilter(job: JobFields, filter: JobFilter): boolean {
  return (
    (filter.states === undefined || filter.states.includes(job.state)) &&
    (filter.user === undefined || job.user === filter.user) &&
    (filter.project === undefined || job.project === filter.project) &&
    (filter.tag === undefined || job.tags.includes(filter.tag)) &&
    (filter.name === undefined || job.name === filter.name) &&
    (filter.session === undefined || job.session === filter.session) &&
    (filter.parentId === undefined || job.parentId === filter.parentId) &&
    (filter.reaped === undefined || job.reaped === filter.reaped) &&
    (filter.arrayParent === undefined || job.arrayParent === filter.arrayParent) &&
    inWindow(job, filter.window)
  );
}

/**
 * A search (JobFilter.search), read here as SQLite reads it: the versions scheme reads each
 * record before checking it anyway, and FerretDB's $regex could not see a task's image,
 * which its document leaves to its parent. `parentImage`: read only when a task's own
 * document has no image.
 */
export async function matchesSearch(
  job: StoredJob,
  search: string,
  parentImage: (parentId: number) => Promise<string>,
): Promise<boolean> {
  if (searchIsId(search, job.k) || searchHolds([job.name, job.project, job.user, ...job.tags], search)) return true;
  const own = (JSON.parse(job.doc) as { container?: { image?: string } }).container?.image;
  if (own !== undefined) return searchHolds([own], search);
  return job.parentId !== null && searchHolds([await parentImage(job.parentId)], search);
}

/**
 * sacct's window, read here and not by the server: FerretDB pushes no range down to its
 * backend, so a range in the query would only make it read every version; the equality
 * filters still narrow what is read, and this checks each job on the way.
 */
function inWindow(job: JobFields, window: JobFilter['window']): boolean {
  if (window === undefined) return true;
  if (window.to !== undefined && job.submittedAt > window.to) return false;
  if (window.from === undefined) return true;
  const endedAt = job.endedAt !== undefined ? job.endedAt : (JSON.parse(job.doc) as NewJob).status.endedAt;
  return endedAt === null || endedAt >= window.from;
}
