/**
 * A job's usage series as a pure fold of executor readings: each reading adds what was
 * used since the one before to the totals and to the series. The series stays bounded:
 * once it holds more than `maxPoints`, neighbours merge in pairs and each point covers
 * twice the time, so a week-long job keeps as many points as a ten-minute one.
 */
import {
  type ExitInfo,
  type Job,
  type JobUsage,
  mergeUsagePoints,
  NO_USAGE_TOTALS,
  type UsagePoint,
  type UsageSample,
  type UsageTotals,
} from '@godocker/sdk';
import type { JobUsageRecord } from '../store/store.js';

const MiB = 1024 * 1024;

type CounterName = 'cpuSeconds' | 'readBytes' | 'writeBytes' | 'rxBytes' | 'txBytes';
const COUNTERS: readonly CounterName[] = ['cpuSeconds', 'readBytes', 'writeBytes', 'rxBytes', 'txBytes'];

export function emptyUsage(jobId: number, stepSeconds: number): JobUsageRecord {
  return { jobId, stepSeconds, totals: { ...NO_USAGE_TOTALS }, series: [], last: null };
}

/** What the API shows: the record without the raw reading the next delta needs. */
export function publicUsage(record: JobUsageRecord): JobUsage {
  const { last: _last, ...usage } = record;
  return usage;
}

/**
 * A counter's growth since the last reading. A counter below its last value belongs to a new
 * task (the job was requeued and started again): all of it is new.
 */
function delta(now: number | null, before: number | null | undefined): number | null {
  if (now === null || !Number.isFinite(now) || now < 0) return null;
  if (before === null || before === undefined || now < before) return now;
  return now - before;
}

function add(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : a + b;
}

function max(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

function mb(bytes: number | null): number | null {
  return bytes === null || !Number.isFinite(bytes) || bytes < 0 ? null : Math.round((bytes / MiB) * 100) / 100;
}

/** Pairs of neighbours become one point each (an odd last one stays as it is). */
function halve(series: readonly UsagePoint[]): UsagePoint[] {
  const out: UsagePoint[] = [];
  for (let i = 0; i < series.length; i += 2) {
    const a = series[i] as UsagePoint;
    const b = series[i + 1];
    out.push(b ? mergeUsagePoints(a, b) : a);
  }
  return out;
}

/**
 * Folds one reading into the record. `since` is when the interval of a first reading
 * begins (the job's start); later ones begin at the reading before. A reading older than
 * the last one is ignored (it came late).
 */
export function addSample(record: JobUsageRecord, sample: UsageSample, since: string, maxPoints: number): JobUsageRecord {
  const at = Date.parse(sample.at);
  const from = Date.parse(record.totals.sampledAt ?? since);
  if (!Number.isFinite(at) || (record.totals.sampledAt !== null && at <= from)) return record;
  const seconds = Number.isFinite(from) ? Math.max(0, (at - from) / 1000) : 0;
  const memoryMb = mb(sample.memoryBytes);
  // Without a peak kept by the backend, the readings are all there is: the highest one.
  const peakMemoryMb = max(mb(sample.peakMemoryBytes), memoryMb);
  const point: UsagePoint = {
    at: sample.at,
    seconds,
    cpuSeconds: null,
    memoryMb,
    peakMemoryMb,
    readBytes: null,
    writeBytes: null,
    rxBytes: null,
    txBytes: null,
  };
  const totals: UsageTotals = {
    ...record.totals,
    memoryMb,
    peakMemoryMb: max(record.totals.peakMemoryMb, peakMemoryMb),
    samples: record.totals.samples + 1,
    sampledAt: sample.at,
  };
  for (const name of COUNTERS) {
    const grown = delta(sample[name], record.last?.[name]);
    point[name] = grown;
    totals[name] = add(record.totals[name], grown);
  }
  let series = [...record.series];
  let stepSeconds = record.stepSeconds;
  const lastPoint = series.at(-1);
  // The last point takes the reading while that brings it nearer its step: readings a little early or late
  // do not start a point of their own, and none grows past its step by more than half a reading.
  if (lastPoint && lastPoint.seconds < stepSeconds - seconds / 2) series[series.length - 1] = mergeUsagePoints(lastPoint, point);
  else series.push(point);
  while (series.length > Math.max(1, maxPoints)) {
    series = halve(series);
    stepSeconds *= 2;
  }
  return { ...record, stepSeconds, totals, series, last: sample };
}

/**
 * A job's usage at its end: what the executor said at the exit when it knows (it saw the
 * whole run), else the sampled totals; the peak is the higher of the two.
 */
export function finalUsage(
  info: Pick<ExitInfo, 'cpuSeconds' | 'maxMemoryMb'>,
  totals: UsageTotals | null,
): Omit<Job['usage'], 'wallSeconds'> {
  const usage: Omit<Job['usage'], 'wallSeconds'> = {
    cpuSeconds: info.cpuSeconds ?? totals?.cpuSeconds ?? null,
    maxMemoryMb: max(info.maxMemoryMb, totals?.peakMemoryMb ?? null),
  };
  for (const name of ['readBytes', 'writeBytes', 'rxBytes', 'txBytes'] as const) {
    const value = totals?.[name];
    if (value !== null && value !== undefined) usage[name] = value;
  }
  return usage;
}
