/**
 * DRMAA 1.0's Session, with the semantics of the C binding (`drmaa.h`): a
 * successful `wait` reaps the job, so a second wait on it fails with
 * InvalidJobError; `wait(SESSION_ANY)` on a session with no job left fails at
 * once; `synchronize` succeeds on unknown ids and reaps when `dispose` is true; a
 * second `init` fails with AlreadyActiveSessionError. The session lives on the
 * server: `init(getContact())` in another process reattaches to it.
 *
 * ```ts
 * import { drmaa1 } from '@godocker/sdk';
 * const s = new drmaa1.Session();
 * await s.init();
 * const id = await s.runJob({ remoteCommand: '/bin/sh', args: ['-c', 'exit 3'] });
 * const info = await s.wait(drmaa1.SESSION_ANY, drmaa1.TIMEOUT_WAIT_FOREVER);
 * console.log(info.jobId === id, info.exitStatus); // true 3
 * await s.exit();
 * ```
 */
import { type FetchFn, GodockerClient } from '../client.js';
import {
  AlreadyActiveSessionError,
  type ControlAction,
  InconsistentStateError,
  InvalidContactStringError,
  InvalidJobError,
  NoActiveSessionError,
  WaitTimeoutError,
} from '../drmaa-errors.js';
import { describeTimeout, TIMEOUT_WAIT_FOREVER, waitSeconds } from '../drmaa-timeouts.js';
import { templateToSubmission } from '../drmaa2/job-template.js';
import { AuthenticationError, ErrorCodes, GodockerError } from '../errors.js';
import type { Job } from '../job.js';
import { resolveConnection } from '../login-file.js';
import { parseContact, sessionContact } from '../session-contact.js';
import type { Drmaa1State, JobAction } from '../states.js';
import { VERSION } from '../version.js';
import { SESSION_ALL, SESSION_ANY } from './constants.js';
import type { JobInfo } from './job-info.js';
import { type JobTemplate, toDrmaa2Template } from './job-template.js';

export interface SessionOptions {
  /** The daemon, when the contact string names none. */
  url?: string;
  token?: string;
  /** GODOCKER_URL, GODOCKER_TOKEN and the saved login are read here; process.env when not given. */
  env?: Record<string, string | undefined>;
  fetch?: FetchFn;
  /** A client to use as it is (an embedded scheduler's). */
  client?: GodockerClient;
}

const ACTIONS: Record<ControlAction, JobAction> = {
  SUSPEND: 'suspend',
  RESUME: 'resume',
  HOLD: 'hold',
  RELEASE: 'release',
  TERMINATE: 'kill',
};

interface Active {
  client: GodockerClient;
  name: string;
  owner: string;
}

/** A DRMAA job id (a string of digits), or null. */
function jobNumber(jobId: string | number): number | null {
  const text = String(jobId);
  return /^[1-9][0-9]{0,14}$/.test(text) ? Number(text) : null;
}

function unknownJob(jobId: string | number, cause?: unknown): InvalidJobError {
  const why = GodockerError.is(cause) ? cause.message : `"${jobId}" is not a GoDocker job id`;
  return new InvalidJobError(jobId, why);
}

const isNotFound = (e: unknown): boolean =>
  GodockerError.is(e) && (e.code === ErrorCodes.JOB_NOT_FOUND || e.code === ErrorCodes.NOT_FOUND);
const isInvalidState = (e: unknown): boolean => GodockerError.is(e) && e.code === ErrorCodes.INVALID_STATE;

export class Session {
  readonly #options: SessionOptions;
  #active: Active | null = null;

  constructor(options: SessionOptions = {}) {
    this.#options = options;
  }

