/**
 * Job history (`godocker acct`, like Slurm's `sacct`, on `GET /jobs` with a time
 * window) and usage totals (`godocker usage`, `GET /usage`): the shapes on the wire.
 */
import { type Static, Type } from '@sinclair/typebox';

export { formatElapsed, parseSince, parseTimeSpec } from './time-spec.js';

export const USAGE_GROUPINGS = ['user', 'project'] as const;
export type UsageGrouping = (typeof USAGE_GROUPINGS)[number];

export const UsageQuerySchema = Type.Object(
  {
    by: Type.Union(
      USAGE_GROUPINGS.map((g) => Type.Literal(g)),
      { description: 'one row per user, or per project' },
    ),
    since: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'start of the window: 30d (back from now), now-12h, or an ISO 8601 time',
    }),
  },
  { additionalProperties: false },
);
export type UsageQuery = Static<typeof UsageQuerySchema>;

export const UsageRowSchema = Type.Object({
  /** The user's or the project's name. */
  name: Type.String(),
  /** Jobs that ran in the window (array tasks each count; their parents do not). */
  jobs: Type.Integer(),
  /** Allocated cores times wall time, in the window. */
  cpuSeconds: Type.Number(),
  /**
   * cpu seconds the jobs really used (sampled from their executor, `GET /jobs/{id}/usage`), for the
   * jobs that ended, the part of each run inside the window. A job that was not sampled adds 0.
   */
  cpuUsedSeconds: Type.Number(),
  /** Allocated MiB times wall time. */
  ramMbSeconds: Type.Number(),
  gpuSeconds: Type.Number(),
  wallSeconds: Type.Number(),
});
export type UsageReportRow = Static<typeof UsageRowSchema>;

export const UsageReportSchema = Type.Object({
  by: Type.Union(USAGE_GROUPINGS.map((g) => Type.Literal(g))),
  since: Type.String(),
  until: Type.String(),
  /** Ordered by name. */
  rows: Type.Array(UsageRowSchema),
});
export type UsageReport = Static<typeof UsageReportSchema>;
