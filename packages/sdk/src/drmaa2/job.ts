/**
 * One job, as DRMAA2's Job: its state, its info, control, reaping and waits.
 * Waits are server long-polls; a timeout is a WaitTimeoutError (DRMAA2's
 * TimeoutException).
 *
 * ```ts
 * const job = await session.runJob({ remoteCommand: 'sleep', args: ['5'] });
 * await job.waitStarted(60);
 * await job.suspend();
 * await job.resume();
 * const ended = await job.waitTerminated(TIMEOUT_WAIT_FOREVER);
 * console.log((await ended.getInfo()).exitStatus);
 * await job.reap();
 * ```
 */
import type { WaitFor } from '../api.js';
import type { GodockerClient } from '../client.js';
import { InvalidSessionError, WaitTimeoutError } from '../drmaa-errors.js';
import { describeTimeout, TIMEOUT_WAIT_FOREVER, waitSeconds } from '../drmaa-timeouts.js';
import { InvalidStateError } from '../errors.js';
import type { Job, JobState } from '../job.js';
import { DRMAA2_STATE, type Drmaa2State, type JobAction } from '../states.js';
import { type JobInfo, jobInfoOf } from './job-info.js';

export interface JobStateInfo {
  state: Drmaa2State;
  /** The GoDocker state (DRMAA2's implementation-specific sub-state). */
  subState: JobState;
  /** Why it is in that state, in words. */
  reason: string;
}

export function stateInfoOf(job: Job): JobStateInfo {
  return { state: DRMAA2_STATE[job.status.state], subState: job.status.state, reason: job.status.reason };
}

/** Waits for one job (any job the caller may see, in a session or not). */
export async function waitForJob(client: GodockerClient, id: number, what: WaitFor, timeout: number): Promise<Job> {
  const seconds = waitSeconds(timeout);
  const r = await client.wait(id, { for: what, timeout: seconds });
  if (r.timedOut) {
    throw new WaitTimeoutError(`job ${id} has not ${what} ${describeTimeout(seconds)}: it is ${r.job.status.state}`);
  }
  return r.job;
}

/** Reaps terminated jobs of a session in one call; InvalidStateError if one has not terminated. */
export async function reapJobs(
  client: GodockerClient,
  session: string | null,
  ids: readonly number[],
  what: string,
): Promise<void> {
  if (session === null) throw new InvalidSessionError(`${what} was not submitted in a session: there is nothing to reap`);
  const r = await client.waitSession(session, { ids, mode: 'all', timeout: 0, reap: true });
  if (r.timedOut) throw new InvalidStateError(`${what} cannot be reaped before it has terminated`);
}

/** DRMAA2's Job (exported as `drmaa2.Job`, and as `SessionJob` beside GoDocker's Job document). */
export class SessionJob {
  readonly id: number;
  readonly sessionName: string | null;
  readonly #client: GodockerClient;
  #last: Job;

  constructor(client: GodockerClient, job: Job) {
    this.#client = client;
    this.id = job.id;
    this.sessionName = job.session;
    this.#last = job;
  }

  /** DRMAA ids are strings. */
  getId(): string {
    return String(this.id);
  }

  getSessionName(): string | null {
    return this.sessionName;
  }

  /** The GoDocker job document as last read (by a query, a control call or a wait). */
  get document(): Job {
    return this.#last;
  }

  async #refresh(): Promise<Job> {
    this.#last = await this.#client.getJob(this.id);
    return this.#last;
  }

  /** The DRMAA2 state, with GoDocker's own as sub-state. */
  async getState(): Promise<JobStateInfo> {
    return stateInfoOf(await this.#refresh());
  }

  async getInfo(): Promise<JobInfo> {
    return jobInfoOf(await this.#refresh());
  }

  async #act(action: JobAction): Promise<void> {
    this.#last = await this.#client.action(this.id, action);
  }

  /** Pauses a running job (its processes are frozen, not killed). */
  suspend(): Promise<void> {
    return this.#act('suspend');
  }
  resume(): Promise<void> {
    return this.#act('resume');
  }
  /** Keeps a queued job from starting until `release()`. */
  hold(): Promise<void> {
    return this.#act('hold');
  }
  release(): Promise<void> {
    return this.#act('release');
  }
  /** Kills the job (SIGTERM, then SIGKILL after the grace time); it ends failed. */
  terminate(): Promise<void> {
    return this.#act('kill');
  }

  /** Forgets a terminated job in its session: session waits no longer see it. Its record stays queryable by id. */
  async reap(): Promise<void> {
    await reapJobs(this.#client, this.sessionName, [this.id], `job ${this.id}`);
  }

  /** Until the job has started (or ended without starting); `timeout` in seconds, -1 for ever. */
  async waitStarted(timeout: number = TIMEOUT_WAIT_FOREVER): Promise<this> {
    this.#last = await waitForJob(this.#client, this.id, 'started', timeout);
    return this;
  }

  /** Until the job is done or failed; `timeout` in seconds, -1 for ever. */
  async waitTerminated(timeout: number = TIMEOUT_WAIT_FOREVER): Promise<this> {
    this.#last = await waitForJob(this.#client, this.id, 'terminated', timeout);
    return this;
  }
}
