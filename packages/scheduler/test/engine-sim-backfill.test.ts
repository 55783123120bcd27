/**
 * Large jobs amid a steady stream of small ones: with EASY backfill every job
 * runs, the large ones no later than their reservation, and the holes before
 * them fill; without backfill, strict priority order also starves nobody, at
 * the price of idle cpus.
 */
import { describe, expect, it } from 'vitest';
import type { PolicyName } from '../src/engine/schedule.js';
import { node, project } from './sim/builders.js';
import { type SimJob, Simulation } from './sim/simulator.js';
import { steadyWorkload } from './sim/workloads.js';

const HOUR = 3600;
const CPUS = 64;

function steady(backfill: boolean, policy: PolicyName = 'fairshare') {
  const members: Record<string, number> = { whale: 1 };
  for (let u = 1; u <= 8; u++) members[`u${u}`] = 1;
  const sim = new Simulation({
    nodes: [node('n1', 16), node('n2', 16), node('n3', 16), node('n4', 16)],
    projects: [project('lab', members)],
    policy,
    backfill: { enabled: backfill, maxTimeLimitSeconds: 4 * HOUR },
    halfLifeSeconds: 24 * HOUR,
    tickSeconds: 300,
  });
  sim.load(
    steadyWorkload({ seed: 11, hours: 48, cpus: CPUS, load: 0.85, largeCpu: 16, largeEvery: 3 * HOUR, users: 8, project: 'lab' }),
  );
  sim.runUntilIdle(30 * 24 * HOUR);
  const jobs = [...sim.jobs.values()].filter((j) => !j.isParent);
  const wait = (j: SimJob) => (j.startAt ?? Number.POSITIVE_INFINITY) - j.submitAt;
  const large = jobs.filter((j) => j.job.requirements.cpu === 16);
  const small = jobs.filter((j) => j.job.requirements.cpu < 16);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    sim,
    jobs,
    large,
    maxLargeWait: Math.max(...large.map(wait)),
    meanSmallWait: mean(small.map(wait)),
    utilisation: sim.delivered(0, 48 * HOUR, () => true) / (CPUS * 48 * HOUR),
  };
}

describe('a steady workload with large jobs amid small ones', () => {
  const withBackfill = steady(true);
  const strict = steady(false);

  it('runs every job with backfill on: nobody starves, large jobs included', () => {
    expect(withBackfill.large.length).toBeGreaterThanOrEqual(15);
    for (const j of withBackfill.jobs) expect(j.startAt, `job ${j.job.id}`).not.toBeNull();
    expect(withBackfill.maxLargeWait).toBeLessThan(4 * HOUR);
  });

  it('runs every job without backfill too (strict order), but small jobs wait longer for the holes backfill fills', () => {
    for (const j of strict.jobs) expect(j.startAt, `job ${j.job.id}`).not.toBeNull();
    // Here: 1.4 minutes against 3.7 on average.
    expect(withBackfill.meanSmallWait).toBeLessThan(0.6 * strict.meanSmallWait);
    expect(withBackfill.utilisation).toBeGreaterThan(0.8);
  });

  it('explained the wait of large jobs with their reservation, and of held-back small jobs with it', () => {
    const codes = withBackfill.large.flatMap((j) => j.codes);
    expect(codes).toContain('Resources');
    const held = withBackfill.jobs.filter((j) => j.codes.includes('Priority'));
    expect(held.length).toBeGreaterThan(0);
  });
});

describe('an EASY reservation', () => {
  it('starts the reserved job no later than promised while smaller jobs backfill around it', () => {
    const sim = new Simulation({
      nodes: [node('n1', 16), node('n2', 16)],
      policy: 'fifo',
      backfill: { enabled: true, maxTimeLimitSeconds: 8 * HOUR },
      tickSeconds: 60,
    });
    // Small jobs keep the cluster busy; the big one (priority 100) needs a whole node.
    const small = steadyWorkload({
      seed: 5,
      hours: 12,
      cpus: 32,
      load: 1.2,
      largeCpu: 1,
      largeEvery: 1e9,
      users: 4,
      project: 'default',
    });
    sim.load([...small, { at: 2 * HOUR, user: 'whale', project: 'default', cpu: 16, duration: HOUR, priority: 100 }]);
    const promised: number[] = [];
    let reasons: string[] = [];
    const backfilledWhileWaiting = new Set<number>();
    sim.onPass(({ out }, s) => {
      const big = [...s.jobs.values()].find((j) => j.job.requirements.cpu === 16 && j.job.status.state === 'pending');
      if (!big) return;
      const r = out.reservations.find((x) => x.jobId === big.job.id);
      if (r) promised.push(r.at);
      for (const p of out.start) backfilledWhileWaiting.add(p.jobId);
      reasons = [out.waiting.get(big.job.id)?.message ?? '', ...[...out.waiting.values()].map((w) => w.message)];
    });
    sim.runUntilIdle(7 * 24 * HOUR);
    const big = [...sim.jobs.values()].find((j) => j.job.requirements.cpu === 16);
    expect(promised.length).toBeGreaterThan(0);
    const startMs = Date.parse(big?.job.status.startedAt ?? '');
    // Every promise made was kept: it started by the earliest of them.
    expect(startMs).toBeLessThanOrEqual(Math.min(...promised));
    expect(backfilledWhileWaiting.size).toBeGreaterThan(0);
    expect(reasons[0]).toMatch(
      /^needs 16 cpu; the largest free node has \d+ cpu; expected to start by .* on node n\d \(reserved\)$/,
    );
  });

  it('without backfill, never starts a lower-priority job while a higher one waits for the same nodes', () => {
    const sim = new Simulation({
      nodes: [node('n1', 16), node('n2', 16)],
      policy: 'fifo',
      backfill: { enabled: false, maxTimeLimitSeconds: 8 * HOUR },
      tickSeconds: 60,
    });
    const small = steadyWorkload({
      seed: 6,
      hours: 8,
      cpus: 32,
      load: 1.2,
      largeCpu: 1,
      largeEvery: 1e9,
      users: 4,
      project: 'default',
    });
    sim.load([...small, { at: 2 * HOUR, user: 'whale', project: 'default', cpu: 16, duration: HOUR, priority: 100 }]);
    let checked = 0;
    sim.onPass(({ out }) => {
      const waiter = [...out.waiting].find(([, w]) => w.code === 'Resources');
      if (!waiter) return;
      const floor = out.priority(waiter[0])?.total ?? 0;
      for (const p of out.start) expect(out.priority(p.jobId)?.total ?? 0).toBeGreaterThanOrEqual(floor);
      checked++;
    });
    sim.runUntilIdle(7 * 24 * HOUR);
    expect(checked).toBeGreaterThan(0);
  });
});
