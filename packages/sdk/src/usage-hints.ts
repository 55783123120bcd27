/**
 * What a job's usage says to a person, the same in `godocker show` and on the dashboard's job
 * page: the hint Slurm's `seff` gives once a job has ended (it held far less than it asked
 * for), and byte counts in binary units. Types only from the job modules: the browser entry
 * exports this without building a TypeBox schema.
 */
import type { Job } from './job.js';
import { formatMemory } from './quantities.js';

/** Below this share of what it asked for, a job is told it could ask for less. */
const LOW_USE = 0.25;
/** Shorter jobs are mostly start-up: their cpu use says little. */
const MIN_CPU_HINT_SECONDS = 10;

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

/** 1.5MiB: io and network counters for a person ('-' when not known). */
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

/**
 * A pair of counters for a person (`read 1.5MiB, written 2.0KiB`): once readings were taken and
 * both are still null, nothing counts them (a Kubernetes kubelet summary has no disk bytes, a
 * local job or a container without a network has no network of its own): "not measured", which
 * a pair of dashes would leave the reader to guess.
 */
export function formatBytePair(
  samples: number,
  [first, a]: [string, number | null],
  [second, b]: [string, number | null],
): string {
  if (samples > 0 && a === null && b === null) return 'not measured';
  return `${first} ${formatBytes(a)}, ${second} ${formatBytes(b)}`;
}
