/**
 * DRMAA2's JobSession: a named set of jobs kept by the server. Anything that
 * knows its name (another process, a later run, `libdrmaa`) can open it again and
 * see, control and wait on its jobs.
 *
 * ```ts
 * const session = await manager.createJobSession('nightly');
 * const job = await session.runJob({ remoteCommand: 'echo', args: ['hi'] });
 * const first = await session.waitAnyTerminated([job], 60);
 * ```
 */
import type { WaitFor } from '../api.js';
import type { GodockerClient } from '../client.js';
import { InvalidSessionError, WaitTimeoutError } from '../drmaa-errors.js';
import { describeTimeout, TIMEOUT_WAIT_FOREVER, waitSeconds } from '../drmaa-timeouts.js';
import { ValidationError } from '../errors.js';
import type { Job } from '../job.js';
import { sessionContact } from '../session-contact.js';
import { type Drmaa2Event, drmaa2EventOf, type WatchOptions } from './events.js';
import { SessionJob } from './job.js';
import { JobArray } from './job-array.js';
import { filterToQuery, type JobInfoFilter } from './job-info.js';
import { type JobTemplate, templateToSubmission } from './job-template.js';

/** Integer argument check, naming the argument. */
function integer(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new ValidationError(`${name} must be an integer ≥ ${min}, not ${value}`, name);
  return value;
}

export class JobSession {
  /** The session's name, unique among its owner's sessions. */
  readonly name: string;
  /** The user the session belongs to. */
  readonly owner: string;
  readonly #client: GodockerClient;
  readonly #machines: () => Promise<readonly string[]>;
  #closed = false;

  constructor(client: GodockerClient, session: { name: string; user: string }, machines: () => Promise<readonly string[]>) {
    this.#client = client;
    this.name = session.name;
    this.owner = session.user;
    this.#machines = machines;
  }

  getSessionName(): string {
    return this.name;
  }

  /** Where this session lives: `openJobSession` (or DRMAA1's `init`) with it reattaches. */
  getContact(): string {
    return sessionContact(this.#client.url, this.name);
  }

  #open(): GodockerClient {
    if (this.#closed) throw new InvalidSessionError(`the job session "${this.name}" was closed: open it again`);
    return this.#client;
  }

  /** Submits one job; the submission carries an idempotency key, so a retry after a lost answer makes no second job. */
  async runJob(template: JobTemplate): Promise<SessionJob> {
    const client = this.#open();
    const submission = await templateToSubmission(template, { session: this.name, machines: this.#machines });
    return new SessionJob(client, await client.submit(submission));
  }

  /**
   * Submits a bulk job of tasks `begin`, `begin + step`, ... up to `end`, at most
   * `maxParallel` running at once (unset, 0 or -1: no limit). Each task sees its
   * index in `GODOCKER_TASK_ID` (and `$DRMAA2_INDEX$` in paths).
   */
  async runBulkJobs(template: JobTemplate, begin: number, end: number, step = 1, maxParallel?: number): Promise<JobArray> {
    const client = this.#open();
    integer(begin, 'beginIndex', 0);
    integer(end, 'endIndex', begin);
    integer(step, 'step', 1);
    const throttle = maxParallel === undefined || maxParallel <= 0 ? '' : `%${integer(maxParallel, 'maxParallel', 1)}`;
    const submission = await templateToSubmission(template, { session: this.name, machines: this.#machines });
    const parent = await client.submit({ ...submission, array: `${begin}-${end}:${step}${throttle}` });
    return new JobArray(client, parent);
  }

  /** The session's jobs (not yet reaped; array tasks, not their parents), newest first, narrowed by the filter. */
  async getJobs(filter: JobInfoFilter = {}): Promise<SessionJob[]> {
    const client = this.#open();
    const query = filterToQuery(filter);
    if (query === null || (query.user !== undefined && query.user !== this.owner)) return [];
    const jobs: SessionJob[] = [];
    const all = { ...query, user: this.owner, session: this.name, reaped: false, arrayParents: false, limit: 1000 };
    for await (const job of client.jobs(all)) jobs.push(new SessionJob(client, job));
    return jobs;
  }

  /** A bulk job of this session by its id. */
  async getJobArray(id: number | string): Promise<JobArray> {
    const client = this.#open();
    const parent = await client.getJob(id);
    if (parent.array === null || parent.session !== this.name) {
      throw new ValidationError(`job ${id} is not a bulk job of session "${this.name}"`, 'jobArrayId');
    }
    return new JobArray(client, parent);
  }

  async #waitAny(jobs: readonly SessionJob[], what: WaitFor, timeout: number): Promise<SessionJob> {
    const client = this.#open();
    if (jobs.length === 0) throw new ValidationError('give at least one job to wait for', 'jobs');
    const seconds = waitSeconds(timeout);
    const r = await client.waitSession(this.name, { ids: jobs.map((j) => j.id), mode: 'any', for: what, timeout: seconds });
    const first: Job | undefined = r.ready[0];
    if (r.timedOut || !first) {
      throw new WaitTimeoutError(`none of the ${jobs.length} jobs has ${what} ${describeTimeout(seconds)}`);
    }
    // A fresh object carries the document the wait returned.
    return new SessionJob(client, first);
  }

  /** The first of `jobs` to have started (or ended); `timeout` in seconds, -1 for ever. */
  waitAnyStarted(jobs: readonly SessionJob[], timeout: number = TIMEOUT_WAIT_FOREVER): Promise<SessionJob> {
    return this.#waitAny(jobs, 'started', timeout);
  }

  /** The first of `jobs` to have terminated; `timeout` in seconds, -1 for ever. */
  waitAnyTerminated(jobs: readonly SessionJob[], timeout: number = TIMEOUT_WAIT_FOREVER): Promise<SessionJob> {
    return this.#waitAny(jobs, 'terminated', timeout);
  }

  /**
   * The state changes of this session's jobs, for as long as the caller iterates.
   *
   * ```ts
   * for await (const ev of session.events()) if (ev.jobState === 'DONE') break;
   * ```
   */
  async *events(options: WatchOptions = {}): AsyncGenerator<Drmaa2Event, void, undefined> {
    const client = this.#open();
    for await (const ev of client.events({ ...options, session: this.name })) yield drmaa2EventOf(ev);
  }

  /** Ends this object's use of the session; the session and its jobs stay on the server. */
  close(): void {
    this.#closed = true;
  }
}
