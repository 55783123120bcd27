/**
 * The typed HTTP client of the GoDocker REST API v1, used by the CLI, the
 * JobSession and any Node application.
 *
 * ```ts
 * const client = new GodockerClient({ url: 'http://127.0.0.1:6543', token });
 * const job = await client.submit({ command: { script: 'echo hello' } });
 * const { job: ended } = await client.wait(job.id);
 * console.log(ended.status.exitCode, await client.logs(job.id));
 * ```
 */
import type { UsageQuery, UsageReport } from './accounting.js';
import type {
  AddMemberBody,
  ArchiveBody,
  ArchiveResult,
  CreatedToken,
  CreateProjectBody,
  CreateSessionBody,
  CreateUserBody,
  Drmaa1JobState,
  Drmaa1JobsBody,
  Drmaa1JobsResult,
  Explanation,
  Info,
  JobBatchResult,
  JobEvent,
  JobFileList,
  JobFileWritten,
  JobList,
  ListJobsQuery,
  ListProjectsQuery,
  ListTokensQuery,
  LoginBody,
  LoginResult,
  NodeList,
  NodeView,
  ProjectList,
  ResetUsageBody,
  ResetUsageResult,
  Session,
  SessionActionResult,
  SessionList,
  SessionWaitResult,
  ShareTreeView,
  SiteStatus,
  TokenInfo,
  TokenList,
  UpdateProjectBody,
  UpdateUserBody,
  User,
  WaitFor,
  WaitManyResult,
  WaitResult,
} from './api.js';
import { type FetchFn, HttpTransport, type QueryValue, type RawBody } from './client-http.js';
import { followLog, jobEvents } from './client-streams.js';
import { ErrorCodes, GodockerError } from './errors.js';
import type { LogStream } from './executor.js';
import type { Job, JobSubmission } from './job.js';
import type { JobUsage } from './job-usage.js';
import type { NotificationDeliveryList } from './notify.js';
import { randomKey, sleep } from './portable-runtime.js';
import type { Project } from './projects.js';
import type { SshKey, SshKeyList } from './ssh-keys.js';
import type { JobAction } from './states.js';
import { MAX_WAIT_SECONDS } from './wire-constants.js';

export { type FetchFn, normalizeBaseUrl, type RawBody } from './client-http.js';

/** A job id as the API prints it; strings are accepted for callers holding DRMAA ids. */
export type JobId = number | string;

export interface GodockerClientOptions {
  /** Where the daemon listens, e.g. `http://127.0.0.1:6543` (a trailing `/api/v1` is fine). */
  url: string;
  /** API token, sent as `Authorization: Bearer TOKEN`. */
  token?: string | undefined;
  /** Replaces the global fetch (tests, proxies, custom agents). */
  fetch?: FetchFn | undefined;
}

export interface SubmitOptions {
  /**
   * Makes the submission safe to retry: the daemon answers a key it has seen with the
   * job it created then. One is generated when not given.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /**
   * A large array is answered (202) before all its tasks are stored: by default
   * `submit` waits until they are (`array.created` reaches `array.count`), so its
   * tasks can be listed at once. false returns the parent as first answered.
   */
  waitForTasks?: boolean;
}

/** How often `submit` looks whether an array's tasks have all been stored: from the first, up to the second. */
const LANDING_POLL_MS = [100, 1000] as const;

function stillLanding(job: Job): boolean {
  return job.array !== null && (job.array.created ?? job.array.count) < job.array.count;
}

export interface WaitOptions {
  /** What to wait for; `terminated` (done or failed) by default. */
  for?: WaitFor;
  /** Seconds; undefined, Infinity or a negative number wait forever, 0 only looks. */
  timeout?: number;
  signal?: AbortSignal;
}

export interface WaitManyOptions extends WaitOptions {
  /** `all` (default): every job; `any`: the first one(s). */
  mode?: 'any' | 'all';
}

export interface StreamOptions {
  /** Ends the stream (quietly) when aborted. */
  signal?: AbortSignal;
}

