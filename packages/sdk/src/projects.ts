/**
 * Projects, memberships, shares and quotas: the shapes of the admin API and
 * of the scheduling engine's policy input.
 */
import { type Static, Type } from '@sinclair/typebox';
import { PRIORITY_LIMIT } from './wire-constants.js';

export { PRIORITY_LIMIT, QUOTA_KEYS } from './wire-constants.js';

/** The project a job is accounted to when it names none; every user is a member of it. */
export const DEFAULT_PROJECT = 'default';

/** Upper bound of project and member shares (Slurm's are plain integers too). */
export const MAX_SHARES = 1_000_000;

/** Same rule as the `project` of a job submission, so every project can be named by a job. */
export const ProjectNameSchema = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' });
export const SharesSchema = Type.Integer({ minimum: 0, maximum: MAX_SHARES });
export const PrioritySchema = Type.Integer({ minimum: -PRIORITY_LIMIT, maximum: PRIORITY_LIMIT });

const Limit = (description: string, integer = false) =>
  Type.Optional(Type.Union([integer ? Type.Integer({ minimum: 0 }) : Type.Number({ minimum: 0 }), Type.Null()], { description }));

/** A missing or null limit means none. */
export const QuotaSchema = Type.Object(
  {
    cpu: Limit('cores running at once'),
    ram: Limit('MiB running at once', true),
    gpus: Limit('gpus running at once', true),
    runningJobs: Limit('jobs running at once', true),
    pendingJobs: Limit('jobs waiting at once (checked at submit)', true),
    /** GoDocker's time quota: cumulative cpu-seconds over a rolling window. */
    cpuTime: Type.Optional(
      Type.Union([
        Type.Object(
          { seconds: Type.Number({ minimum: 0 }), windowSeconds: Type.Integer({ minimum: 60 }) },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
    ),
  },
  { additionalProperties: false },
);
export type Quota = Static<typeof QuotaSchema>;

/**
 * Applies a quota patch key by key: a key that is present replaces the limit,
 * a null removes it, a missing key keeps it. So `{"cpu": 64}` raises one limit
 * without restating the others. Null limits are dropped from the result: a
 * stored quota holds only the limits that apply.
 */
export function mergeQuota(current: Quota, patch: Quota): Quota {
  const merged: Record<string, unknown> = { ...current, ...patch };
  for (const key of Object.keys(merged)) if (merged[key] === null || merged[key] === undefined) delete merged[key];
  return merged as Quota;
}

export const MemberSchema = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 64 }),
    /** The user's shares inside the project (Slurm's user shares in an account). */
    shares: Type.Integer({ minimum: 0, maximum: MAX_SHARES }),
  },
  { additionalProperties: false },
);
export type Member = Static<typeof MemberSchema>;

export const ProjectSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  /** The project's shares of the whole cluster. */
  shares: Type.Integer(),
  priority: Type.Integer(),
  quota: QuotaSchema,
  /** Ordered by user name. */
  members: Type.Array(MemberSchema),
  createdAt: Type.String(),
});
export type Project = Static<typeof ProjectSchema>;

/** Cumulative cpu time is counted in buckets of this many seconds (one hour). */
export const CPU_TIME_BUCKET_SECONDS = 3600;

/** The start (epoch seconds) of the cpu-time bucket holding `epochSeconds`. */
export function cpuTimeBucket(epochSeconds: number): number {
  return Math.floor(epochSeconds / CPU_TIME_BUCKET_SECONDS) * CPU_TIME_BUCKET_SECONDS;
}
