/**
 * The usage series as readings fold into it: deltas of counters, the peak kept, a counter
 * that starts again (a requeued job's new task), and the bound on its points that keeps a
 * week-long job's series as small as a short one's.
 */
import type { UsageSample } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { addSample, emptyUsage, finalUsage } from '../src/runtime/usage-series.js';

const MiB = 2 ** 20;
const START = Date.parse('2024-01-01T00:00:00.000Z');
const iso = (seconds: number) => new Date(START + seconds * 1000).toISOString();

function reading(seconds: number, cpu: number, memMb: number, extra: Partial<UsageSample> = {}): UsageSample {
  return {
    at: iso(seconds),
    cpuSeconds: cpu,
    memoryBytes: memMb * MiB,
    peakMemoryBytes: null,
    readBytes: 0,
    writeBytes: 0,
    rxBytes: null,
    txBytes: null,
    ...extra,
  };
}

describe('usage series', () => {
  it('adds what each counter grew since the reading before; the peak is the highest held', () => {
    let r = emptyUsage(7, 10);
    r = addSample(r, reading(10, 4, 100, { readBytes: 1000 }), iso(0), 100);
    r = addSample(r, reading(20, 9, 300, { peakMemoryBytes: 350 * MiB, readBytes: 1500 }), iso(0), 100);
    r = addSample(r, reading(30, 12, 50, { readBytes: 1500 }), iso(0), 100);
    expect(r.series.map((p) => [p.seconds, p.cpuSeconds, p.memoryMb, p.peakMemoryMb, p.readBytes])).toEqual([
      [10, 4, 100, 100, 1000],
      [10, 5, 300, 350, 500],
      [10, 3, 50, 50, 0],
    ]);
    expect(r.totals).toMatchObject({
      cpuSeconds: 12,
      memoryMb: 50,
      peakMemoryMb: 350,
      readBytes: 1500,
      rxBytes: null,
      samples: 3,
    });
    expect(r.totals.sampledAt).toBe(iso(30));
  });

  it('a counter below its last value is a new task: all of it counts', () => {
    let r = emptyUsage(7, 10);
    r = addSample(r, reading(10, 8, 10), iso(0), 100);
    r = addSample(r, reading(20, 2, 10), iso(0), 100);
    expect(r.totals.cpuSeconds).toBe(10);
  });

  it('ignores a reading older than the last one', () => {
    let r = emptyUsage(7, 10);
    r = addSample(r, reading(20, 8, 10), iso(0), 100);
    expect(addSample(r, reading(15, 9, 10), iso(0), 100)).toBe(r);
  });

  it('a week of readings every 10 s stays within maxPoints, covers the whole week, and keeps the totals', () => {
    let r = emptyUsage(7, 10);
    const week = 7 * 24 * 3600;
    for (let s = 10; s <= week; s += 10) r = addSample(r, reading(s, s / 2, s === 3600 ? 900 : 100), iso(0), 240);
    expect(r.series.length).toBeLessThanOrEqual(240);
    expect(r.series.length).toBeGreaterThan(120);
    expect(r.series.reduce((n, p) => n + p.seconds, 0)).toBeCloseTo(week, 6);
    expect(r.series.reduce((n, p) => n + (p.cpuSeconds ?? 0), 0)).toBeCloseTo(week / 2, 6);
    expect(Math.max(...r.series.map((p) => p.peakMemoryMb ?? 0))).toBe(900);
    expect(r.totals).toMatchObject({ cpuSeconds: week / 2, peakMemoryMb: 900, samples: week / 10 });
    // Every point covers the same step but the last one, still filling.
    const steps = new Set(r.series.slice(0, -1).map((p) => p.seconds));
    expect([...steps]).toEqual([r.stepSeconds]);
  });

  it("a job's final usage: the executor's own numbers first, the sampled ones otherwise, the higher peak", () => {
    let r = emptyUsage(7, 10);
    r = addSample(r, reading(10, 4, 100, { rxBytes: 5, txBytes: 6 }), iso(0), 100);
    expect(finalUsage({ cpuSeconds: null, maxMemoryMb: null }, r.totals)).toEqual({
      cpuSeconds: 4,
      maxMemoryMb: 100,
      readBytes: 0,
      writeBytes: 0,
      rxBytes: 5,
      txBytes: 6,
    });
    expect(finalUsage({ cpuSeconds: 5, maxMemoryMb: 120 }, r.totals)).toMatchObject({ cpuSeconds: 5, maxMemoryMb: 120 });
    expect(finalUsage({ cpuSeconds: null, maxMemoryMb: null }, null)).toEqual({ cpuSeconds: null, maxMemoryMb: null });
  });
});