export interface EventStreamOptions extends StreamOptions {
  /** Only the changes of the caller's jobs in this session. */
  session?: string;
  /**
   * Called each time the stream is (re)connected: changes made after this are
   * delivered, so a caller may wait for it before submitting what it watches.
   */
  onConnect?: () => void;
}

export interface SessionWaitOptions extends WaitManyOptions {
  /** The jobs to wait for; every unreaped job of the session when not given. */
  ids?: readonly JobId[];
  /** Reap the jobs returned as terminated (mode any reaps one), as DRMAA's wait does. */
  reap?: boolean;
  /** Leave out ids that are not unreaped jobs of the session instead of failing (DRMAA's synchronize). */
  skipUnknown?: boolean;
  /** Answer `ready: []` (ids in `readyIds`, reaped jobs' ends in `info`): small answers for large synchronizes. */
  omitJobs?: boolean;
}

/**
 * Longest single long-poll this client asks for. Below MAX_WAIT_SECONDS because
 * Node's fetch (undici) gives up on a response whose headers take 300 s, exactly
 * the server's cap; a shorter poll keeps a margin for a busy daemon.
 */
export const CLIENT_POLL_SECONDS = Math.min(MAX_WAIT_SECONDS, 240);

/** A poll that times out sooner than this is followed by a pause, so a misbehaving server cannot make us spin. */
const MIN_POLL_INTERVAL_MS = 1000;

function toQuery(query: ListJobsQuery): Record<string, QueryValue> {
  return { ...query };
}

function idPath(id: JobId): string {
  return `/jobs/${encodeURIComponent(String(id))}`;
}

function projectPath(name: string): string {
  return `/projects/${encodeURIComponent(name)}`;
}

function sessionPath(name: string): string {
  return `/sessions/${encodeURIComponent(name)}`;
}

function memberPath(project: string, user: string): string {
  return `${projectPath(project)}/members/${encodeURIComponent(user)}`;
}

/** Client of one daemon. Methods throw the typed errors of `errors.ts`. */
export class GodockerClient {
  private readonly http: HttpTransport;

  constructor(options: GodockerClientOptions) {
    this.http = new HttpTransport(options.url, options.token, options.fetch);
  }

  /** The daemon's base URL, normalised (no trailing slash, no /api/v1). */
  get url(): string {
    return this.http.baseUrl;
  }

  /**
   * Submits a job (or an array: the parent is returned; list its tasks with
   * `listJobs({ parent: id })`). It is retried once after a network failure with
   * the same Idempotency-Key, so a lost answer never creates a second job.
   */
  async submit(submission: JobSubmission, options: SubmitOptions = {}): Promise<Job> {
    const job = await this.postRetried<Job>('/jobs', submission, options);
    return options.waitForTasks === false ? job : this.untilTasksStored(job, options.signal);
  }

  /**
   * Submits several jobs in one request (POST /jobs/batch): all are stored, or none is
   * and the error names the first bad one (`field` starts with `jobs.N`). Resolves with
   * the jobs in order; retried once after a network failure with the same Idempotency-Key,
   * and waits for arrays' tasks, as `submit` does.
   */
  async submitBatch(submissions: readonly JobSubmission[], options: SubmitOptions = {}): Promise<Job[]> {
    const { jobs } = await this.postRetried<JobBatchResult>('/jobs/batch', { jobs: submissions }, options);
    if (options.waitForTasks === false) return jobs;
    const stored: Job[] = [];
    for (const job of jobs) stored.push(await this.untilTasksStored(job, options.signal));
    return stored;
  }

  /** A POST with an Idempotency-Key, sent again once with the same key after a network failure. */
  private async postRetried<T>(path: string, body: unknown, options: SubmitOptions): Promise<T> {
    const key = options.idempotencyKey ?? randomKey();
    const send = () =>
      this.http.json<T>({ method: 'POST', path, body, headers: { 'idempotency-key': key }, signal: options.signal });
    try {
      return (await send()).body;
    } catch (e) {
      if (!(GodockerError.is(e) && e.code === ErrorCodes.CONNECTION)) throw e;
      return (await send()).body;
    }
  }

