/**
 * Whole workloads through the real engine in the simulator. At every pass the
 * simulator checks the rules itself (see sim/simulator.ts): capacities,
 * concurrent quotas of users and projects, cpu-time windows, dependencies,
 * array throttles, and that every waiting job's reason is true. These tests
 * add what must hold over the whole run.
 */
import type { NodeInfo } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import type { PolicyName, WaitCode } from '../src/engine/schedule.js';
import { GiB, node, project, user } from './sim/builders.js';
import { Simulation } from './sim/simulator.js';
import { mixedWorkload } from './sim/workloads.js';

const HOUR = 3600;

const nodes: NodeInfo[] = [
  node('n1', 16, 64 * GiB),
  node('n2', 16, 64 * GiB),
  node('n3', 16, 64 * GiB),
  node('n4', 8, 32 * GiB),
  node('gpu1', 16, 128 * GiB, 4, { gpu: 'a100' }),
];
const projects = [
  project('genomics', { alice: 1, bob: 1 }, { shares: 2, quota: { cpu: 24, runningJobs: 10 } }),
  project('physics', { carol: 1, dave: 1 }, { quota: { gpus: 2, cpuTime: { seconds: 40 * HOUR, windowSeconds: 6 * HOUR } } }),
  project('default', { erin: 1 }),
];
const users = [
  user('alice', { quota: { cpu: 12 } }),
  user('bob', { quota: { ram: 48 * GiB } }),
  user('carol', { quota: { runningJobs: 3, cpuTime: { seconds: 12 * HOUR, windowSeconds: 4 * HOUR } } }),
  user('dave'),
  user('erin', { quota: { gpus: 2 } }),
];

function runMixed(policy: PolicyName, backfill: boolean, seed: number) {
  const sim = new Simulation({
    nodes,
    projects,
    users,
    policy,
    backfill: { enabled: backfill, maxTimeLimitSeconds: 4 * HOUR },
    halfLifeSeconds: 12 * HOUR,
    tickSeconds: 300,
  });
  const workload = mixedWorkload(seed, 16);
  sim.load(workload);
  sim.runUntilIdle(10 * 24 * HOUR);
  return { sim, workload };
}

describe.each([
  ['fairshare', true, 1],
  ['fairshare', false, 2],
  ['fifo', true, 3],
  ['fifo', false, 4],
] as const)('a mixed workload under %s (backfill %s)', (policy, backfill, seed) => {
  const { sim, workload } = runMixed(policy, backfill, seed);
  const jobs = [...sim.jobs.values()].filter((j) => !j.isParent);

  it('runs every job whose dependencies can be met, within every rule at every pass', () => {
    expect(sim.passes).toBeGreaterThan(100);
    for (const j of jobs) {
      expect(j.endAt, `job ${j.job.id}`).not.toBeNull();
      if (j.failure === null) expect(j.startAt, `job ${j.job.id} never started`).not.toBeNull();
    }
  });

  it('fails exactly the jobs whose dependencies can never be met, naming the dependency', () => {
    const failedForDependency = jobs.filter((j) => j.failure !== null);
    expect(failedForDependency.length).toBeGreaterThan(0);
    for (const j of failedForDependency) {
      expect(j.startAt).toBeNull();
      expect(j.failure).toMatch(
        /^dependency (afterok|afternotok|afterany):\d+ can never be met: job \d+ (failed|is done|does not exist)$/,
      );
      const [, type, id] = /^dependency (\w+):(\d+)/.exec(j.failure ?? '') ?? [];
      expect(j.job.dependencies).toContainEqual({ type, jobId: Number(id) });
    }
  });

  it('gave the reasons this workload calls for, each checked true when given', () => {
    const seen = new Set<WaitCode>(jobs.flatMap((j) => j.codes));
    for (const code of ['Dependency', 'JobArrayTaskLimit', 'Priority', 'Resources'] as const) {
      expect(seen, `${policy} ${backfill}`).toContain(code);
    }
    const quotaCodes = [...seen].filter((c) => /^(User|Project)/.test(c));
    expect(quotaCodes.length).toBeGreaterThanOrEqual(3);
    expect(workload.length).toBeGreaterThan(150);
  });
});

