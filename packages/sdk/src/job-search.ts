/**
 * The search text of a job list (`GET /jobs?q=`, `godocker jobs --search`): checked the
 * same way by the client and the daemon, and folded the same way by every store.
 */
import type { Job } from './job.js';
import { MAX_JOB_SEARCH } from './wire-constants.js';

// Control characters (C0, DEL, C1): nothing a job's name, image, tag, project or user holds.
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is looked for
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What is wrong with a search text, or null when it can be sent. */
export function jobSearchProblem(text: string): string | null {
  if (text.length === 0) return 'the search text is empty: leave it out to list every job';
  if (text.length > MAX_JOB_SEARCH)
    return `the search text is ${text.length} characters long, more than ${MAX_JOB_SEARCH}: search for a shorter part of the name`;
  const control = CONTROL.exec(text);
  if (control)
    return `the search text holds the control character U+${control[0].codePointAt(0)?.toString(16).padStart(4, '0').toUpperCase()}: search for printable text`;
  return null;
}

/**
 * Letters A-Z to lower case, nothing else: SQLite's lower() folds only these, so a search
 * matches the same jobs whichever store answers.
 */
export function foldJobSearch(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** Whether one of `values` holds the search text, folded as foldJobSearch. */
export function searchHolds(values: readonly string[], search: string): boolean {
  const text = foldJobSearch(search);
  return values.some((v) => foldJobSearch(v).includes(text));
}

/** Whether the text names this job's id (a search for a number also finds the job it is the id of). */
export function searchIsId(search: string, id: number): boolean {
  return /^[0-9]{1,15}$/.test(search) && Number(search) === id;
}

/**
 * The server's search, read on a whole job: for the events of a watched list, which the
 * server does not filter.
 */
export function jobMatchesSearch(job: Job, search: string): boolean {
  return (
    searchIsId(search, job.id) ||
    searchHolds([job.meta.name, job.container.image, job.project, job.user.name, ...job.meta.tags], search)
  );
}
