/**
 * Times one phase of a benchmark: wall clock, and the CPU the benchmark process
 * and the daemon process each spent. On a 2-core machine this tells which side
 * was the bottleneck (near 100% of a core) and what one job costs the daemon.
 */
import type { BenchDaemon } from './daemon.js';
import { cpuMs, fixed } from './report.js';

export interface Phase {
  wallMs: number;
  benchCpuMs: number;
  daemonCpuMs: number;
}

/** The daemon's CPU; for several daemons (a site), their sum. */
async function daemonsCpuMs(daemons: BenchDaemon | readonly BenchDaemon[]): Promise<number> {
  const all: readonly BenchDaemon[] = Array.isArray(daemons) ? daemons : [daemons as BenchDaemon];
  let sum = 0;
  for (const d of all) sum += await d.cpuMs();
  return sum;
}

export async function phase<T>(
  daemon: BenchDaemon | readonly BenchDaemon[],
  body: () => Promise<T>,
): Promise<Phase & { result: T }> {
  const daemonBefore = await daemonsCpuMs(daemon);
  const benchBefore = cpuMs();
  const start = performance.now();
  const result = await body();
  const wallMs = performance.now() - start;
  const benchCpuMs = cpuMs() - benchBefore;
  const daemonCpuMs = (await daemonsCpuMs(daemon)) - daemonBefore;
  return { wallMs, benchCpuMs, daemonCpuMs, result };
}

/** "daemon 0.31 ms CPU per job (62% of a core), bench 0.25 ms (50%)" */
export function cpuDetail(p: Phase, count: number, unit: string): string {
  const share = (ms: number) => `${fixed((ms / p.wallMs) * 100, 0)}% of a core`;
  return `daemon ${fixed(p.daemonCpuMs / count, 2)} ms CPU per ${unit} (${share(p.daemonCpuMs)}), bench ${fixed(p.benchCpuMs / count, 2)} ms (${share(p.benchCpuMs)})`;
}