  /** The array's parent once every task exists (any other job as it is). */
  private async untilTasksStored(job: Job, signal: AbortSignal | undefined): Promise<Job> {
    let current = job;
    let pause: number = LANDING_POLL_MS[0];
    while (stillLanding(current)) {
      await sleep(pause, signal);
      pause = Math.min(pause * 2, LANDING_POLL_MS[1]);
      current = await this.getJob(job.id, signal ? { signal } : {});
    }
    return current;
  }

  /** One job. */
  async getJob(id: JobId, options: StreamOptions = {}): Promise<Job> {
    return (await this.http.json<Job>({ method: 'GET', path: idPath(id), signal: options.signal })).body;
  }

  /** Why a job waits (reason code, a sentence with the numbers, its priority) or how it ended. */
  async explain(id: JobId): Promise<Explanation> {
    return (await this.http.json<Explanation>({ method: 'GET', path: `${idPath(id)}/explain` })).body;
  }

  /**
   * What a job used while it ran: totals (cpu seconds, peak memory, io and network bytes) and
   * a bounded time series sampled from its executor.
   *
   * ```ts
   * const { totals, series } = await client.jobUsage(42);
   * console.log(totals.peakMemoryMb, series.length);
   * ```
   */
  async jobUsage(id: JobId): Promise<JobUsage> {
    return (await this.http.json<JobUsage>({ method: 'GET', path: `${idPath(id)}/usage` })).body;
  }

  /**
   * What jobs used since a time, per user or per project (a user sees their own jobs only).
   *
   * ```ts
   * const { rows } = await client.usage({ by: 'project', since: '30d' });
   * ```
   */
  async usage(query: UsageQuery): Promise<UsageReport> {
    return (await this.http.json<UsageReport>({ method: 'GET', path: '/usage', query: { ...query } })).body;
  }

  /** The fair-share tree: each project, then its users, with shares, usage and factors. */
  async share(): Promise<ShareTreeView> {
    return (await this.http.json<ShareTreeView>({ method: 'GET', path: '/share' })).body;
  }

  /** One page of jobs, newest first; pass `nextCursor` back as `cursor` for the next one. */
  async listJobs(query: ListJobsQuery = {}, options: StreamOptions = {}): Promise<JobList> {
    return (await this.http.json<JobList>({ method: 'GET', path: '/jobs', query: toQuery(query), signal: options.signal })).body;
  }

