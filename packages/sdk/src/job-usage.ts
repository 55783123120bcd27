/**
 * What a job used while it ran, sampled from its executor (Docker stats, cgroup files,
 * /proc): a bounded time series and its totals (`GET /api/v1/jobs/{id}/usage`,
 * `godocker show 42 --usage`). A week-long job keeps at most `usage.maxPoints` points:
 * when the series is full, neighbours merge and each point covers twice the time.
 */
import { type Static, Type } from '@sinclair/typebox';

/**
 * One reading of a running task, as its backend counts since the task started (counters
 * only grow). null: the backend does not know this one (a local task has no network of
 * its own).
 */
export interface UsageSample {
  /** When it was read (ISO 8601). */
  at: string;
  /** cpu time of every process of the task (user + system), seconds. */
  cpuSeconds: number | null;
  /** Memory the task holds now (page cache the kernel can drop left out), bytes. */
  memoryBytes: number | null;
  /** The most it held since it started, when the backend keeps it (cgroup v1 `max_usage`); else null. */
  peakMemoryBytes: number | null;
  /** Block io, bytes. */
  readBytes: number | null;
  writeBytes: number | null;
  /** Network, bytes received and sent. */
  rxBytes: number | null;
  txBytes: number | null;
}

const Counter = Type.Union([Type.Number(), Type.Null()]);

/** One point of the series: what the job used over `seconds` up to `at`. */
export const UsagePointSchema = Type.Object({
  /** End of the interval (ISO 8601). */
  at: Type.String(),
  /** Length of the interval, seconds. */
  seconds: Type.Number(),
  /** cpu seconds used in the interval (cores busy on average: cpuSeconds / seconds). */
  cpuSeconds: Counter,
  /** MiB held at the last reading of the interval. */
  memoryMb: Counter,
  /** The most MiB held in the interval. */
  peakMemoryMb: Counter,
  /** Bytes read, written, received and sent in the interval. */
  readBytes: Counter,
  writeBytes: Counter,
  rxBytes: Counter,
  txBytes: Counter,
});
export type UsagePoint = Static<typeof UsagePointSchema>;

/** Totals since the job started (null: the executor does not count it). */
export const UsageTotalsSchema = Type.Object({
  cpuSeconds: Counter,
  /** MiB at the last reading. */
  memoryMb: Counter,
  peakMemoryMb: Counter,
  readBytes: Counter,
  writeBytes: Counter,
  rxBytes: Counter,
  txBytes: Counter,
  /** Readings taken; 0 when the job ended before the first one (or its executor is not sampled). */
  samples: Type.Integer(),
  /** The last reading (ISO 8601); null before the first. */
  sampledAt: Type.Union([Type.String(), Type.Null()]),
});
export type UsageTotals = Static<typeof UsageTotalsSchema>;

/** `GET /api/v1/jobs/{id}/usage`. */
export const JobUsageSchema = Type.Object({
  jobId: Type.Integer(),
  /** Seconds one point covers at most now (doubles each time the full series is merged). */
  stepSeconds: Type.Number(),
  totals: UsageTotalsSchema,
  /** Oldest first. */
  series: Type.Array(UsagePointSchema),
});
export type JobUsage = Static<typeof JobUsageSchema>;

export const NO_USAGE_TOTALS: UsageTotals = {
  cpuSeconds: null,
  memoryMb: null,
  peakMemoryMb: null,
  readBytes: null,
  writeBytes: null,
  rxBytes: null,
  txBytes: null,
  samples: 0,
  sampledAt: null,
};

// Apart from the schemas: the CLI bundle, which must not carry TypeBox, merges points too.
export { mergeUsagePoints } from './usage-points.js';
