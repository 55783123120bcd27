/**
 * Fair share over whole workloads: the real engine in the simulator, usage
 * accruing in billing units and decaying with the half-life, and more demand
 * than the cluster can serve.
 */
import { describe, expect, it } from 'vitest';
import { userKey } from '../src/engine/fairshare.js';
import { node, project } from './sim/builders.js';
import { random } from './sim/random.js';
import { Simulation } from './sim/simulator.js';

const HOUR = 3600;

/**
 * Every user keeps a queue of 1-cpu jobs (20–40 minutes) far longer than what
 * the cluster runs between two passes: demand always exceeds the cluster.
 * The queue is topped up as it drains, so it stays short enough to simulate
 * quickly.
 */
function keepQueued(sim: Simulation, users: Array<{ user: string; project: string }>, seed: number, depth = 48): void {
  const rnd = random(seed);
  const topUp = (s: Simulation) => {
    for (const u of users) {
      for (let n = s.pendingOf(u.user); n < depth; n++)
        s.submitNow({ ...u, cpu: 1, duration: (20 + Math.floor(rnd() * 21)) * 60 });
    }
  };
  topUp(sim);
  sim.onPass((_, s) => topUp(s));
}

function share(a: number, b: number): number {
  return a / (a + b);
}

describe('fair share between projects', () => {
  it('gives two projects with equal shares equal usage, within 5%, and says why the other waits', () => {
    const sim = new Simulation({
      nodes: [node('n1', 16), node('n2', 16)],
      projects: [project('astro', { ann: 1 }), project('bio', { ben: 1 })],
      halfLifeSeconds: 24 * HOUR,
      tickSeconds: 600,
    });
    keepQueued(
      sim,
      [
        { user: 'ann', project: 'astro' },
        { user: 'ben', project: 'bio' },
      ],
      1,
    );
    const priorityReasons: string[] = [];
    sim.onPass(({ out }, s) => {
      for (const j of s.jobs.values()) {
        if (j.job.status.state === 'pending' && j.lastReason?.code === 'Priority' && priorityReasons.length < 1) {
          priorityReasons.push(j.lastReason.message);
        }
        if (j.job.status.state === 'pending') break;
      }
      expect(out.policy).toBe('fairshare');
    });
    sim.run(24 * HOUR);
    const astro = sim.delivered(0, 24 * HOUR, (j) => j.job.project === 'astro');
    const bio = sim.delivered(0, 24 * HOUR, (j) => j.job.project === 'bio');
    expect(astro + bio).toBeGreaterThan(0.95 * 32 * 24 * HOUR);
    expect(Math.abs(astro - bio) / ((astro + bio) / 2)).toBeLessThan(0.05);
    // The same holds late in the run, not only on average.
    const lateA = sim.delivered(18 * HOUR, 24 * HOUR, (j) => j.job.project === 'astro');
    const lateB = sim.delivered(18 * HOUR, 24 * HOUR, (j) => j.job.project === 'bio');
    expect(Math.abs(lateA - lateB) / ((lateA + lateB) / 2)).toBeLessThan(0.05);
    expect(priorityReasons[0]).toMatch(
      /^waits behind job \d+ \(priority \d\.\d\d\), first in line for these nodes; priority \d\.\d\d: fair share/,
    );
  });

  it('gives a project with twice the shares twice the usage, within 5%', () => {
    const sim = new Simulation({
      nodes: [node('n1', 16), node('n2', 16)],
      projects: [project('astro', { ann: 1 }, { shares: 2 }), project('bio', { ben: 1 }, { shares: 1 })],
      // Usage is charged as jobs run, so the factors lag the slots given out; a
      // half-life much longer than a job (the default is 7 days) keeps that lag small.
      halfLifeSeconds: 24 * HOUR,
      tickSeconds: 600,
    });
    keepQueued(
      sim,
      [
        { user: 'ann', project: 'astro' },
        { user: 'ben', project: 'bio' },
      ],
      2,
    );
    sim.run(30 * HOUR);
    // Measured after the first hours, once decayed usage has had time to reflect the shares.
    const astro = sim.delivered(6 * HOUR, 30 * HOUR, (j) => j.job.project === 'astro');
    const bio = sim.delivered(6 * HOUR, 30 * HOUR, (j) => j.job.project === 'bio');
    expect(astro / bio).toBeGreaterThan(2 * 0.95);
    expect(astro / bio).toBeLessThan(2 * 1.05);
    // And the decayed usage the factors are computed from stands in the same ratio.
    expect((sim.usage.project.get('astro') ?? 0) / (sim.usage.project.get('bio') ?? 1)).toBeCloseTo(2, 0);
  });

  it('splits evenly between members of one project with equal shares', () => {
    const sim = new Simulation({
      nodes: [node('n1', 16)],
      projects: [project('astro', { ann: 1, amy: 1 })],
      halfLifeSeconds: 6 * HOUR,
      tickSeconds: 600,
    });
    keepQueued(
      sim,
      [
        { user: 'ann', project: 'astro' },
        { user: 'amy', project: 'astro' },
      ],
      3,
    );
    sim.run(24 * HOUR);
    const ann = sim.delivered(0, 24 * HOUR, (j) => j.job.user.name === 'ann');
    const amy = sim.delivered(0, 24 * HOUR, (j) => j.job.user.name === 'amy');
    expect(Math.abs(share(ann, amy) - 0.5)).toBeLessThan(0.025);
  });
});

