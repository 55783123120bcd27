/**
 * Request and response shapes of REST API v1, shared by the server's validation,
 * the OpenAPI document and the HTTP client.
 */
import { type Static, Type } from '@sinclair/typebox';
import { JobSchema, JobStateSchema, JobSubmissionSchema } from './job.js';
import { PrioritySchema, ProjectNameSchema, ProjectSchema, QuotaSchema, SharesSchema } from './projects.js';
import { DRMAA1_STATE, type Drmaa1State, JOB_ACTIONS } from './states.js';

import { MAX_BATCH_JOBS, MAX_JOB_SEARCH, MAX_WAIT_SECONDS } from './wire-constants.js';

export { API_PREFIX, DEFAULT_PORT, MAX_BATCH_JOBS, MAX_JOB_SEARCH, MAX_WAIT_SECONDS } from './wire-constants.js';

export const ErrorBodySchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }),
});

export const JobIdParamsSchema = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }, { additionalProperties: false });

export const ListJobsQuerySchema = Type.Object(
  {
    state: Type.Optional(
      Type.String({ pattern: '^(pending|held|running|suspended|done|failed)(,(pending|held|running|suspended|done|failed))*$' }),
    ),
    user: Type.Optional(Type.String({ maxLength: 128 })),
    project: Type.Optional(Type.String({ maxLength: 128 })),
    tag: Type.Optional(Type.String({ maxLength: 64 })),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    session: Type.Optional(Type.String({ maxLength: 256 })),
    /**
     * Search: jobs whose name, image, a tag, project or user holds this text (letters A-Z
     * in either case), or whose id it is. With the other filters; pages as any list.
     */
    q: Type.Optional(Type.String({ maxLength: MAX_JOB_SEARCH })),
    parent: Type.Optional(Type.Integer({ minimum: 1 })),
    /** true: only jobs a session wait has reaped; false: only those it has not. */
    reaped: Type.Optional(Type.Boolean()),
    /** false leaves array parents out (their tasks stay). */
    arrayParents: Type.Optional(Type.Boolean()),
    /**
     * sacct's window: only jobs not ended before `starttime` and submitted by `endtime`
     * (a job that ran at any time in between). ISO 8601, or relative: now-1d, now-12h.
     */
    starttime: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    endtime: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  },
  { additionalProperties: false },
);
export type ListJobsQuery = Static<typeof ListJobsQuerySchema>;

export const JobListSchema = Type.Object({
  jobs: Type.Array(JobSchema),
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type JobList = Static<typeof JobListSchema>;

/** POST /jobs/batch: several jobs in one request, stored all or none. */
export const JobBatchSchema = Type.Object(
  { jobs: Type.Array(JobSubmissionSchema, { minItems: 1, maxItems: MAX_BATCH_JOBS }) },
  { additionalProperties: false },
);
export type JobBatch = Static<typeof JobBatchSchema>;

/** The batch's jobs in the order submitted (an array's parent for an array). */
export const JobBatchResultSchema = Type.Object({ jobs: Type.Array(JobSchema) });
export type JobBatchResult = Static<typeof JobBatchResultSchema>;

export const ActionBodySchema = Type.Object(
  { action: Type.Union(JOB_ACTIONS.map((a) => Type.Literal(a))) },
  { additionalProperties: false },
);
export type ActionBody = Static<typeof ActionBodySchema>;

export const WaitForSchema = Type.Union([Type.Literal('started'), Type.Literal('terminated')]);
export type WaitFor = Static<typeof WaitForSchema>;

export const WaitQuerySchema = Type.Object(
  {
    timeout: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_WAIT_SECONDS })),
    for: Type.Optional(WaitForSchema),
  },
  { additionalProperties: false },
);

export const WaitResultSchema = Type.Object({ job: JobSchema, timedOut: Type.Boolean() });
export type WaitResult = Static<typeof WaitResultSchema>;

export const WaitManyBodySchema = Type.Object(
  {
    ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 100000 }),
    mode: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('all')])),
    for: Type.Optional(WaitForSchema),
    timeout: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_WAIT_SECONDS })),
  },
  { additionalProperties: false },
);
export type WaitManyBody = Static<typeof WaitManyBodySchema>;

