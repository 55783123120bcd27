/**
 * The SQL of job lists, id lists and counts, for any JobFilter. Every filter the
 * API sends is answered by walking an index (see migration 5 in
 * sqlite-migrations.ts) in id order, so a page of 50 reads about 50 jobs however
 * many the store holds:
 *
 * - several states: one walk per state, each stopped at the page's end, merged
 *   through an id list (a single `state IN (...)` would sort every match first);
 * - a tag: the walk is on the job_tags side table;
 * - `arrayParent` and `reaped` match nearly every job one way: they drive the walk
 *   only when nothing else can, and are written so the planner cannot pick their
 *   index otherwise (a `+` before a column, or a form no index holds).
 */
import type { JobState } from '@godocker/sdk';
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
  const states = filter.states;
  if (states?.length === 0) return null;
  const limit = page.limit + 1;
  if (states === undefined || states.length === 1) {
    const s = shapeOf(filter, states?.[0], page.cursor);
    return {
      sql: `SELECT jobs.id AS id, jobs.doc AS doc FROM ${s.from} ${where(s)} ORDER BY ${s.id} DESC LIMIT ?`,
      params: [...s.params, limit],
    };
  }
  const arms = states.map((state) => shapeOf(filter, state, page.cursor));
  const union = arms
    .map((s) => `SELECT id FROM (SELECT ${s.id} AS id FROM ${s.from} ${where(s)} ORDER BY ${s.id} DESC LIMIT ?)`)
    .join(' UNION ALL ');
  return {
    sql: `SELECT id, doc FROM jobs WHERE id IN (${union}) ORDER BY id DESC LIMIT ?`,
    params: [...arms.flatMap((s) => [...s.params, limit]), limit],
  };
}

/** Every matching id, oldest first; null when nothing can match. */
export function idsQuery(filter: JobFilter): Query | null {
  const states = filter.states;
  if (states?.length === 0) return null;
  if (states === undefined || states.length === 1) {
    const s = shapeOf(filter, states?.[0]);
    return { sql: `SELECT ${s.id} AS id FROM ${s.from} ${where(s)} ORDER BY ${s.id}`, params: s.params };
  }
  const arms = states.map((state) => shapeOf(filter, state));
  const union = arms.map((s) => `SELECT ${s.id} FROM ${s.from} ${where(s)}`).join(' UNION ALL ');
  return { sql: `SELECT id FROM jobs WHERE id IN (${union}) ORDER BY id`, params: arms.flatMap((s) => s.params) };
}

/** Matching jobs counted by state; null when nothing can match. */
export function countQuery(filter: JobFilter): Query | null {
  const states = filter.states;
  if (states?.length === 0) return null;
  const s = shapeOf({ ...filter, states: undefined }, undefined);
  if (states) {
    s.conditions.push(`jobs.state IN (${states.map(() => '?').join(', ')})`);
    s.params.push(...states);
  }
  return { sql: `SELECT jobs.state AS state, COUNT(*) AS n FROM ${s.from} ${where(s)} GROUP BY jobs.state`, params: s.params };
}

function shapeOf(filter: JobFilter, state: JobState | undefined, cursor?: number): Shape {
  const tagged = filter.tag !== undefined;
  const s: Shape = {
    from: tagged ? 'job_tags AS t JOIN jobs ON jobs.id = t.job_id' : 'jobs',
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
  equal('jobs.state', state);
  equal('jobs.project', filter.project);
  equal('jobs.session', filter.session);
  equal('jobs.name', filter.name);
  equal('jobs.parent_id', filter.parentId);
  const selective = s.conditions.length > 0;
  if (filter.reaped !== undefined) {
    // The expression of the indexes jobs_reaped and jobs_user_session_reaped: a session's
    // jobs not yet reaped are one walk, however many it has reaped.
    const indexed = !selective || (filter.session !== undefined && filter.user !== undefined);
    const reaped = filter.reaped ? 1 : 0;
    s.conditions.push(
      indexed ? `(jobs.reaped_at IS NOT NULL) = ${reaped}` : `jobs.reaped_at IS ${filter.reaped ? 'NOT NULL' : 'NULL'}`,
    );
  }
  if (filter.arrayParent !== undefined) {
    // Parents are few: "only parents" drives the walk; "no parents" drops a few rows of it.
    const indexed = filter.arrayParent || (!selective && filter.reaped === undefined);
    s.conditions.push(`${indexed ? '' : '+'}jobs.array_parent = ${filter.arrayParent ? 1 : 0}`);
  }
  if (cursor !== undefined) {
    s.conditions.push(`${s.id} < ?`);
    s.params.push(cursor);
  }
  return s;
}

function where(s: Shape): string {
  return s.conditions.length === 0 ? '' : `WHERE ${s.conditions.join(' AND ')}`;
}
