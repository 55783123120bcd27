/** Merging the points of a usage series, without the schemas (the CLI bundle carries no TypeBox). */
import type { UsagePoint } from './job-usage.js';

function sumOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : a + b;
}

/** Two neighbouring points as one covering both (`a` the older). */
export function mergeUsagePoints(a: UsagePoint, b: UsagePoint): UsagePoint {
  return {
    at: b.at,
    seconds: a.seconds + b.seconds,
    cpuSeconds: sumOf(a.cpuSeconds, b.cpuSeconds),
    memoryMb: b.memoryMb ?? a.memoryMb,
    peakMemoryMb:
      a.peakMemoryMb === null
        ? b.peakMemoryMb
        : b.peakMemoryMb === null
          ? a.peakMemoryMb
          : Math.max(a.peakMemoryMb, b.peakMemoryMb),
    readBytes: sumOf(a.readBytes, b.readBytes),
    writeBytes: sumOf(a.writeBytes, b.writeBytes),
    rxBytes: sumOf(a.rxBytes, b.rxBytes),
    txBytes: sumOf(a.txBytes, b.txBytes),
  };
}