export const WaitManyResultSchema = Type.Object({
  /** The jobs that reached the awaited condition (all of them when mode is all and it did not time out). */
  ready: Type.Array(JobSchema),
  timedOut: Type.Boolean(),
});
export type WaitManyResult = Static<typeof WaitManyResultSchema>;

export const LogStreamParamsSchema = Type.Object(
  { id: Type.String({ pattern: '^[0-9]{1,15}$' }), stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]) },
  { additionalProperties: false },
);
export const LogQuerySchema = Type.Object({ follow: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

/**
 * A path inside the job's directory, relative to it (`out/result.txt`); `/` separates folders.
 * Refused (400, GOD_PATH_REFUSED): absolute paths, `..` segments, NUL bytes, and anything
 * reached through a symbolic link that points out of the directory.
 */
export const JobFilePathSchema = Type.String({ maxLength: 4096 });

/** `GET /api/v1/jobs/{id}/files?path=DIR`: absent or empty path is the directory itself. */
export const JobFilesQuerySchema = Type.Object({ path: Type.Optional(JobFilePathSchema) }, { additionalProperties: false });
/** `GET|PUT /api/v1/jobs/{id}/files/content?path=FILE`. */
export const JobFileQuerySchema = Type.Object({ path: JobFilePathSchema }, { additionalProperties: false });

export const JobFileEntrySchema = Type.Object({
  name: Type.String(),
  /** A link is listed as such and never followed. */
  type: Type.Union([Type.Literal('file'), Type.Literal('directory'), Type.Literal('symlink'), Type.Literal('other')]),
  /** Bytes. */
  size: Type.Integer(),
  /** ISO time of the last change of the content. */
  mtime: Type.String(),
});
export type JobFileEntry = Static<typeof JobFileEntrySchema>;

export const JobFileListSchema = Type.Object({
  /** The folder listed, relative to the job's directory ('' for the directory itself). */
  path: Type.String(),
  entries: Type.Array(JobFileEntrySchema),
});
export type JobFileList = Static<typeof JobFileListSchema>;

/** Answer of an upload. */
export const JobFileWrittenSchema = Type.Object({ path: Type.String(), size: Type.Integer() });
export type JobFileWritten = Static<typeof JobFileWrittenSchema>;

/** `POST /api/v1/admin/archive`: archives now the ended jobs older than this (seconds; absent: the configured archive.afterDays). */
export const ArchiveBodySchema = Type.Object(
  { olderThanSeconds: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);
export type ArchiveBody = Static<typeof ArchiveBodySchema>;
export const ArchiveResultSchema = Type.Object({
  /** Ids of the jobs archived by this run. */
  archived: Type.Array(Type.Integer()),
  /** Jobs whose directory could not be removed (they stay unarchived, tried again next time), with why. */
  failed: Type.Array(Type.Object({ id: Type.Integer(), error: Type.String() })),
});
export type ArchiveResult = Static<typeof ArchiveResultSchema>;

/** `GET /api/v1/events?session=NAME`: only the changes of the caller's jobs in that session. */
export const EventsQuerySchema = Type.Object(
  { session: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuerySchema>;

/** One server-sent event of `GET /api/v1/events`: `event: job`, data a JobEvent. */
export const JobEventSchema = Type.Object({
  type: Type.Literal('job'),
  job: JobSchema,
  previousState: Type.Union([JobStateSchema, Type.Null()]),
});
export type JobEvent = Static<typeof JobEventSchema>;

export const UserNameSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_][a-z0-9_.-]*$' });

export const UserSchema = Type.Object({
  name: Type.String(),
  uid: Type.Integer(),
  gid: Type.Integer(),
  home: Type.String(),
  admin: Type.Boolean(),
  createdAt: Type.String(),
  /** Added to every job's priority terms (the engine's user factor). */
  priority: Type.Integer(),
  /** The user's own limits, over all their projects. */
  quota: QuotaSchema,
  /** From the directory (LDAP), when it has one. */
  mail: Type.Optional(Type.String()),
  /**
   * true: the user logs in with the directory's password, and uid, gid, home, mail, admin
   * and directory-mapped projects follow the directory at each login. Absent: a local user.
   */
  fromDirectory: Type.Optional(Type.Boolean()),
});
export type User = Static<typeof UserSchema>;

/** `POST /auth/login`: a user name (or another login attribute the directory knows, such as a mail) and its password. */
export const LoginBodySchema = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    /** Shown in `godocker token list`, e.g. the host the login came from. */
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBodySchema>;

export const LoginResultSchema = Type.Object({
  /** Shown only in this answer; the daemon keeps its hash. */
  token: Type.String(),
  /** ISO time after which the token answers 401 and the user logs in again. */
  expiresAt: Type.String(),
  tokenId: Type.String(),
  user: UserSchema,
});
export type LoginResult = Static<typeof LoginResultSchema>;

/** A token as its owner sees it: never the token itself. */
export const TokenInfoSchema = Type.Object({
  /** What `DELETE /tokens/{id}` and `godocker token revoke ID` name it by. */
  id: Type.String(),
  user: Type.String(),
  /** How it was made: `login from 10.0.0.5`, `created by an admin`... */
  label: Type.String(),
  createdAt: Type.String(),
  /** null: it never expires (tokens an admin made). */
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  /** Within a minute; null: never used since it was made. */
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
});
export type TokenInfo = Static<typeof TokenInfoSchema>;

export const TokenListSchema = Type.Object({ tokens: Type.Array(TokenInfoSchema) });
export type TokenList = Static<typeof TokenListSchema>;

export const ListTokensQuerySchema = Type.Object(
  {
    /** Admin only: another user's tokens. */
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type ListTokensQuery = Static<typeof ListTokensQuerySchema>;

export const CreateUserBodySchema = Type.Object(
  {
    name: UserNameSchema,
    uid: Type.Integer({ minimum: 1, maximum: 4294967294 }),
    gid: Type.Integer({ minimum: 1, maximum: 4294967294 }),
    home: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, pattern: '^/' })),
    admin: Type.Optional(Type.Boolean()),
    priority: Type.Optional(PrioritySchema),
    quota: Type.Optional(QuotaSchema),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBodySchema>;

/** `PATCH /api/v1/users/{name}`: fields not sent stay; quota keys merge one by one (null removes a limit). */
export const UpdateUserBodySchema = Type.Object(
  {
    priority: Type.Optional(PrioritySchema),
    quota: Type.Optional(QuotaSchema),
    admin: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UpdateUserBody = Static<typeof UpdateUserBodySchema>;

export const CreateProjectBodySchema = Type.Object(
  {
    name: ProjectNameSchema,
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    /** 1 when not given. */
    shares: Type.Optional(SharesSchema),
    priority: Type.Optional(PrioritySchema),
    quota: Type.Optional(QuotaSchema),
  },
  { additionalProperties: false },
);
export type CreateProjectBody = Static<typeof CreateProjectBodySchema>;

/** `PATCH /api/v1/projects/{name}`: fields not sent stay; quota keys merge one by one (null removes a limit). */
export const UpdateProjectBodySchema = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    shares: Type.Optional(SharesSchema),
    priority: Type.Optional(PrioritySchema),
    quota: Type.Optional(QuotaSchema),
  },
  { additionalProperties: false },
);
export type UpdateProjectBody = Static<typeof UpdateProjectBodySchema>;

export const ProjectListSchema = Type.Object({ projects: Type.Array(ProjectSchema) });
export type ProjectList = Static<typeof ProjectListSchema>;

export const ListProjectsQuerySchema = Type.Object(
  {
    /** Only the projects this user belongs to (admin, or the caller's own name). */
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type ListProjectsQuery = Static<typeof ListProjectsQuerySchema>;

export const AddMemberBodySchema = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 64 }),
    /** 1 when not given. */
    shares: Type.Optional(SharesSchema),
  },
  { additionalProperties: false },
);
export type AddMemberBody = Static<typeof AddMemberBodySchema>;

export const UpdateMemberBodySchema = Type.Object({ shares: SharesSchema }, { additionalProperties: false });
export type UpdateMemberBody = Static<typeof UpdateMemberBodySchema>;

/** `POST /api/v1/usage/reset`: no field resets everyone; `project` and/or `user` narrow it. */
export const ResetUsageBodySchema = Type.Object(
  {
    project: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type ResetUsageBody = Static<typeof ResetUsageBodySchema>;

export const ResetUsageResultSchema = Type.Object({
  project: Type.Union([Type.String(), Type.Null()]),
  user: Type.Union([Type.String(), Type.Null()]),
  /** Hour buckets of cpu time removed. */
  buckets: Type.Integer(),
});
export type ResetUsageResult = Static<typeof ResetUsageResultSchema>;

export const CreatedTokenSchema = Type.Object({ user: UserSchema, token: Type.String() });
export type CreatedToken = Static<typeof CreatedTokenSchema>;

export const NodeInfoSchema = Type.Object({
  name: Type.String(),
  cpu: Type.Number(),
  ram: Type.Integer({ description: 'MiB' }),
  gpus: Type.Integer(),
  labels: Type.Record(Type.String(), Type.String()),
});

const ResourcesSchema = Type.Object({ cpu: Type.Number(), ram: Type.Integer({ description: 'MiB' }), gpus: Type.Integer() });

/** A node as `GET /api/v1/nodes` shows it (`godocker nodes`, like Slurm's sinfo). */
export const NodeViewSchema = Type.Object({
  name: Type.String(),
  /**
   * `drained`: an admin took it out of scheduling; what runs there goes on, nothing new starts.
   * `down`: its backend does not answer; its jobs are requeued if it stays down (failure policy).
   */
  state: Type.Union([Type.Literal('ready'), Type.Literal('drained'), Type.Literal('down')]),
  /** Why it is down, as its backend said; null when it is not. */
  downReason: Type.Union([Type.String(), Type.Null()]),
  drain: Type.Union([Type.Object({ reason: Type.String(), by: Type.String(), at: Type.String() }), Type.Null()]),
  labels: Type.Record(Type.String(), Type.String()),
  capacity: ResourcesSchema,
  /** What the running and suspended jobs placed there ask for. */
  used: ResourcesSchema,
  jobs: Type.Integer({ description: 'running and suspended jobs on the node' }),
});
export type NodeView = Static<typeof NodeViewSchema>;

export const NodeListSchema = Type.Object({ nodes: Type.Array(NodeViewSchema) });
export type NodeList = Static<typeof NodeListSchema>;

export const DrainRequestSchema = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false },
);
export type DrainRequest = Static<typeof DrainRequestSchema>;

/** One daemon of the site, as its last heartbeat in the store says (`GET /api/v1/status`). */
export const DaemonStatusSchema = Type.Object({
  id: Type.String(),
  /** leader: schedules, starts and watches; follower: serves the API, forwards to the leader; single: alone on its store. */
  role: Type.Union([Type.Literal('leader'), Type.Literal('follower'), Type.Literal('single'), Type.Literal('stopped')]),
  /** The leader's fencing epoch while it leads. */
  epoch: Type.Union([Type.Integer(), Type.Null()]),
  version: Type.String(),
  url: Type.String(),
  heartbeatAt: Type.String(),
  /** No heartbeat for three periods: the daemon is gone or cannot reach the store. */
  stale: Type.Boolean(),
  executors: Type.Array(Type.Object({ name: Type.String(), answers: Type.Boolean() })),
});
export type DaemonStatus = Static<typeof DaemonStatusSchema>;

export const SiteStatusSchema = Type.Object({ daemons: Type.Array(DaemonStatusSchema) });
export type SiteStatus = Static<typeof SiteStatusSchema>;

export const InfoSchema = Type.Object({
  name: Type.Literal('GoDocker'),
  version: Type.String(),
  executor: Type.String(),
  nodes: Type.Array(NodeInfoSchema),
  images: Type.Object({ catalogue: Type.Array(Type.String()), default: Type.String(), userImagesAllowed: Type.Boolean() }),
  volumes: Type.Array(Type.Object({ name: Type.String(), mode: Type.String(), containerPath: Type.String() })),
  limits: Type.Object({
    maxCpu: Type.Number(),
    maxRam: Type.Integer(),
    maxTimeLimit: Type.Integer(),
    maxScriptBytes: Type.Integer(),
    maxArraySize: Type.Integer(),
  }),
  user: Type.Union([UserSchema, Type.Null()]),
  /** true when `POST /auth/login` takes a user name and password (a directory is configured): the dashboard's sign-in offers it. */
  passwordLogin: Type.Optional(Type.Boolean()),
  /** The SSH gateway (`ssh -p PORT USER@HOST JOBID`), when it is on; `godocker ssh` reads it here. */
  ssh: Type.Optional(Type.Object({ host: Type.String(), port: Type.Integer() })),
});
export type Info = Static<typeof InfoSchema>;

const PriorityPartsSchema = Type.Object({
  fairshare: Type.Number(),
  age: Type.Number(),
  job: Type.Number(),
  user: Type.Number(),
  project: Type.Number(),
});

/** `GET /api/v1/jobs/{id}/explain`: why a job waits, or how it ended. */
export const ExplanationSchema = Type.Object({
  id: Type.Integer(),
  state: JobStateSchema,
  /** Slurm-like reason code: Resources, Priority, Dependency, UserCpuLimit, ... or the state. */
  code: Type.String(),
  message: Type.String(),
  /** For a pending job: its priority number, each factor in [0,1] and its weighted part. */
  priority: Type.Union([
    Type.Object({ total: Type.Number(), factors: PriorityPartsSchema, weighted: PriorityPartsSchema, sentence: Type.String() }),
    Type.Null(),
  ]),
});
export type Explanation = Static<typeof ExplanationSchema>;

const ShareRowSchema = Type.Object({
  project: Type.String(),
  user: Type.Union([Type.String(), Type.Null()]),
  rawShares: Type.Number(),
  normShares: Type.Number(),
  rawUsage: Type.Number(),
  normUsage: Type.Number(),
  effectiveUsage: Type.Number(),
  factor: Type.Number(),
});

/** `GET /api/v1/share`: the fair-share tree, like Slurm's `sshare`. */
export const ShareTreeSchema = Type.Object({ rows: Type.Array(ShareRowSchema) });
export type ShareTreeView = Static<typeof ShareTreeSchema>;

export const SESSION_KINDS = ['drmaa2', 'drmaa1'] as const;
/** Which API made a session: a DRMAA2 job session or a DRMAA1 session (their semantics are the same on the server). */
export type SessionKind = (typeof SESSION_KINDS)[number];

export const SessionNameSchema = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' });

/**
 * A job session, kept by the server so that it outlives the client that made it:
 * its jobs are those submitted with `"session": NAME` by its owner.
 */
export const SessionSchema = Type.Object({
  name: Type.String(),
  /** The owner; sessions are per user, so two users may each have a session "default". */
  user: Type.String(),
  kind: Type.Union(SESSION_KINDS.map((k) => Type.Literal(k))),
  createdAt: Type.String(),
});
export type Session = Static<typeof SessionSchema>;

export const CreateSessionBodySchema = Type.Object(
  {
    /** Generated (`session-` and random characters) when not given. */
    name: Type.Optional(SessionNameSchema),
    kind: Type.Optional(Type.Union(SESSION_KINDS.map((k) => Type.Literal(k)))),
  },
  { additionalProperties: false },
);
export type CreateSessionBody = Static<typeof CreateSessionBodySchema>;

export const SessionParamsSchema = Type.Object({ name: SessionNameSchema }, { additionalProperties: false });

export const SessionListSchema = Type.Object({ sessions: Type.Array(SessionSchema) });
export type SessionList = Static<typeof SessionListSchema>;

/**
 * `POST /api/v1/sessions/{name}/wait`: the DRMAA wait. Without `ids` it waits on
 * every unreaped job of the session (DRMAA's SESSION_ANY / SESSION_ALL); with
 * `reap`, the jobs it returns as terminated are reaped, so a later wait on them
 * answers 404 (mode any reaps exactly one job).
 */
export const SessionWaitBodySchema = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 100000 })),
    mode: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('all')])),
    for: Type.Optional(WaitForSchema),
    timeout: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_WAIT_SECONDS })),
    reap: Type.Optional(Type.Boolean()),
    /**
     * Leave out the ids that are not unreaped jobs of the session (listed in `unknown`)
     * instead of answering 404: DRMAA's synchronize, which succeeds on unknown ids.
     */
    skipUnknown: Type.Optional(Type.Boolean()),
    /** Answer `ready: []` (the ids are in `readyIds`), so a synchronize on 1,000 jobs stays small. */
    omitJobs: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SessionWaitBody = Static<typeof SessionWaitBodySchema>;

