/**
 * A bulk job (DRMAA2's JobArray): GoDocker's array job, one parent and its
 * tasks. Control calls act on every task at once; waits cover every task.
 *
 * ```ts
 * const array = await session.runBulkJobs({ remoteCommand: 'sh', args: ['-c', 'echo $GODOCKER_TASK_ID'] }, 1, 10, 1, 4);
 * await array.waitTerminated(TIMEOUT_WAIT_FOREVER);
 * for (const job of await array.getJobs()) console.log(job.id, (await job.getState()).state);
 * ```
 */
import type { WaitFor } from '../api.js';
import type { GodockerClient } from '../client.js';
import { WaitTimeoutError } from '../drmaa-errors.js';
import { describeTimeout, TIMEOUT_WAIT_FOREVER, waitSeconds } from '../drmaa-timeouts.js';
import type { Job } from '../job.js';
import type { JobAction } from '../states.js';
import { type JobStateInfo, reapJobs, SessionJob, stateInfoOf, waitForJob } from './job.js';

/** How long `reap()` gives the parent to follow its last task into a final state. */
const PARENT_SETTLE_SECONDS = 10;

export class JobArray {
  readonly id: number;
  readonly sessionName: string | null;
  readonly #client: GodockerClient;
  #parent: Job;
  #tasks: Job[] | null = null;

  constructor(client: GodockerClient, parent: Job) {
    this.#client = client;
    this.id = parent.id;
    this.sessionName = parent.session;
    this.#parent = parent;
  }

  getId(): string {
    return String(this.id);
  }

  getSessionName(): string | null {
    return this.sessionName;
  }

  /** The parent's document as last read: its `array` holds the range and the count of tasks in each state. */
  get document(): Job {
    return this.#parent;
  }

  async #taskDocs(): Promise<Job[]> {
    if (!this.#tasks) {
      const tasks: Job[] = [];
      for await (const job of this.#client.jobs({ parent: this.id, limit: 1000 })) tasks.push(job);
      this.#tasks = tasks.sort((a, b) => (a.taskIndex ?? 0) - (b.taskIndex ?? 0));
    }
    return this.#tasks;
  }

  /** The tasks, in task-index order. */
  async getJobs(): Promise<SessionJob[]> {
    return (await this.#taskDocs()).map((t) => new SessionJob(this.#client, t));
  }

  /** The array's own state: running while any task runs, done when all are done, failed when one failed. */
  async getState(): Promise<JobStateInfo> {
    this.#parent = await this.#client.getJob(this.id);
    return stateInfoOf(this.#parent);
  }

  async #act(action: JobAction): Promise<void> {
    this.#parent = await this.#client.action(this.id, action);
  }

  suspend(): Promise<void> {
    return this.#act('suspend');
  }
  resume(): Promise<void> {
    return this.#act('resume');
  }
  hold(): Promise<void> {
    return this.#act('hold');
  }
  release(): Promise<void> {
    return this.#act('release');
  }
  terminate(): Promise<void> {
    return this.#act('kill');
  }

  /** Reaps every task and the array itself; InvalidStateError while a task has not terminated. */
  async reap(): Promise<void> {
    const ids = (await this.#taskDocs()).map((t) => t.id);
    await reapJobs(this.#client, this.sessionName, ids, `array ${this.id}`);
    // The parent's state follows its tasks' a moment later.
    await waitForJob(this.#client, this.id, 'terminated', PARENT_SETTLE_SECONDS);
    await reapJobs(this.#client, this.sessionName, [this.id], `array ${this.id}`);
  }

  async #waitAll(what: WaitFor, timeout: number): Promise<this> {
    const seconds = waitSeconds(timeout);
    const ids = (await this.#taskDocs()).map((t) => t.id);
    const r = await this.#client.waitMany(ids, { mode: 'all', for: what, timeout: seconds });
    if (r.timedOut) {
      throw new WaitTimeoutError(
        `array ${this.id}: ${ids.length - r.ready.length} of its ${ids.length} tasks have not ${what} ${describeTimeout(seconds)}`,
      );
    }
    this.#tasks = r.ready.sort((a, b) => (a.taskIndex ?? 0) - (b.taskIndex ?? 0));
    return this;
  }

  /** Until every task has started (or ended). */
  waitStarted(timeout: number = TIMEOUT_WAIT_FOREVER): Promise<this> {
    return this.#waitAll('started', timeout);
  }

  /** Until every task has terminated. */
  waitTerminated(timeout: number = TIMEOUT_WAIT_FOREVER): Promise<this> {
    return this.#waitAll('terminated', timeout);
  }
}