describe('recent usage', () => {
  it('makes a user who used a lot recently yield to one who did not, and says so', () => {
    const p = 'lab';
    const sim = new Simulation({
      nodes: [node('n1', 4)],
      projects: [project(p, { heavy: 1, light: 1 })],
      // heavy used 4 cpu for the last 10 hours (about); light nothing.
      usage: { project: { [p]: 144_000 }, user: { [userKey(p, 'heavy')]: 144_000 } },
      halfLifeSeconds: 24 * HOUR,
      tickSeconds: 300,
    });
    // heavy submits first: age and id would favour them.
    sim.load([
      ...Array.from({ length: 8 }, () => ({ at: 0, user: 'heavy', project: p, cpu: 1, duration: 1800 })),
      ...Array.from({ length: 8 }, () => ({ at: 10, user: 'light', project: p, cpu: 1, duration: 1800 })),
    ]);
    sim.run(11);
    // At t=0 only heavy's jobs existed: they took the 4 cpus. From then on, light goes first.
    const heavy = [...sim.jobs.values()].filter((j) => j.job.user.name === 'heavy');
    const light = [...sim.jobs.values()].filter((j) => j.job.user.name === 'light');
    const waitingHeavy = heavy.find((j) => j.job.status.state === 'pending');
    expect(waitingHeavy?.lastReason?.code).toBe('Priority');
    const blocker = Number(/job (\d+)/.exec(waitingHeavy?.lastReason?.message ?? '')?.[1]);
    expect(sim.jobs.get(blocker)?.job.user.name).toBe('light');
    const [, heavyFs, lightFs] = /fair share (\d\.\d\d)/.exec(waitingHeavy?.lastReason?.message ?? '') ?? [];
    expect(Number(heavyFs)).toBeLessThan(0.5);
    expect(lightFs).toBeUndefined();
    sim.runUntilIdle(24 * HOUR);
    const lastLightStart = Math.max(...light.map((j) => j.startAt ?? Number.POSITIVE_INFINITY));
    const laterHeavyStarts = heavy.map((j) => j.startAt ?? 0).filter((t) => t > 0);
    // All of light's jobs started before any of heavy's remaining four.
    expect(
      laterHeavyStarts
        .sort((a, b) => a - b)
        .slice(4)
        .every((t) => t >= lastLightStart),
    ).toBe(true);
  });
});