/**
 * How a job ended, in the terms of DRMAA 1.0's `drmaa_wait` (`drmaa_wifexited`,
 * `drmaa_wexitstatus`, `drmaa_wifsignaled`, `drmaa_wtermsig`, `drmaa_wcoredump`,
 * `drmaa_wifaborted`, `drmaa_rusage`): `jobInfoOf` in `drmaa1/job-info.ts` makes it.
 */
export const Drmaa1JobInfoSchema = Type.Object({
  jobId: Type.String(),
  /** The script ran and exited by itself (any code). */
  hasExited: Type.Boolean(),
  /** Its exit code; meaningful when `hasExited` (0 otherwise). */
  exitStatus: Type.Integer(),
  /** It was ended by a signal (a kill, a time limit, the OOM killer). */
  hasSignaled: Type.Boolean(),
  /** `SIGKILL`, `SIGTERM`...; '' unless `hasSignaled`. */
  terminatingSignal: Type.String(),
  /** Containers leave no core file GoDocker could report. */
  hasCoreDump: Type.Boolean(),
  /** It ended without ever running: killed while queued or held, or it could not start. */
  wasAborted: Type.Boolean(),
  /**
   * Name to value, as the C binding's `name=value` list: `submission_time`,
   * `start_time`, `end_time` (epoch seconds), `ru_wallclock`, `cpu` (seconds),
   * `maxvmem` (bytes) when known, `exit_status`.
   */
  resourceUsage: Type.Record(Type.String(), Type.String()),
});

