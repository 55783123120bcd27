/** Usage accrual for fair share and the cpu-time quota, kept in a real SQLite store. */

import { SqliteStore } from '@godocker/scheduler';
import type { Job } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { UsageTracker } from '../src/runtime/usage-tracker.js';
import { makeJob } from './fixtures/jobs.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const HOUR = 3600;

function running(id: number, user: string, project: string, cpu: number, startedAt: number): Job {
  return {
    id,
    ...makeJob({
      user: { name: user },
      project,
      requirements: { cpu },
      status: { state: 'running', startedAt: new Date(startedAt).toISOString() },
    }),
  };
}

async function tracker(halfLifeSeconds = 7 * 24 * HOUR) {
  const store = SqliteStore.open(':memory:');
  await store.migrate();
  const usage = new UsageTracker(store, { halfLifeSeconds, billing: { cpu: 1, ramGiB: 0, gpu: 0 } });
  await usage.load(T0);
  return { store, usage };
}

describe('usage tracker', () => {
  it('charges running jobs cpu-seconds per project and user, once per second of running', async () => {
    const { usage } = await tracker(0);
    const a = running(1, 'alice', 'genomics', 2, T0);
    const b = running(2, 'bob', 'astro', 1, T0);
    usage.charge([a, b], [], T0 + 100_000);
    usage.charge([a, b], [], T0 + 150_000);
    const fs = usage.fairShare();
    expect(fs.user.get('genomics/alice')).toBeCloseTo(300);
    expect(fs.user.get('astro/bob')).toBeCloseTo(150);
    expect(fs.project.get('genomics')).toBeCloseTo(300);
  });

  it("with cpuCharge 'used', bills the cpu seconds jobs used (sampled, then their final total), not the cores reserved", async () => {
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    const used = new Map<number, number>([[1, 50]]);
    const usage = new UsageTracker(store, {
      halfLifeSeconds: 0,
      billing: { cpu: 1, ramGiB: 0, gpu: 0 },
      cpuCharge: 'used',
      cpuUsed: (id) => used.get(id),
    });
    await usage.load(T0);
    const a = running(1, 'alice', 'p', 4, T0);
    // Not sampled (yet): billed what it reserved.
    const b = running(2, 'bob', 'p', 4, T0);
    usage.charge([a, b], [], T0 + 100_000);
    expect(usage.fairShare().user.get('p/alice')).toBeCloseTo(50);
    expect(usage.fairShare().user.get('p/bob')).toBeCloseTo(400);
    const ended = {
      ...a,
      status: { ...a.status, state: 'done' as const, endedAt: new Date(T0 + 150_000).toISOString() },
      usage: { ...a.usage, cpuSeconds: 80 },
    };
    usage.charge([], [ended], T0 + 200_000);
    expect(usage.fairShare().user.get('p/alice')).toBeCloseTo(80);
    await store.close();
  });

  it('charges an ended job up to its end, and a suspended one not at all', async () => {
    const { usage } = await tracker(0);
    const a = running(1, 'alice', 'p', 1, T0);
    usage.charge([a], [], T0 + 10_000);
    const ended = { ...a, status: { ...a.status, state: 'done' as const, endedAt: new Date(T0 + 25_000).toISOString() } };
    usage.charge([], [ended], T0 + 60_000);
    expect(usage.fairShare().user.get('p/alice')).toBeCloseTo(25);
    const s = running(2, 'bob', 'p', 1, T0);
    const suspended = { ...s, status: { ...s.status, state: 'suspended' as const } };
    usage.charge([suspended], [], T0 + 60_000);
    expect(usage.fairShare().user.get('p/bob') ?? 0).toBe(0);
  });

  it('decays usage with the half-life, across a restart', async () => {
    const { store, usage } = await tracker(HOUR);
    usage.charge([running(1, 'alice', 'p', 1, T0)], [], T0 + 1000_000);
    await usage.flush();
    const again = new UsageTracker(store, { halfLifeSeconds: HOUR, billing: { cpu: 1, ramGiB: 0, gpu: 0 } });
    await again.load(T0 + 1000_000 + HOUR * 1000);
    expect(again.fairShare().user.get('p/alice')).toBeCloseTo(500, 3);
  });

  it('sums cpu time over each quota window, and forgets what left the window', async () => {
    const { usage } = await tracker();
    usage.charge([running(1, 'alice', 'p', 4, T0)], [], T0 + HOUR * 1000);
    await usage.flush();
    const projects = [{ name: 'p', quota: { cpuTime: { seconds: 10_000, windowSeconds: 2 * HOUR } } }];
    const users = [
      { name: 'alice', quota: { cpuTime: { seconds: 10_000, windowSeconds: 2 * HOUR } } },
      { name: 'bob', quota: {} },
    ];
    await usage.refreshCpuTime(projects, users, T0 + HOUR * 1000);
    expect(usage.cpuTime().user.get('alice')).toBeCloseTo(4 * HOUR);
    expect(usage.cpuTime().project.get('p')).toBeCloseTo(4 * HOUR);
    expect(usage.cpuTime().user.has('bob')).toBe(false);
    await usage.refreshCpuTime(projects, users, T0 + 5 * HOUR * 1000);
    expect(usage.cpuTime().user.get('alice')).toBe(0);
  });
});
