/**
 * What a job used, for a person: `godocker show ID --usage` (totals and a compact series).
 * The efficiency hint and byte counts live in the SDK (usage-hints.ts), shared with the dashboard.
 */
import {
  formatBytePair,
  formatBytes,
  formatDuration,
  formatMemory,
  type Job,
  type JobUsage,
  mergeUsagePoints,
  type UsagePoint,
} from '@godocker/sdk/client';
import { formatTable } from './table.js';

/** Rows of the series shown at most: neighbours merge to fit. */
const SERIES_ROWS = 12;
const SPARKS = '▁▂▃▄▅▆▇█';

function mb(n: number | null): string {
  return n === null ? '-' : formatMemory(Math.ceil(n));
}

/** One row standing for several points. */
function mergeRows(points: readonly UsagePoint[]): UsagePoint {
  return points.reduce(mergeUsagePoints);
}

function spark(values: ReadonlyArray<number | null>): string {
  const known = values.filter((v): v is number => v !== null);
  const top = Math.max(0, ...known);
  return values
    .map((v) =>
      v === null ? ' ' : SPARKS[top === 0 ? 0 : Math.min(SPARKS.length - 1, Math.round((v / top) * (SPARKS.length - 1)))],
    )
    .join('');
}

const cores = (p: UsagePoint): number | null => (p.cpuSeconds === null || p.seconds <= 0 ? null : p.cpuSeconds / p.seconds);

/** Totals, a sparkline of cpu and memory over every point, and the series in at most SERIES_ROWS rows. */
export function describeUsage(usage: JobUsage, job: Job): string {
  const t = usage.totals;
  const field = (k: string, v: string) => `${`${k}:`.padEnd(16)}${v}\n`;
  let out = `Usage of job ${usage.jobId}`;
  out += t.samples === 0 ? ' (no reading yet)\n' : ` (${t.samples} readings, last ${t.sampledAt})\n`;
  out += field('  CPU time', t.cpuSeconds === null ? '-' : `${formatDuration(t.cpuSeconds)} (${t.cpuSeconds.toFixed(1)} s)`);
  out += field('  Memory now', mb(t.memoryMb));
  out += field('  Peak memory', `${mb(t.peakMemoryMb)} of ${formatMemory(job.requirements.ram)} asked`);
  out += field('  Block io', formatBytePair(t.samples, ['read', t.readBytes], ['written', t.writeBytes]));
  out += field('  Network', formatBytePair(t.samples, ['received', t.rxBytes], ['sent', t.txBytes]));
  if (usage.series.length === 0) return out;
  out += field('  CPU (cores)', spark(usage.series.map(cores)));
  out += field('  Memory', spark(usage.series.map((p) => p.memoryMb)));
  const per = Math.ceil(usage.series.length / SERIES_ROWS);
  const rows: UsagePoint[] = [];
  for (let i = 0; i < usage.series.length; i += per) rows.push(mergeRows(usage.series.slice(i, i + per)));
  out += formatTable(
    ['until', 'seconds', 'cores', 'mem', 'peak', 'read', 'written', 'received', 'sent'],
    rows.map((p) => {
      const c = cores(p);
      return [
        p.at,
        p.seconds.toFixed(1),
        c === null ? '-' : c.toFixed(2),
        mb(p.memoryMb),
        mb(p.peakMemoryMb),
        formatBytes(p.readBytes),
        formatBytes(p.writeBytes),
        formatBytes(p.rxBytes),
        formatBytes(p.txBytes),
      ];
    }),
  )
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
  return out.endsWith('\n') ? out : `${out}\n`;
}
