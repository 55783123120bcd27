/**
 * The SQL of job lists, id lists and counts, for any JobFilter. Every filter the
 * API sends is answered by walking one index (migration 5 of sqlite-migrations.ts)
 * in id order, so a page of 50 reads about 50 jobs however many the store holds:
 *
 * - the index is named for each filter shape (`indexFor`);
 * - a tag: the walk is on the job_tags side table;
 * - several states, when the index holds the state: one walk per state, each
 *   stopped at the page's end, merged through an id list (one `state IN (...)`
 *   walk would come out of order, and every match would be sorted first).
 */
import { foldJobSearch, type JobState } from '@godocker/sdk';
import type { JobFilter, PageRequest } from './store.js';

export type Param = string | number | null;

export interface Query {
  sql: string;
  params: Param[];
}

/** Where the rows come from, which id orders them, and the conditions. */
interface Shape {
  from: string;
  id: string;
  conditions: string[];
  params: Param[];
}

/** The page of `listJobs`, newest first, one row more than asked; null when nothing can match. */
export function listQuery(filter: JobFilter, page: PageRequest): Query | null {
  if (filter.states?.length === 0) return null;
  const limit = page.limit + 1;
  const arms = perState(filter);
  if (arms === null) {
    const s = shapeOf(filter, filter.states, page.cursor);
    return {
      sql: `SELECT jobs.id AS id, jobs.parent_id AS parent_id, jobs.doc AS doc FROM ${s.from} ${where(s)} ORDER BY ${s.id} DESC LIMIT ?`,
      params: [...s.params, limit],
    };
  }
  const shapes = arms.map((state) => shapeOf(filter, [state], page.cursor));
  const union = shapes
    .map((s) => `SELECT id FROM (SELECT ${s.id} AS id FROM ${s.from} ${where(s)} ORDER BY ${s.id} DESC LIMIT ?)`)
    .join(' UNION ALL ');
  return {
    sql: `SELECT id, parent_id, doc FROM jobs WHERE id IN (${union}) ORDER BY id DESC LIMIT ?`,
    params: [...shapes.flatMap((s) => [...s.params, limit]), limit],
  };
}

/** Every matching id, oldest first; null when nothing can match. */
export function idsQuery(filter: JobFilter): Query | null {
  return everyQuery(filter, false);
}

/** Every matching job (id, parent id and document), oldest first; null when nothing can match. */
export function jobsQuery(filter: JobFilter): Query | null {
  return everyQuery(filter, true);
}

function everyQuery(filter: JobFilter, withDoc: boolean): Query | null {
  if (filter.states?.length === 0) return null;
  // A task's document is read with its parent's id: it may leave fields to the parent (task-doc.ts).
  const columns = withDoc ? 'id, parent_id, doc' : 'id';
  const arms = perState(filter);
  if (arms === null) {
    const s = shapeOf(filter, filter.states);
    const doc = withDoc ? ', jobs.parent_id AS parent_id, jobs.doc AS doc' : '';
    return { sql: `SELECT ${s.id} AS id${doc} FROM ${s.from} ${where(s)} ORDER BY ${s.id}`, params: s.params };
  }
  const shapes = arms.map((state) => shapeOf(filter, [state]));
  const union = shapes.map((s) => `SELECT ${s.id} FROM ${s.from} ${where(s)}`).join(' UNION ALL ');
  return { sql: `SELECT ${columns} FROM jobs WHERE id IN (${union}) ORDER BY id`, params: shapes.flatMap((s) => s.params) };
}

/**
 * The pending jobs after an id, a page at a time, oldest first (the queue a daemon
 * reads when it starts): through jobs_state, and no document read for a task.
 */
export const QUEUED_JOBS_SQL = `SELECT id, parent_id, submitted_at, CASE WHEN parent_id IS NULL THEN doc END AS doc
  FROM jobs INDEXED BY jobs_state WHERE state = 'pending' AND id > ? ORDER BY id LIMIT ?`;

/**
 * Every job by project and state (/metrics), along the (project, state) index alone, which holds
 * both: the count reads no job. The few array parents are taken off after (the next query), found
 * by their own index, rather than tested on every row.
 */
export const COUNT_BY_PROJECT_STATE_SQL =
  'SELECT project, state, COUNT(*) AS n FROM jobs INDEXED BY jobs_project_state GROUP BY project, state';
export const COUNT_PARENTS_BY_PROJECT_STATE_SQL =
  'SELECT project, state, COUNT(*) AS n FROM jobs INDEXED BY jobs_array_parent WHERE array_parent = 1 GROUP BY project, state';

/** Matching jobs counted by state; null when nothing can match. */
export function countQuery(filter: JobFilter): Query | null {
  if (filter.states?.length === 0) return null;
  // Counting by state: the index that holds the state, so that a count reads no job.
  const s = shapeOf(filter, filter.states ?? [], undefined);
  return { sql: `SELECT jobs.state AS state, COUNT(*) AS n FROM ${s.from} ${where(s)} GROUP BY jobs.state`, params: s.params };
}

/** The states to walk one by one, or null when one walk does (one state, none, or an index without the state). */
function perState(filter: JobFilter): JobState[] | null {
  const states = filter.states;
  if (states === undefined || states.length < 2 || filter.tag !== undefined) return null;
  return STATE_INDEXES.has(indexFor(filter, true) ?? '') ? states : null;
}

const STATE_INDEXES = new Set(['jobs_state', 'jobs_user_state', 'jobs_project_state', 'jobs_parent_state']);

