/**
 * The constants of the wire format that clients need, in a module without TypeBox:
 * the `@godocker/sdk/client` entry (what the `godocker` command loads) reaches them
 * without building a single schema. api.ts, job.ts and projects.ts re-export them.
 */

export const API_PREFIX = '/api/v1';
export const DEFAULT_PORT = 6543;

/** Longest single long-poll the server holds; clients loop for longer waits. */
export const MAX_WAIT_SECONDS = 300;

export const JOB_STATES = ['pending', 'held', 'running', 'suspended', 'done', 'failed'] as const;

export const DEPENDENCY_TYPES = ['afterok', 'afterany', 'afternotok'] as const;

/** Job, user and project priorities all live in -PRIORITY_LIMIT..PRIORITY_LIMIT. */
export const PRIORITY_LIMIT = 10_000;

/** Most jobs one POST /jobs/batch may carry (`godocker submit --file`). */
export const MAX_BATCH_JOBS = 10_000;

export const QUOTA_KEYS = ['cpu', 'ram', 'gpus', 'runningJobs', 'pendingJobs', 'cpuTime'] as const;

/**
 * Slurm's `--mail-type` values, lower case: which changes of a job are told to its
 * `notify` recipients. `all` is every event, `none` none of them.
 */
export const MAIL_TYPES = ['none', 'begin', 'end', 'fail', 'requeue', 'time_limit', 'all'] as const;
/** The events `all` stands for, in the order a job meets them. */
export const MAIL_EVENTS = ['begin', 'end', 'fail', 'requeue', 'time_limit'] as const;

/** Longest search text of `GET /jobs?q=` (`godocker jobs --search`). */
export const MAX_JOB_SEARCH = 200;