describe('quotas in a busy cluster', () => {
  it('keeps a user at their cpu quota while the cluster has room, and says so', () => {
    const sim = new Simulation({ nodes: [node('n1', 64)], users: [user('alice', { quota: { cpu: 8 } })], policy: 'fifo' });
    sim.load(Array.from({ length: 10 }, () => ({ at: 0, user: 'alice', project: 'default', cpu: 2, duration: 600 })));
    let peak = 0;
    sim.onPass((_, s) => {
      peak = Math.max(peak, s.holdings().user.get('alice')?.cpu ?? 0);
    });
    sim.run(1);
    const waiting = [...sim.jobs.values()].filter((j) => j.job.status.state === 'pending');
    expect(waiting).toHaveLength(6);
    expect(waiting[0]?.lastReason).toEqual({
      code: 'UserCpuLimit',
      message: 'user alice uses 8 of their 8 cpu; the job needs 2',
    });
    sim.runUntilIdle(86400);
    expect(peak).toBe(8);
  });

  it('stops a project at its cpu-time quota until the window moves on', () => {
    const sim = new Simulation({
      nodes: [node('n1', 4)],
      projects: [project('physics', { carol: 1 }, { quota: { cpuTime: { seconds: 2 * HOUR, windowSeconds: 6 * HOUR } } })],
      policy: 'fifo',
      tickSeconds: 60,
    });
    // Each job uses 4 cpu for 30 minutes: 2 cpu-hours, the whole quota.
    sim.load(Array.from({ length: 3 }, () => ({ at: 0, user: 'carol', project: 'physics', cpu: 4, duration: 30 * 60 })));
    sim.run(31 * 60);
    const [first, second, third] = [...sim.jobs.values()];
    expect(first?.endAt).toBe(30 * 60);
    expect(second?.lastReason).toEqual({
      code: 'ProjectCpuTimeLimit',
      message: 'project physics used 2h of its 2h of cpu time in the last 6h; jobs wait until older use leaves the window',
    });
    sim.runUntilIdle(86400);
    // Each starts at the first pass after the previous one's use begins to leave the window.
    expect(second?.startAt).toBeGreaterThan(6 * HOUR);
    expect(second?.startAt).toBeLessThanOrEqual(6 * HOUR + 60);
    expect(third?.startAt).toBeGreaterThan((second?.startAt ?? 0) + 6 * HOUR - 30 * 60);
  });
});

describe('arrays and dependencies', () => {
  it('runs an array %2 two tasks at a time, then a job that waits for the whole array', () => {
    const sim = new Simulation({ nodes: [node('n1', 16)], policy: 'fifo' });
    sim.load([
      { at: 0, user: 'alice', project: 'default', duration: 600, array: { count: 6, throttle: 2 } },
      { at: 0, user: 'alice', project: 'default', duration: 60, after: [{ type: 'afterok', on: 0 }] },
    ]);
    let peak = 0;
    sim.onPass((_, s) => {
      for (const running of s.holdings().array.values()) peak = Math.max(peak, running);
    });
    sim.run(61);
    const [after] = sim.jobsOf(1);
    expect(after?.lastReason).toEqual({ code: 'Dependency', message: 'waits for job 1 (running) to succeed' });
    expect(sim.jobsOf(0).find((t) => t.job.status.state === 'pending')?.lastReason?.code).toBe('JobArrayTaskLimit');
    sim.runUntilIdle(86400);
    expect(peak).toBe(2);
    expect(after?.startAt).toBe(3 * 600);
  });

  it('fails a job waiting on a job that failed, and runs the one waiting for that failure', () => {
    const sim = new Simulation({ nodes: [node('n1', 16)], policy: 'fifo' });
    sim.load([
      { at: 0, user: 'alice', project: 'default', duration: 600, fails: true },
      { at: 0, user: 'alice', project: 'default', duration: 60, after: [{ type: 'afterok', on: 0 }] },
      { at: 0, user: 'alice', project: 'default', duration: 60, after: [{ type: 'afternotok', on: 0 }] },
      { at: 0, user: 'alice', project: 'default', duration: 60, after: [{ type: 'afterany', on: 0 }] },
    ]);
    sim.runUntilIdle(86400);
    const [, ok, notok, any] = [0, 1, 2, 3].map((e) => sim.jobsOf(e)[0]);
    expect(ok?.failure).toBe('dependency afterok:1 can never be met: job 1 failed');
    expect(ok?.startAt).toBeNull();
    expect(notok?.startAt).toBe(600);
    expect(any?.startAt).toBe(600);
  });
});