/** `states`: undefined for any state; empty to pick the index for counting by state, with no condition on it. */
function shapeOf(filter: JobFilter, states: readonly JobState[] | undefined, cursor?: number): Shape {
  const tagged = filter.tag !== undefined;
  const index = tagged ? null : indexFor(filter, states !== undefined);
  const s: Shape = {
    // CROSS JOIN keeps job_tags the outer loop: its walk gives the id order.
    from: tagged ? 'job_tags AS t CROSS JOIN jobs ON jobs.id = t.job_id' : `jobs${index ? ` INDEXED BY ${index}` : ''}`,
    id: tagged ? 't.job_id' : 'jobs.id',
    conditions: [],
    params: [],
  };
  const equal = (column: string, value: Param | undefined) => {
    if (value === undefined) return;
    s.conditions.push(`${column} = ?`);
    s.params.push(value);
  };
  equal('t.tag', filter.tag);
  // job_tags holds the owner too: a user's jobs with a tag are one walk of its index.
  equal(tagged ? 't.user_name' : 'jobs.user_name', filter.user);
  if (states !== undefined && states.length > 0) {
    s.conditions.push(states.length === 1 ? 'jobs.state = ?' : `jobs.state IN (${states.map(() => '?').join(', ')})`);
    s.params.push(...states);
  }
  equal('jobs.project', filter.project);
  equal('jobs.session', filter.session);
  equal('jobs.name', filter.name);
  equal('jobs.parent_id', filter.parentId);
  // The expression the indexes jobs_reaped and jobs_user_session_reaped hold.
  if (filter.reaped !== undefined) s.conditions.push(`(jobs.reaped_at IS NOT NULL) = ${filter.reaped ? 1 : 0}`);
  if (filter.arrayParent !== undefined) s.conditions.push(`jobs.array_parent = ${filter.arrayParent ? 1 : 0}`);
  // ISO times as toISOString writes them compare as text.
  if (filter.window?.to !== undefined) {
    s.conditions.push('jobs.submitted_at <= ?');
    s.params.push(filter.window.to);
  }
  if (filter.window?.from !== undefined) {
    s.conditions.push("coalesce(json_extract(jobs.doc, '$.status.endedAt'), '9') >= ?");
    s.params.push(filter.window.from);
  }
  if (filter.search !== undefined) searchCondition(s, filter.search);
  if (cursor !== undefined) {
    s.conditions.push(`${s.id} < ?`);
    s.params.push(cursor);
  }
  return s;
}

/**
 * A search, tested on each job the walk meets (a leading-wildcard match can use no index).
 * instr, not LIKE: the text's % and _ are plain characters. lower() folds only A-Z, as
 * foldJobSearch does to the text. An array task whose document leaves its container to
 * its parent (task-doc.ts) has the parent's image.
 */
function searchCondition(s: Shape, search: string): void {
  const text = foldJobSearch(search);
  const holds = (expression: string) => `instr(lower(${expression}), ?) > 0`;
  const image = `coalesce(json_extract(jobs.doc, '$.container.image'),
    (SELECT json_extract(p.doc, '$.container.image') FROM jobs AS p WHERE p.id = jobs.parent_id))`;
  const arms = [
    holds('jobs.name'),
    holds('jobs.project'),
    holds('jobs.user_name'),
    holds(image),
    `EXISTS (SELECT 1 FROM json_each(jobs.doc, '$.meta.tags') WHERE ${holds('json_each.value')})`,
  ];
  const params: Param[] = arms.map(() => text);
  if (/^[0-9]{1,15}$/.test(search)) {
    // searchIsId's rule: the id is the number the text reads as.
    arms.push('jobs.id = ?');
    params.push(Number(search));
  }
  s.conditions.push(`(${arms.join(' OR ')})`);
  s.params.push(...params);
}

/**
 * The index a filter walks: the one whose columns it fixes most narrowly, the
 * others checked on the way. Named (INDEXED BY), as SQLite advises for queries
 * whose time matters: the planner, going by averages, now and then picks an
 * index that leaves every match to sort, and a schema change that loses an index
 * fails loudly instead of scanning. `byState`: the filter fixes the state, or
 * counts by it (an index that holds the state then answers without the jobs).
 */
function indexFor(f: JobFilter, byState: boolean): string | null {
  if (f.parentId !== undefined) return byState ? 'jobs_parent_state' : 'jobs_parent';
  // Array parents are few: only they are walked.
  if (f.arrayParent === true) return 'jobs_array_parent';
  if (f.session !== undefined) {
    if (f.user === undefined) return 'jobs_session';
    return f.reaped === undefined ? 'jobs_user_session' : 'jobs_user_session_reaped';
  }
  if (f.name !== undefined) return f.user === undefined ? 'jobs_name' : 'jobs_user_name';
  if (f.project !== undefined) {
    if (f.user !== undefined) return 'jobs_user_project';
    return byState ? 'jobs_project_state' : 'jobs_project';
  }
  // Reaped jobs are some of those in sessions; jobs not reaped, nearly all.
  if (f.reaped === true) return 'jobs_reaped';
  if (f.user !== undefined) return byState ? 'jobs_user_state' : 'jobs_user';
  if (byState) return 'jobs_state';
  if (f.reaped === false) return 'jobs_reaped';
  if (f.arrayParent === false) return 'jobs_array_parent';
  // No filter: the primary key, newest first.
  return null;
}

function where(s: Shape): string {
  return s.conditions.length === 0 ? '' : `WHERE ${s.conditions.join(' AND ')}`;
}
