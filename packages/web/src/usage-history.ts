/**
 * Usage per user or project over time, from `GET /usage` (totals from a time until now):
 * the total from each bucket's start minus the total from its end is what was used in it.
 */
import type { GodockerClient, UsageGrouping } from '@godocker/sdk/browser';

/** One name's core-seconds per bucket (every bucket known: 0 when nothing ran). */
export interface Series {
  label: string;
  values: number[];
}

export interface UsageHistory {
  /** Each bucket's end, in seconds since the epoch. */
  times: number[];
  /** Core-seconds used in each bucket, per name. */
  series: Series[];
}

export async function usageHistory(
  client: GodockerClient,
  by: UsageGrouping,
  buckets: number,
  bucketSeconds: number,
  now = Date.now(),
): Promise<UsageHistory> {
  const starts = Array.from({ length: buckets }, (_, i) => now - (buckets - i) * bucketSeconds * 1000);
  const totals = await Promise.all(starts.map((t) => client.usage({ by, since: new Date(t).toISOString() })));
  const names = [...new Set(totals.flatMap((r) => r.rows.map((row) => row.name)))].sort();
  const cpuFrom = (i: number, name: string) => totals[i]?.rows.find((r) => r.name === name)?.cpuSeconds ?? 0;
  return {
    times: starts.map((t) => Math.round(t / 1000 + bucketSeconds)),
    series: names.map((name) => ({
      label: name,
      values: starts.map((_, i) => Math.max(0, cpuFrom(i, name) - (i + 1 < buckets ? cpuFrom(i + 1, name) : 0))),
    })),
  };
}

/** The unit that keeps the largest value readable: core-seconds, -minutes or -hours. */
export function inReadableUnit(h: UsageHistory): { unit: string; series: Series[] } {
  const max = Math.max(0, ...h.series.flatMap((s) => s.values));
  const [unit, per] = max >= 3 * 3600 ? ['core-hours', 3600] : max >= 3 * 60 ? ['core-minutes', 60] : ['core-seconds', 1];
  return { unit, series: h.series.map((s) => ({ label: s.label, values: s.values.map((v) => v / per) })) };
}