export const SessionWaitResultSchema = Type.Object({
  /** The awaited jobs that reached the condition ([] with `omitJobs`). */
  ready: Type.Array(JobSchema),
  /** The ids of those jobs, with or without `omitJobs`. */
  readyIds: Type.Array(Type.Integer()),
  timedOut: Type.Boolean(),
  /** Ids this wait reaped. */
  reaped: Type.Array(Type.Integer()),
  /** With `skipUnknown`: the ids that were left out. */
  unknown: Type.Array(Type.Integer()),
  /** How each reaped job ended, in the order of `reaped`. */
  info: Type.Array(Drmaa1JobInfoSchema),
});
export type SessionWaitResult = Static<typeof SessionWaitResultSchema>;

/**
 * `POST /api/v1/sessions/{name}/actions`: DRMAA's `drmaa_control(SESSION_ALL)`,
 * the action on every active job of the session that it applies to.
 */
export const SessionActionBodySchema = ActionBodySchema;
export type SessionActionBody = ActionBody;

export const SessionActionResultSchema = Type.Object({
  /** The jobs (array tasks, not their parents) the action was taken on, by id. */
  jobIds: Type.Array(Type.String()),
});
export type SessionActionResult = Static<typeof SessionActionResultSchema>;

/**
 * `POST /api/v1/sessions/{name}/drmaa1/jobs`: `drmaa_run_job` and
 * `drmaa_run_bulk_jobs` of `libdrmaa.so`, the template as the C attributes it set
 * (`drmaa_remote_command`...; "" is unset). See `drmaa1/c-attributes.ts`.
 */
