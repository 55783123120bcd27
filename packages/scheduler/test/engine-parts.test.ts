/**
 * The engine's fast parts against slow, obvious versions of themselves: the
 * timestamp reader against Date.parse, the free-capacity tree (with its memory
 * of refusals) against a scan, the radix order against a comparator sort.
 */
import { describe, expect, it } from 'vitest';
import { earliestStart, freeAt, Reservation, Timeline } from '../src/engine/backfill.js';
import { FreeTree } from '../src/engine/free-tree.js';
import { schedulingOrder } from '../src/engine/job-order.js';
import { quotaOfCode, WAIT_CODES } from '../src/engine/reasons.js';
import { isoToMillis } from '../src/engine/timestamps.js';
import { random } from './sim/random.js';

describe('isoToMillis', () => {
  it('reads what toISOString writes, exactly as Date.parse', () => {
    const rnd = random(1);
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor((rnd() - 0.5) * 2 * 4e12);
      const s = new Date(t).toISOString();
      if (s.length === 24) expect(isoToMillis(s)).toBe(t);
    }
    for (const s of ['2024-02-29T23:59:59.999Z', '2000-02-29T00:00:00.000Z', '1970-01-01T00:00:00.000Z']) {
      expect(isoToMillis(s)).toBe(Date.parse(s));
    }
  });

  it('leaves other shapes to Date.parse', () => {
    for (const s of ['2025-01-01T00:00:00Z', '2025-01-01', '2023-02-29T00:00:00.000Z', 'yesterday', '2025-13-01T00:00:00.000Z']) {
      expect(isoToMillis(s)).toEqual(Date.parse(s));
    }
  });
});

describe('quotaOfCode', () => {
  it('names a quota for the ten quota codes only (an executor outage is no project quota)', () => {
    const quotas = WAIT_CODES.filter((code) => quotaOfCode(code) !== undefined);
    expect(quotas).toEqual(WAIT_CODES.filter((code) => /^(User|Project).*Limit$/.test(code)));
    expect(quotas).toHaveLength(10);
    expect(quotaOfCode('ExecutorUnavailable')).toBeUndefined();
  });
});

describe('FreeTree', () => {
  it('finds the first node with room, as a scan does, through updates', () => {
    const rnd = random(7);
    for (let round = 0; round < 20; round++) {
      const n = 1 + Math.floor(rnd() * 60);
      const draw = () => [Math.floor(rnd() * 9), Math.floor(rnd() * 9), Math.floor(rnd() * 3), Math.floor(rnd() * 4)];
      const free = Array.from({ length: n }, draw);
      const tree = new FreeTree(n);
      free.forEach(([c, r, g, p], i) => {
        tree.setLeafOnly(i, c ?? 0, r ?? 0, g ?? 0, p ?? 0);
      });
      tree.rebuild();
      for (let q = 0; q < 300; q++) {
        if (rnd() < 0.2) {
          const i = Math.floor(rnd() * n);
          const v = draw();
          free[i] = v;
          tree.set(i, v[0] ?? 0, v[1] ?? 0, v[2] ?? 0, v[3] ?? 0);
        }
        const [c = 0, r = 0, g = 0, p = 0] = draw();
        const from = Math.floor(rnd() * n);
        const scan = free.findIndex(
          (f, i) => i >= from && (f[0] ?? 0) >= c && (f[1] ?? 0) >= r && (f[2] ?? 0) >= g && (f[3] ?? 0) >= p,
        );
        expect(tree.firstFit(c, r, g, p, from)).toBe(scan);
      }
    }
  });

  it('counts 0.1 + 0.2 cpu as fitting in 0.3', () => {
    const tree = new FreeTree(1);
    tree.set(0, 0.3, 10, 0, 0);
    expect(tree.firstFit(0.1 + 0.2, 1, 0, 0)).toBe(0);
  });
});

