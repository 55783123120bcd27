/**
 * DRMAA2's SessionManager, which `connect()` returns: it creates, opens, lists and
 * destroys job sessions (kept by the server) and opens monitoring sessions.
 *
 * ```ts
 * import { connect } from '@godocker/sdk';
 * const manager = await connect(); // GODOCKER_URL / GODOCKER_TOKEN, else `godocker login`
 * const session = await manager.createJobSession('nightly');
 * console.log(await manager.getJobSessionNames());
 * await manager.destroyJobSession('nightly');
 * ```
 */
import type { User } from '../api.js';
import type { GodockerClient } from '../client.js';
import { InvalidSessionError } from '../drmaa-errors.js';
import { ErrorCodes, GodockerError } from '../errors.js';
import { type Drmaa2Event, drmaa2EventOf, type WatchOptions } from './events.js';
import { JobSession } from './job-session.js';
import { MonitoringSession } from './monitoring-session.js';

/** A 404 for a session becomes DRMAA2's InvalidSessionException. */
async function sessionCall<T>(name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (GodockerError.is(e) && e.code === ErrorCodes.SESSION_NOT_FOUND) {
      throw new InvalidSessionError(`there is no job session named "${name}" (see getJobSessionNames())`);
    }
    throw e;
  }
}

export interface WatchFilter {
  /** Only the jobs of this session of the caller. */
  session?: string;
  /** Only these jobs. */
  jobIds?: ReadonlyArray<number | string>;
}

export class SessionManager {
  /** DRMAA2's `drmsName`. */
  readonly drmsName = 'GoDocker';
  /** The HTTP client underneath, for everything DRMAA has no word for (logs, projects, users). */
  readonly client: GodockerClient;
  /** Who the token belongs to: the owner of the sessions this manager makes. */
  readonly user: User;
  readonly #onClose: (() => Promise<void>) | undefined;

  constructor(client: GodockerClient, user: User, onClose?: () => Promise<void>) {
    this.client = client;
    this.user = user;
    this.#onClose = onClose;
  }

  /** The daemon's base URL. */
  get url(): string {
    return this.client.url;
  }

  /** DRMAA2's `drmsVersion`: the daemon's version. */
  async getDrmsVersion(): Promise<string> {
    return (await this.client.info()).version;
  }

  readonly #machines = async (): Promise<readonly string[]> => (await this.client.info()).nodes.map((n) => n.name);

  /** A new session; a name is generated when none is given. GOD_CONFLICT if the caller already has one of that name. */
  async createJobSession(name?: string): Promise<JobSession> {
    const session = await this.client.createSession({ ...(name === undefined ? {} : { name }), kind: 'drmaa2' });
    return new JobSession(this.client, session, this.#machines);
  }

  /** An existing session of the caller, made by this or any other process; InvalidSessionError if there is none. */
  async openJobSession(name: string): Promise<JobSession> {
    const session = await sessionCall(name, () => this.client.getSession(name));
    return new JobSession(this.client, session, this.#machines);
  }

  /** Deletes a session: its jobs keep running, outside any session. InvalidSessionError if there is none. */
  async destroyJobSession(name: string): Promise<void> {
    await sessionCall(name, () => this.client.deleteSession(name));
  }

  /** The names of the caller's sessions. */
  async getJobSessionNames(): Promise<string[]> {
    return (await this.client.listSessions()).map((s) => s.name);
  }

  async createMonitoringSession(): Promise<MonitoringSession> {
    return new MonitoringSession(this.client);
  }

  /**
   * State changes of the jobs the caller may see, narrowed by the filter, for as
   * long as the caller iterates.
   *
   * ```ts
   * for await (const ev of manager.watch({ jobIds: [job.id] })) if (ev.jobState === 'DONE') break;
   * ```
   */
  async *watch(filter: WatchFilter = {}, options: WatchOptions = {}): AsyncGenerator<Drmaa2Event, void, undefined> {
    const ids = filter.jobIds ? new Set(filter.jobIds.map(String)) : null;
    const stream = this.client.events({ ...options, ...(filter.session === undefined ? {} : { session: filter.session }) });
    for await (const ev of stream) {
      if (ids && !ids.has(String(ev.job.id))) continue;
      yield drmaa2EventOf(ev);
    }
  }

  /** Lets go of the daemon: an embedded scheduler stops here; sessions stay on the server. */
  async close(): Promise<void> {
    await this.#onClose?.();
  }
}