export const Drmaa1JobsBodySchema = Type.Object(
  {
    attributes: Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 1024 * 1024 }), { maxProperties: 64 }),
    vectors: Type.Optional(
      Type.Record(Type.String({ maxLength: 256 }), Type.Array(Type.String({ maxLength: 65536 }), { maxItems: 4096 }), {
        maxProperties: 16,
      }),
    ),
    /** A bulk job: tasks start, start + incr, ... up to end (DRMAA's task indices start at 1). */
    bulk: Type.Optional(
      Type.Object(
        {
          start: Type.Integer({ minimum: 1, maximum: 999999999 }),
          end: Type.Integer({ minimum: 1, maximum: 999999999 }),
          incr: Type.Integer({ minimum: 1, maximum: 999999999 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Drmaa1JobsBody = Static<typeof Drmaa1JobsBodySchema>;

export const Drmaa1JobsResultSchema = Type.Object({
  /** The job's id, or a bulk job's task ids in index order. */
  jobIds: Type.Array(Type.String()),
});
export type Drmaa1JobsResult = Static<typeof Drmaa1JobsResultSchema>;

const DRMAA1_STATES = [...new Set(Object.values(DRMAA1_STATE))] as Drmaa1State[];

/** `GET /api/v1/jobs/{id}/drmaa1`: `drmaa_job_ps`. */
export const Drmaa1JobStateSchema = Type.Object({
  jobId: Type.String(),
  /** DRMAA_PS_ without its prefix; FAILED covers exit codes other than 0, kills, time limits and failures to start. */
  state: Type.Union(DRMAA1_STATES.map((s) => Type.Literal(s))),
});
export type Drmaa1JobState = Static<typeof Drmaa1JobStateSchema>;
