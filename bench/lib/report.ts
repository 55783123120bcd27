/**
 * The printed block of a benchmark: what was measured, the baseline, the ratio,
 * the target and PASS or MISS. Targets are informational: a MISS is printed,
 * never turned into a failing exit code (the machine is too noisy for that).
 */
import { readFileSync } from 'node:fs';

export interface MemorySnapshot {
  rssMiB: number;
  heapUsedMiB: number;
  /** Peak resident set of the process so far. */
  maxRssMiB: number;
}

const MIB = 2 ** 20;

/** This process's memory; the heap after a full GC when node runs with --expose-gc. */
export function processMemory(): MemorySnapshot {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMiB: m.rss / MIB, heapUsedMiB: m.heapUsed / MIB, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
}

/** A process's resident set and its peak as the kernel counts them (VmRSS, VmHWM of /proc/PID/status), in MiB. */
export function residentMiB(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field} line`);
    return Number(m[1]);
  };
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/** CPU time (user + system) this process has used so far, in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function title(name: string, lines: readonly string[]): void {
  console.log(`\n=== ${name} ===`);
  for (const line of lines) console.log(`  ${line}`);
}

/** One measured row: label, figure and how it was obtained. */
export function row(label: string, figure: string, detail = ''): void {
  console.log(`  ${label.padEnd(12)} ${figure.padStart(14)}${detail ? `   ${detail}` : ''}`);
}

/** The PASS/MISS line; run.ts gathers these lines into its summary, so keep the "target:" prefix. */
export function target(description: string, met: boolean): void {
  console.log(`  target: ${description} -> ${met ? 'PASS' : 'MISS'}`);
}

export function memory(label: string, m: MemorySnapshot): void {
  console.log(
    `  memory ${label.padEnd(6)} rss ${m.rssMiB.toFixed(0)} MiB (peak ${m.maxRssMiB.toFixed(0)} MiB), heap used ${m.heapUsedMiB.toFixed(1)} MiB`,
  );
}

export function fixed(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/** The bench's and the daemon's memory lines, after the figures. */
export async function memories(daemon: { memory(): Promise<MemorySnapshot> }): Promise<void> {
  memory('bench', processMemory());
  memory('daemon', await daemon.memory());
}

/** Runs a benchmark's main: an error is printed and sets a failing exit code. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