  /**
   * Every job matching the query, newest first, fetching pages (of `query.limit`) as
   * the caller iterates.
   *
   * ```ts
   * for await (const job of client.jobs({ state: 'running' })) console.log(job.id);
   * ```
   */
  async *jobs(query: ListJobsQuery = {}, options: StreamOptions = {}): AsyncGenerator<Job, void, undefined> {
    let cursor = query.cursor;
    do {
      const page = await this.listJobs({ ...query, cursor }, options);
      yield* page.jobs;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** Kills, suspends, resumes, holds or releases a job; returns it as it is after the request. */
  async action(id: JobId, action: JobAction, options: StreamOptions = {}): Promise<Job> {
    return (
      await this.http.json<Job>({ method: 'POST', path: `${idPath(id)}/actions`, body: { action }, signal: options.signal })
    ).body;
  }

  kill(id: JobId): Promise<Job> {
    return this.action(id, 'kill');
  }
  suspend(id: JobId): Promise<Job> {
    return this.action(id, 'suspend');
  }
  resume(id: JobId): Promise<Job> {
    return this.action(id, 'resume');
  }
  hold(id: JobId): Promise<Job> {
    return this.action(id, 'hold');
  }
  release(id: JobId): Promise<Job> {
    return this.action(id, 'release');
  }

  /**
   * Waits until the job has started or terminated (the default). A timeout is an
   * answer, not an error: `timedOut` says which. Long waits are a series of server
   * long-polls, never a busy loop.
   */
  async wait(id: JobId, options: WaitOptions = {}): Promise<WaitResult> {
    return this.poll(options, (seconds) =>
      this.http.json<WaitResult>({
        method: 'GET',
        path: `${idPath(id)}/wait`,
        query: { timeout: seconds, for: options.for ?? 'terminated' },
        signal: options.signal,
      }),
    );
  }

  /** Waits for all (default) or any of the jobs; `ready` lists those that got there. */
  async waitMany(ids: readonly JobId[], options: WaitManyOptions = {}): Promise<WaitManyResult> {
    const numeric = ids.map((id) => Number(id));
    return this.poll(options, (seconds) =>
      this.http.json<WaitManyResult>({
        method: 'POST',
        path: '/jobs/wait',
        body: { ids: numeric, mode: options.mode ?? 'all', for: options.for ?? 'terminated', timeout: seconds },
        signal: options.signal,
      }),
    );
  }

  private async poll<T extends { timedOut: boolean }>(
    options: WaitOptions,
    once: (seconds: number) => Promise<{ body: T }>,
  ): Promise<T> {
    const t = options.timeout;
    const forever = t === undefined || Number.isNaN(t) || t === Infinity || t < 0;
    const deadline = forever ? Infinity : Date.now() + t * 1000;
    for (;;) {
      const left = forever ? CLIENT_POLL_SECONDS : Math.max(0, (deadline - Date.now()) / 1000);
      const seconds = Math.round(Math.min(CLIENT_POLL_SECONDS, left) * 1000) / 1000;
      const began = Date.now();
      const { body } = await once(seconds);
      if (!body.timedOut || Date.now() >= deadline || seconds === 0) return body;
      const minGap = Math.min(seconds * 1000, MIN_POLL_INTERVAL_MS) - (Date.now() - began);
      if (minGap > 0) await sleep(minGap, options.signal);
    }
  }

  /** The whole output of a job so far. */
  async logs(id: JobId, stream: LogStream = 'stdout', options: StreamOptions = {}): Promise<string> {
    return this.http.text({ method: 'GET', path: `${idPath(id)}/logs/${stream}`, signal: options.signal });
  }

  /**
   * The output of a job, chunk by chunk as it is written, until the job ends. The
   * generator's return value (when iterated by hand) is the final job.
   *
   * ```ts
   * for await (const text of client.followLogs(id)) process.stdout.write(text);
   * ```
   */
  followLogs(
    id: JobId,
    stream: LogStream = 'stdout',
    options: StreamOptions = {},
  ): AsyncGenerator<string, Job | null, undefined> {
    return followLog(this.http, id, stream, options.signal);
  }

  /**
   * How the job's notifications (mail, webhook) were delivered: one entry per event and channel.
   *
   * ```ts
   * const { deliveries } = await client.jobNotifications(42);
   * const failed = deliveries.filter((d) => d.status === 'failed');
   * ```
   */
  async jobNotifications(id: JobId, options: StreamOptions = {}): Promise<NotificationDeliveryList> {
    return (
      await this.http.json<NotificationDeliveryList>({
        method: 'GET',
        path: `${idPath(id)}/notifications`,
        signal: options.signal,
      })
    ).body;
  }

  /**
   * The entries of a folder of the job's directory (`''`: the directory itself).
   *
   * ```ts
   * const { entries } = await client.listFiles(42, 'out');
   * ```
   */
  async listFiles(id: JobId, path = '', options: StreamOptions = {}): Promise<JobFileList> {
    return (
      await this.http.json<JobFileList>({ method: 'GET', path: `${idPath(id)}/files`, query: { path }, signal: options.signal })
    ).body;
  }

  /**
   * A file of the job's directory, streamed: its bytes and its size (or those of the part a
   * `range` asked for, as an HTTP Range value such as `bytes=0-99`).
   *
   * ```ts
   * const file = await client.downloadFile(42, 'out/result.txt');
   * await pipeline(Readable.fromWeb(file.body), createWriteStream('result.txt'));
   * ```
   */
  async downloadFile(
    id: JobId,
    path: string,
    options: StreamOptions & { range?: string } = {},
  ): Promise<{ body: ReadableStream<Uint8Array>; size: number | null }> {
    const res = await this.http.send({
      method: 'GET',
      path: `${idPath(id)}/files/content`,
      query: { path },
      accept: 'application/octet-stream',
      headers: options.range === undefined ? undefined : { range: options.range },
      signal: options.signal,
    });
    const length = res.headers.get('content-length');
    return { body: res.body ?? new Blob([]).stream(), size: length === null ? null : Number(length) };
  }

  /**
   * Writes `body` to `path` in the job's directory (parents made), replacing a file there once
   * the new one is whole. Works before the job starts (its input), while it runs and after.
   *
   * ```ts
   * await client.uploadFile(42, 'data.csv', createReadStream('data.csv'));
   * ```
   */
  async uploadFile(id: JobId, path: string, body: RawBody, options: StreamOptions = {}): Promise<JobFileWritten> {
    return (
      await this.http.json<JobFileWritten>({
        method: 'PUT',
        path: `${idPath(id)}/files/content`,
        query: { path },
        rawBody: body,
        signal: options.signal,
      })
    ).body;
  }

  /** Admin: archives now the jobs ended more than `olderThanSeconds` ago (default: the daemon's archive.afterDays). */
  async archive(body: ArchiveBody = {}): Promise<ArchiveResult> {
    return (await this.http.json<ArchiveResult>({ method: 'POST', path: '/admin/archive', body })).body;
  }

  /**
   * State changes of the jobs the caller may see (or of one session's jobs), for as
   * long as it iterates (reconnecting after a dropped connection).
   */
  events(options: EventStreamOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
    return jobEvents(this.http, options.signal, { session: options.session, onConnect: options.onConnect });
  }

  /** Creates a job session kept by the server (a name is generated when not given); GOD_CONFLICT if it exists. */
  async createSession(body: CreateSessionBody = {}): Promise<Session> {
    return (await this.http.json<Session>({ method: 'POST', path: '/sessions', body })).body;
  }

  /** The caller's sessions, by name. */
  async listSessions(): Promise<Session[]> {
    return (await this.http.json<SessionList>({ method: 'GET', path: '/sessions' })).body.sessions;
  }

  /** One of the caller's sessions; GOD_SESSION_NOT_FOUND if there is none of that name. */
  async getSession(name: string): Promise<Session> {
    return (await this.http.json<Session>({ method: 'GET', path: sessionPath(name) })).body;
  }

  /** Deletes a session; its jobs keep running and no longer belong to any session. */
  async deleteSession(name: string): Promise<void> {
    await this.http.send({ method: 'DELETE', path: sessionPath(name) });
  }

  /**
   * The DRMAA wait on a session's jobs: long-polls (never a busy loop) until any or
   * all of them have started or terminated, reaping what it returns when asked.
   *
   * ```ts
   * const r = await client.waitSession('s1', { mode: 'any', reap: true, timeout: 60 });
   * if (!r.timedOut) console.log('job', r.reaped[0], 'ended');
   * ```
   */
  async waitSession(name: string, options: SessionWaitOptions = {}): Promise<SessionWaitResult> {
    const ids = options.ids?.map((id) => Number(id));
    return this.poll(options, (seconds) =>
      this.http.json<SessionWaitResult>({
        method: 'POST',
        path: `${sessionPath(name)}/wait`,
        body: {
          ...(ids ? { ids } : {}),
          mode: options.mode ?? 'all',
          for: options.for ?? 'terminated',
          timeout: seconds,
          ...(options.reap ? { reap: true } : {}),
          ...(options.skipUnknown ? { skipUnknown: true } : {}),
          ...(options.omitJobs ? { omitJobs: true } : {}),
        },
        signal: options.signal,
      }),
    );
  }

  /**
   * DRMAA's `control(SESSION_ALL)`: the action on every active job of the session
   * it applies to (an array once, for its tasks); returns the ids acted on.
   */
  async sessionAction(name: string, action: JobAction): Promise<string[]> {
    return (await this.http.json<SessionActionResult>({ method: 'POST', path: `${sessionPath(name)}/actions`, body: { action } }))
      .body.jobIds;
  }

  /**
   * Submits a job (or a bulk job) in a session from DRMAA 1.0 C attributes, as
   * `libdrmaa.so` does; returns the job id, or the task ids in index order.
   */
  async submitDrmaa1(name: string, body: Drmaa1JobsBody, options: SubmitOptions = {}): Promise<string[]> {
    const key = options.idempotencyKey ?? randomKey();
    return (
      await this.http.json<Drmaa1JobsResult>({
        method: 'POST',
        path: `${sessionPath(name)}/drmaa1/jobs`,
        body,
        headers: { 'idempotency-key': key },
        signal: options.signal,
      })
    ).body.jobIds;
  }

  /** A job's DRMAA 1.0 state (`drmaa_job_ps`): any job the caller may see. */
  async drmaa1State(id: JobId): Promise<Drmaa1JobState['state']> {
    return (await this.http.json<Drmaa1JobState>({ method: 'GET', path: `${idPath(id)}/drmaa1` })).body.state;
  }

  /** Version, executor, catalogues and limits of the daemon, and who the caller is. */
  async info(): Promise<Info> {
    return (await this.http.json<Info>({ method: 'GET', path: '/info' })).body;
  }

  /** Every daemon of the site: role, version, address, last heartbeat, whether its executors answer (`godocker status`). */
  async status(): Promise<SiteStatus> {
    return (await this.http.json<SiteStatus>({ method: 'GET', path: '/status' })).body;
  }

  /** The nodes with their state, capacity and what runs there (`godocker nodes`). */
  async nodes(): Promise<NodeView[]> {
    return (await this.http.json<NodeList>({ method: 'GET', path: '/nodes' })).body.nodes;
  }

  /** Admin: the node takes no new job; what runs there goes on. */
  async drainNode(name: string, reason?: string): Promise<NodeView> {
    const body = reason === undefined ? {} : { reason };
    return (await this.http.json<NodeView>({ method: 'POST', path: `/nodes/${encodeURIComponent(name)}/drain`, body })).body;
  }

  /** Admin: the node takes new jobs again (a node that was not drained stays as it is). */
  async resumeNode(name: string): Promise<NodeView> {
    return (await this.http.json<NodeView>({ method: 'POST', path: `/nodes/${encodeURIComponent(name)}/resume`, body: {} })).body;
  }

  /** Registers an SSH public key (one OpenSSH line) of the caller for the SSH gateway. */
  async addSshKey(publicKey: string, comment?: string): Promise<SshKey> {
    const body = comment === undefined ? { publicKey } : { publicKey, comment };
    return (await this.http.json<SshKey>({ method: 'POST', path: '/keys', body })).body;
  }

  /** The caller's SSH keys, oldest first. */
  async sshKeys(): Promise<SshKey[]> {
    return (await this.http.json<SshKeyList>({ method: 'GET', path: '/keys' })).body.keys;
  }

  /** Removes one of the caller's SSH keys by its id (`sshKeys()` lists them). */
  async removeSshKey(id: string): Promise<void> {
    await this.http.send({ method: 'DELETE', path: `/keys/${encodeURIComponent(id)}` });
  }

  /** The user the token belongs to; the way to check a token. */
  async me(): Promise<User> {
    return (await this.http.json<User>({ method: 'GET', path: '/users/me' })).body;
  }

  /**
   * Logs in with a user name and password checked by the daemon's directory (LDAP); needs no
   * token. The answer's token expires at `expiresAt` (then log in again).
   */
  async login(body: LoginBody): Promise<LoginResult> {
    return (await this.http.json<LoginResult>({ method: 'POST', path: '/auth/login', body })).body;
  }

  /** The caller's tokens (an admin may name another user), never the tokens themselves. */
  async listTokens(query: ListTokensQuery = {}): Promise<TokenInfo[]> {
    return (await this.http.json<TokenList>({ method: 'GET', path: '/tokens', query: { ...query } })).body.tokens;
  }

  /** Revokes one of the caller's tokens (an admin: anyone's); it answers 401 from then on. */
  async revokeToken(id: string): Promise<void> {
    await this.http.send({ method: 'DELETE', path: `/tokens/${encodeURIComponent(id)}` });
  }

  /** Admin: creates a user and its first token (shown only in this answer). */
  async createUser(body: CreateUserBody): Promise<CreatedToken> {
    return (await this.http.json<CreatedToken>({ method: 'POST', path: '/users', body })).body;
  }

  /** Admin: a new token for an existing user. */
  async createToken(name: string): Promise<CreatedToken> {
    return (await this.http.json<CreatedToken>({ method: 'POST', path: `/users/${encodeURIComponent(name)}/tokens` })).body;
  }

  /** Admin: every user. */
  async listUsers(): Promise<User[]> {
    return (await this.http.json<{ users: User[] }>({ method: 'GET', path: '/users' })).body.users;
  }

  /** One user: any user for an admin, oneself for anyone. */
  async getUser(name: string): Promise<User> {
    return (await this.http.json<User>({ method: 'GET', path: `/users/${encodeURIComponent(name)}` })).body;
  }

  /** Admin: changes a user's priority, quota (keys merge; null removes a limit) or admin right. */
  async updateUser(name: string, patch: UpdateUserBody): Promise<User> {
    return (await this.http.json<User>({ method: 'PATCH', path: `/users/${encodeURIComponent(name)}`, body: patch })).body;
  }

  /**
   * Projects with their members: every project for an admin, the caller's own for
   * anyone else; `{ user }` narrows to the projects of one user.
   */
  async listProjects(query: ListProjectsQuery = {}): Promise<Project[]> {
    return (await this.http.json<ProjectList>({ method: 'GET', path: '/projects', query: { ...query } })).body.projects;
  }

  /** One project, with its members (members and admins only). */
  async getProject(name: string): Promise<Project> {
    return (await this.http.json<Project>({ method: 'GET', path: projectPath(name) })).body;
  }

  /** Admin: creates a project (shares 1, priority 0, no quota unless given). */
  async createProject(body: CreateProjectBody): Promise<Project> {
    return (await this.http.json<Project>({ method: 'POST', path: '/projects', body })).body;
  }

  /** Admin: changes a project; quota keys merge one by one, null removes a limit. */
  async updateProject(name: string, patch: UpdateProjectBody): Promise<Project> {
    return (await this.http.json<Project>({ method: 'PATCH', path: projectPath(name), body: patch })).body;
  }

  /** Admin: deletes a project no job names (never the default project). */
  async deleteProject(name: string): Promise<void> {
    await this.http.send({ method: 'DELETE', path: projectPath(name) });
  }

  /** Admin: adds a user to a project (1 share unless given); returns the project. */
  async addMember(project: string, body: AddMemberBody): Promise<Project> {
    return (await this.http.json<Project>({ method: 'POST', path: `${projectPath(project)}/members`, body })).body;
  }

  /** Admin: sets a member's shares; returns the project. */
  async updateMember(project: string, user: string, shares: number): Promise<Project> {
    return (await this.http.json<Project>({ method: 'PATCH', path: memberPath(project, user), body: { shares } })).body;
  }

  /** Admin: removes a user from a project; returns the project. */
  async removeMember(project: string, user: string): Promise<Project> {
    return (await this.http.json<Project>({ method: 'DELETE', path: memberPath(project, user) })).body;
  }

  /** Admin: resets the cumulative cpu-time quota of everyone, or of the project and/or user given. */
  async resetUsage(body: ResetUsageBody = {}): Promise<ResetUsageResult> {
    return (await this.http.json<ResetUsageResult>({ method: 'POST', path: '/usage/reset', body })).body;
  }
}