  #client(url: string | undefined): GodockerClient {
    const given = this.#options.client;
    if (given) {
      if (url !== undefined && url !== given.url) {
        throw new InvalidContactStringError(`the contact names ${url}, but this session was given a client of ${given.url}`);
      }
      return given;
    }
    const c = resolveConnection({
      url: url ?? this.#options.url,
      token: this.#options.token,
      ...(this.#options.env ? { env: this.#options.env } : {}),
    });
    if (!c.token) {
      throw new AuthenticationError(`no token for ${c.url}: pass { token }, set GODOCKER_TOKEN, or run \`godocker login\``);
    }
    return new GodockerClient({ url: c.url, token: c.token, fetch: this.#options.fetch });
  }

  /**
   * Starts the session: a new one on the server, or, when the contact names one
   * (as `getContact()` wrote it, or `session=NAME`), that one again with its jobs.
   */
  async init(contact?: string | null): Promise<void> {
    if (this.#active) throw new AlreadyActiveSessionError();
    const parsed = parseContact(contact);
    const client = this.#client(parsed.url);
    const me = await client.me();
    let name: string;
    if (parsed.session === undefined) {
      name = (await client.createSession({ kind: 'drmaa1' })).name;
    } else {
      name = parsed.session;
      try {
        await client.getSession(name);
      } catch (e) {
        if (GodockerError.is(e) && e.code === ErrorCodes.SESSION_NOT_FOUND) {
          throw new InvalidContactStringError(`${me.name} has no session "${name}" on ${client.url}`);
        }
        throw e;
      }
    }
    this.#active = { client, name, owner: me.name };
  }

  /** Ends this process's use of the session. Its jobs go on; `init(contact)` reattaches later. */
  async exit(): Promise<void> {
    this.#session();
    this.#active = null;
  }

  #session(): Active {
    if (!this.#active) throw new NoActiveSessionError();
    return this.#active;
  }

  /** The session's name on the server (null before `init`). */
  get sessionName(): string | null {
    return this.#active?.name ?? null;
  }

  /** After `init`: the contact that reattaches to this session. Before: the daemon a new session would be made on. */
  getContact(): string {
    if (this.#active) return sessionContact(this.#active.client.url, this.#active.name);
    return (
      this.#options.client?.url ??
      resolveConnection({ url: this.#options.url, ...(this.#options.env ? { env: this.#options.env } : {}) }).url
    );
  }

  /** DRMAA's `drmaa_get_DRM_system`. */
  async getDrmSystem(): Promise<string> {
    return `GoDocker ${(await this.#session().client.info()).version}`;
  }

  /** DRMAA's `drmaa_get_DRMAA_implementation`. */
  getDrmaaImplementation(): string {
    return `GoDocker SDK ${VERSION}`;
  }

  /** The DRMAA version this facade implements. */
  readonly version = { major: 1, minor: 0 } as const;

  /** Submits one job; returns its id. */
  async runJob(jt: JobTemplate): Promise<string> {
    const { client, name } = this.#session();
    const submission = await templateToSubmission(toDrmaa2Template(jt), { session: name });
    return String((await client.submit(submission)).id);
  }

  /** Submits a bulk job of tasks `start`, `start + incr`, ... ≤ `end`; returns the task ids in index order. */
  async runBulkJobs(jt: JobTemplate, start: number, end: number, incr = 1): Promise<string[]> {
    const { client, name } = this.#session();
    const submission = await templateToSubmission(toDrmaa2Template(jt), { session: name });
    const parent = await client.submit({ ...submission, array: `${start}-${end}:${incr}` });
    const tasks: Job[] = [];
    for await (const job of client.jobs({ parent: parent.id, limit: 1000 })) tasks.push(job);
    return tasks.sort((a, b) => (a.taskIndex ?? 0) - (b.taskIndex ?? 0)).map((t) => String(t.id));
  }

  /** Suspends, resumes, holds, releases or terminates a job, or every job of the session (SESSION_ALL). */
  async control(jobId: string | number, action: ControlAction): Promise<void> {
    const active = this.#session();
    const verb = ACTIONS[action];
    if (!verb) throw new GodockerError(ErrorCodes.INVALID_REQUEST, `unknown control action "${String(action)}"`);
    if (jobId === SESSION_ALL) {
      await this.#controlAll(active, verb);
      return;
    }
    const id = jobNumber(jobId);
    if (id === null) throw unknownJob(jobId);
    try {
      await active.client.action(id, verb);
    } catch (e) {
      if (isNotFound(e)) throw unknownJob(jobId, e);
      if (isInvalidState(e)) {
        // DRMAA has no inconsistent state for TERMINATE: a job that can no longer be killed is over, as if unknown.
        if (action === 'TERMINATE') throw unknownJob(jobId, e);
        throw new InconsistentStateError(action, (e as GodockerError).message);
      }
      throw e;
    }
  }

  /** Every active job of the session, an array acted on once through its parent; jobs in another state are left alone. */
  async #controlAll({ client, name }: Active, verb: JobAction): Promise<void> {
    await client.sessionAction(name, verb);
  }

  /** The job's DRMAA state; exit codes other than 0, kills and time limits are FAILED. Any job the caller may see. */
  async jobPs(jobId: string | number): Promise<Drmaa1State> {
    const { client } = this.#session();
    const id = jobNumber(jobId);
    if (id === null) throw unknownJob(jobId);
    try {
      return await client.drmaa1State(id);
    } catch (e) {
      if (isNotFound(e)) throw unknownJob(jobId, e);
      throw e;
    }
  }

  /**
   * Waits for the job (or any job of the session: SESSION_ANY) to end and reaps
   * it. `timeout` in seconds: 0 only looks, -1 (TIMEOUT_WAIT_FOREVER) waits for ever;
   * running out is an ExitTimeoutError and reaps nothing.
   */
  async wait(jobId: string | number, timeout: number = TIMEOUT_WAIT_FOREVER): Promise<JobInfo> {
    const { client, name } = this.#session();
    const seconds = waitSeconds(timeout);
    let ids: number[] | undefined;
    if (jobId !== SESSION_ANY) {
      const id = jobNumber(jobId);
      if (id === null) throw unknownJob(jobId);
      ids = [id];
    }
    let r: Awaited<ReturnType<GodockerClient['waitSession']>>;
    try {
      r = await client.waitSession(name, {
        ...(ids ? { ids } : {}),
        mode: 'any',
        for: 'terminated',
        timeout: seconds,
        reap: true,
        omitJobs: true,
      });
    } catch (e) {
      if (isNotFound(e)) throw unknownJob(jobId, e);
      throw e;
    }
    const info = r.info[0];
    if (r.timedOut || !info) {
      const what = jobId === SESSION_ANY ? 'no job of the session' : `job ${jobId}`;
      throw new WaitTimeoutError(`${what} ended ${describeTimeout(seconds)}`);
    }
    return info;
  }

  /**
   * Waits until every job given (or every job of the session: [SESSION_ALL]) has
   * ended; ids that are not jobs of the session are taken as ended. With `dispose`
   * the jobs are reaped; without, a later `wait` still returns them.
   */
  async synchronize(
    jobIds: ReadonlyArray<string | number>,
    timeout: number = TIMEOUT_WAIT_FOREVER,
    dispose = false,
  ): Promise<void> {
    const { client, name } = this.#session();
    const seconds = waitSeconds(timeout);
    let ids: number[] | undefined;
    if (!jobIds.includes(SESSION_ALL)) {
      ids = jobIds.map(jobNumber).filter((id): id is number => id !== null);
      if (ids.length === 0) return;
    }
    const r = await client.waitSession(name, {
      ...(ids ? { ids } : {}),
      mode: 'all',
      for: 'terminated',
      timeout: seconds,
      reap: dispose,
      skipUnknown: true,
      omitJobs: true,
    });
    if (r.timedOut) throw new WaitTimeoutError(`not every job ended ${describeTimeout(seconds)}`);
  }
}
