/**
 * What a job used, for a person: `godocker show ID --usage` (totals and a compact series)
 * and the efficiency hint `godocker show` gives once a job has ended, as Slurm's `seff` does.
 */
import { formatDuration, formatMemory, type Job, type JobUsage, mergeUsagePoints, type UsagePoint } from '@godocker/sdk/client';
import { formatTable } from './table.js';

/** Below this share of what it asked for, a job is told it could ask for less. */
const LOW_USE = 0.25;
/** Shorter jobs are mostly start-up: their cpu use says little. */
const MIN_CPU_HINT_SECONDS = 10;
/** Rows of the series shown at most: neighbours merge to fit. */
const SERIES_ROWS = 12;
const SPARKS = '▁▂▃▄▅▆▇█';

/** Memory to ask for: the peak and a quarter more, in whole 64 MiB steps. */
function memoryToAsk(peakMb: number): number {
  return Math.max(64, Math.ceil((peakMb * 1.25) / 64) * 64);
}

/**
 * Sentences for an ended job that held far less than it reserved: reserved memory and cores
 * are kept from everyone else while it runs. None while it runs, or when nothing was measured.
 */
export function efficiencyHints(job: Job): string[] {
  const s = job.status.state;
  if (s !== 'done' && s !== 'failed') return [];
  const hints: string[] = [];
  const { maxMemoryMb, cpuSeconds, wallSeconds } = job.usage;
  const asked = job.requirements;
  if (maxMemoryMb !== null && maxMemoryMb < asked.ram * LOW_USE && !job.status.oomKilled) {
    const suggest = memoryToAsk(maxMemoryMb);
    if (suggest < asked.ram) {
      const pct = Math.max(1, Math.round((maxMemoryMb / asked.ram) * 100));
      hints.push(
        `used ${pct}% of the ${formatMemory(asked.ram)} of memory it asked for (peak ${formatMemory(Math.ceil(maxMemoryMb))}): ask for less (--mem ${formatMemory(suggest)})`,
      );
    }
  }
  if (cpuSeconds !== null && wallSeconds >= MIN_CPU_HINT_SECONDS && asked.cpu > 0) {
    const cores = cpuSeconds / wallSeconds;
    const suggest = Math.max(1, Math.ceil(cores));
    if (cores < asked.cpu * LOW_USE && suggest < asked.cpu) {
      const pct = Math.round((cores / asked.cpu) * 100);
      hints.push(
        `used ${pct}% of the ${asked.cpu} cpu it asked for (${cores.toFixed(2)} cores on average): ask for fewer (--cpu ${suggest})`,
      );
    }
  }
  return hints;
}

/** 1.5MiB: io and network counters for a person. */
export function formatBytes(n: number | null): string {
  if (n === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}B` : `${v.toFixed(1)}${units[u]}`;
}

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
  out += field('  Block io', `read ${formatBytes(t.readBytes)}, written ${formatBytes(t.writeBytes)}`);
  out += field('  Network', `received ${formatBytes(t.rxBytes)}, sent ${formatBytes(t.txBytes)}`);
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