describe('schedulingOrder', () => {
  it('orders by priority, then submission, then id, whatever the input order', () => {
    const rnd = random(3);
    for (let round = 0; round < 20; round++) {
      const n = 1 + Math.floor(rnd() * 300);
      const priority = Float64Array.from({ length: n }, () => Math.floor(rnd() * 5) / 4);
      const submittedAt = Float64Array.from({ length: n }, () => Math.floor(rnd() * 10));
      const ids = Float64Array.from({ length: n }, (_, i) => 1000 - i);
      const expected = Array.from({ length: n }, (_, i) => i).sort(
        (a, b) =>
          (priority[b] as number) - (priority[a] as number) ||
          (submittedAt[a] as number) - (submittedAt[b] as number) ||
          (ids[a] as number) - (ids[b] as number),
      );
      expect([...schedulingOrder(priority, submittedAt, ids)]).toEqual(expected);
    }
  });

  it('orders a queue large enough for 16-bit digits the same way', () => {
    const rnd = random(4);
    const n = 70_000;
    const priority = Float64Array.from({ length: n }, () => Math.floor(rnd() * 1000) / 999);
    const submittedAt = Float64Array.from({ length: n }, (_, i) => i);
    const ids = Float64Array.from({ length: n }, (_, i) => i + 1);
    const expected = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (priority[b] as number) - (priority[a] as number) || a - b,
    );
    expect([...schedulingOrder(priority, submittedAt, ids)]).toEqual(expected);
  });

  it('puts NaN and out-of-range priorities at the ends', () => {
    const order = schedulingOrder(
      Float64Array.from([Number.NaN, 2, -1, 0.5]),
      new Float64Array(4),
      Float64Array.from([1, 2, 3, 4]),
    );
    expect([...order]).toEqual([1, 3, 0, 2]);
  });
});

describe('backfill arithmetic', () => {
  const timeline = new Timeline(1);
  timeline.add(0, { end: 300, cpu: 2, ram: 10, gpus: 0, ports: 2 });
  timeline.add(0, { end: 100, cpu: 1, ram: 10, gpus: 0, ports: 0 });
  timeline.add(0, { end: 200, cpu: 4, ram: 10, gpus: 0, ports: 0 });

  it('finds the earliest time a node has room, from the ends of its jobs', () => {
    expect(timeline.releases(0).map((r) => r.end)).toEqual([100, 200, 300]);
    const free = { cpu: 1, ram: 100, gpus: 0, ports: 1 };
    expect(earliestStart(timeline.releases(0), 50, free, 1, 1, 0, 0)).toBe(50);
    expect(earliestStart(timeline.releases(0), 50, free, 2, 1, 0, 0)).toBe(100);
    expect(earliestStart(timeline.releases(0), 50, free, 6, 1, 0, 0)).toBe(200);
    expect(earliestStart(timeline.releases(0), 250, free, 6, 1, 0, 0)).toBe(250);
    expect(earliestStart(timeline.releases(0), 50, free, 9, 1, 0, 0)).toBe(Number.POSITIVE_INFINITY);
    // Host ports come back with the job that holds them.
    expect(earliestStart(timeline.releases(0), 50, free, 1, 1, 0, 3)).toBe(300);
    expect(freeAt(timeline.releases(0), 200, free)).toEqual({ cpu: 6, ram: 120, gpus: 0, ports: 1 });
  });

  it('admits what ends before the reservation, and past it only the spare room', () => {
    const r = new Reservation(0, 0, 1000, { cpu: 2, ram: 100, gpus: 0, ports: 1 });
    expect(r.admit(1000, 50, 50, 0, 5)).toBe(true);
    expect(r.admit(1001, 3, 1, 0, 0)).toBe(false);
    expect(r.admit(1001, 0.5, 1, 0, 2)).toBe(false);
    expect(r.admit(1001, 1, 1, 0, 1)).toBe(true);
    expect(r.admit(5000, 0.5, 1, 0, 0)).toBe(true);
    expect(r.admit(5000, 0.5, 1, 0, 1)).toBe(false);
  });
});
