/**
 * One pass of the engine, one rule at a time: order, placement, every wait
 * reason with its sentence, dependencies, throttles, quotas, EASY backfill
 * and strict order without it.
 */
import { describe, expect, it } from 'vitest';
import { userKey } from '../src/engine/fairshare.js';
import { describePriority } from '../src/engine/priority.js';
import { type EngineInput, type Policy, schedule, WAIT_CODES } from '../src/engine/schedule.js';
import { GiB, job, node, project, running, T0, user } from './sim/builders.js';

const HOUR = 3600_000;

function pass(input: Partial<EngineInput> & Pick<EngineInput, 'pending' | 'nodes'>) {
  return schedule({ now: T0, active: [], policy: 'fifo', ...input });
}

describe('order and placement', () => {
  it('starts jobs by priority, then submission, then id, first fit in node order', () => {
    const a = job(1, { submittedAt: T0 - 3 * HOUR });
    const b = job(2, { submittedAt: T0 - 2 * HOUR, priority: 5 });
    const c = job(3, { submittedAt: T0 - 3 * HOUR });
    const d = job(4, { submittedAt: T0 - 1 * HOUR });
    const out = pass({ pending: [d, c, b, a], nodes: [node('n1', 2), node('n2', 1)] });
    expect(out.start).toEqual([
      { jobId: 2, node: 'n1' },
      { jobId: 1, node: 'n1' },
      { jobId: 3, node: 'n2' },
    ]);
    expect(out.waiting.get(4)?.code).toBe('Resources');
    expect(out.waiting.has(2)).toBe(false);
    expect(out.waiting.size).toBe(1);
  });

  it('counts what running and suspended jobs hold, and places by cpu, ram, gpus and labels', () => {
    const active = [
      running(10, 'n1', { cpu: 3 }),
      { ...running(11, 'gpu1', { gpus: 1, cpu: 1 }), status: { ...running(11, 'gpu1').status, state: 'suspended' as const } },
    ];
    const nodes = [node('n1', 4, 8 * GiB), node('big', 4, 64 * GiB), node('gpu1', 8, 8 * GiB, 2, { gpu: 'a100' })];
    const pending = [
      job(1, { cpu: 2 }), // n1 has 1 left: big
      job(2, { cpu: 1, ram: 32 * GiB }), // only big has the ram
      job(3, { cpu: 1, gpus: 1, labels: { gpu: 'a100' } }),
      job(4, { cpu: 1, gpus: 1, labels: { gpu: 'a100' } }), // one gpu left after job 3
    ];
    const out = pass({ pending, active, nodes });
    expect(out.start).toEqual([
      { jobId: 1, node: 'big' },
      { jobId: 2, node: 'big' },
      { jobId: 3, node: 'gpu1' },
    ]);
    expect(out.waiting.get(4)).toEqual({
      code: 'Resources',
      message:
        'needs 1 gpu; the largest free node with gpu=a100 has 0 gpus; expected to start by 2025-01-01T01:00:00.000Z on node gpu1 (reserved)',
    });
  });

  it('says NoNodeFits when no node could ever hold the job, and such a job blocks nobody', () => {
    const out = pass({
      pending: [job(1, { cpu: 64, priority: 10 }), job(2, { labels: { arch: 'arm64' }, priority: 9 }), job(3)],
      nodes: [node('n1', 16), node('n2', 32)],
      backfill: { enabled: false, maxTimeLimitSeconds: 86400 },
    });
    expect(out.start).toEqual([{ jobId: 3, node: 'n1' }]);
    expect(out.waiting.get(1)).toEqual({ code: 'NoNodeFits', message: 'needs 64 cpu; the largest node has 32 cpu' });
    expect(out.waiting.get(2)).toEqual({ code: 'NoNodeFits', message: 'no node has the labels arch=arm64' });
  });

  it('says which resource is short: "needs 8 cpu; the largest free node has 6"', () => {
    const out = pass({
      pending: [job(1, { cpu: 8 })],
      active: [running(10, 'n1', { cpu: 10 }), running(11, 'n2', { cpu: 12 })],
      nodes: [node('n1', 16), node('n2', 16)],
    });
    expect(out.waiting.get(1)?.message).toMatch(/^needs 8 cpu; the largest free node has 6 cpu; expected to start by/);
  });

  it('tells apart a job that waits for its turn (Priority) from the first in line (Resources)', () => {
    const weights = { fairshare: 10_000, age: 0, maxAgeSeconds: 86400, job: 0, user: 0, project: 0 };
    const usage = { project: new Map([['p', 100]]), user: new Map([[userKey('p', 'bob'), 100]]) };
    const out = schedule({
      now: T0,
      policy: 'fairshare',
      weights,
      projects: [project('p', { alice: 1, bob: 1 })],
      usage,
      pending: [
        job(1, { user: 'bob', project: 'p' }),
        job(2, { user: 'alice', project: 'p' }),
        job(3, { user: 'alice', project: 'p' }),
      ],
      active: [],
      nodes: [node('n1', 1)],
    });
    // alice has used nothing: her jobs come first though bob's is older.
    expect(out.start).toEqual([{ jobId: 2, node: 'n1' }]);
    expect(out.waiting.get(3)?.code).toBe('Resources');
    const bob = out.priority(1);
    expect(bob?.factors.fairshare).toBeCloseTo(0.25, 12);
    expect(out.priority(3)?.factors.fairshare).toBeCloseTo(0.5, 12);
    expect(out.waiting.get(1)).toEqual({
      code: 'Priority',
      message: `waits behind job 3 (priority 0.50), first in line for these nodes; ${describePriority(bob ?? expect.fail('no breakdown'))}`,
    });
    expect(out.waiting.get(1)?.message).toContain('priority 0.25: fair share 0.25, age 0.00');
  });

  it('orders by user and project priority under fairshare, by job priority alone under fifo', () => {
    const pending = [job(1, { user: 'u1', project: 'a' }), job(2, { user: 'u2', project: 'b', priority: 100 })];
    const projects = [project('a', { u1: 1 }, { priority: 5000 }), project('b', { u2: 1 })];
    const nodes = [node('n1', 1)];
    expect(schedule({ now: T0, pending, active: [], nodes, projects, policy: 'fairshare' }).start[0]?.jobId).toBe(1);
    expect(schedule({ now: T0, pending, active: [], nodes, projects, policy: 'fifo' }).start[0]?.jobId).toBe(2);
    const users = [user('u2', { priority: 10_000 })];
    expect(schedule({ now: T0, pending, active: [], nodes, projects, users, policy: 'fairshare' }).start[0]?.jobId).toBe(2);
  });

  it('takes a policy plugin', () => {
    const shortestFirst: Policy = {
      name: 'shortest-first',
      order: (jobs) => ({
        priority: Float64Array.from(jobs, (j) => 1 / (1 + (j.requirements.timeLimit ?? 1e9))),
        breakdown: () => ({
          total: 0,
          factors: { fairshare: 0, age: 0, job: 0, user: 0, project: 0 },
          weighted: { fairshare: 0, age: 0, job: 0, user: 0, project: 0 },
        }),
      }),
    };
    const out = schedule({
      now: T0,
      policy: shortestFirst,
      pending: [job(1, { limit: 7200 }), job(2, { limit: 60 })],
      active: [],
      nodes: [node('n1', 1)],
    });
    expect(out.policy).toBe('shortest-first');
    expect(out.start).toEqual([{ jobId: 2, node: 'n1' }]);
  });

  it('ignores an array parent given as pending: its tasks are the jobs', () => {
    const parent = { ...job(1), array: { start: 0, end: 1, step: 1, throttle: null, count: 2, tasks: { pending: 2 } } };
    const out = pass({ pending: [parent, job(2, { parentId: 1, taskIndex: 0 })], nodes: [node('n1', 4)] });
    expect(out.start).toEqual([{ jobId: 2, node: 'n1' }]);
    expect(out.waiting.has(1)).toBe(false);
  });

  it('gives every pending job a priority breakdown, started or not', () => {
    const out = pass({ pending: [job(1), job(2, { priority: 10_000 })], nodes: [node('n1', 1)] });
    expect(out.priority(2)?.total).toBe(1);
    expect(out.priority(1)?.total).toBe(0.5);
    expect(out.priority(99)).toBeUndefined();
  });
});

describe('dependencies', () => {
  const nodes = [node('n1', 8)];
  const on = (type: 'afterok' | 'afterany' | 'afternotok', jobId: number) => ({ type, jobId });

  it('starts a job once all its dependencies are met, and says which it waits for', () => {
    const dependencies = new Map([
      [40, 'done' as const],
      [41, 'failed' as const],
      [42, 'running' as const],
      [43, 'pending' as const],
    ]);
    const out = pass({
      nodes,
      dependencies,
      pending: [
        job(1, { dependencies: [on('afterok', 40), on('afternotok', 41), on('afterany', 40)] }),
        job(2, { dependencies: [on('afterok', 40), on('afterok', 42)] }),
        job(3, { dependencies: [on('afterany', 42), on('afternotok', 43)] }),
      ],
    });
    expect(out.start).toEqual([{ jobId: 1, node: 'n1' }]);
    expect(out.waiting.get(2)).toEqual({ code: 'Dependency', message: 'waits for job 42 (running) to succeed' });
    expect(out.waiting.get(3)).toEqual({
      code: 'Dependency',
      message: 'waits for job 42 (running) to end and job 43 (pending) to fail',
    });
  });

  it('lists jobs whose dependencies can never be met, naming the dependency', () => {
    const dependencies = new Map([
      [40, 'done' as const],
      [41, 'failed' as const],
      [42, 'running' as const],
    ]);
    const out = pass({
      nodes,
      dependencies,
      pending: [
        job(1, { dependencies: [on('afterok', 41)] }),
        job(2, { dependencies: [on('afterok', 42), on('afternotok', 40)] }),
        job(3, { dependencies: [on('afterany', 77)] }),
      ],
    });
    expect(out.start).toEqual([]);
    expect(out.unsatisfiable).toEqual([
      { jobId: 1, dependency: on('afterok', 41), reason: 'dependency afterok:41 can never be met: job 41 failed' },
      { jobId: 2, dependency: on('afternotok', 40), reason: 'dependency afternotok:40 can never be met: job 40 is done' },
      { jobId: 3, dependency: on('afterany', 77), reason: 'dependency afterany:77 can never be met: job 77 does not exist' },
    ]);
    expect(out.waiting.get(1)).toEqual({
      code: 'DependencyNeverSatisfied',
      message: 'dependency afterok:41 can never be met: job 41 failed',
    });
  });
});

describe('arrays', () => {
  it('never runs more tasks than the throttle, counting tasks already running', () => {
    const tasks = Array.from({ length: 6 }, (_, t) => job(10 + t, { parentId: 9, taskIndex: t }));
    const out = pass({
      pending: tasks,
      active: [running(8, 'n1', { parentId: 9, taskIndex: 99 })],
      nodes: [node('n1', 16)],
      arrays: new Map([[9, { throttle: 3 }]]),
    });
    expect(out.start.map((p) => p.jobId)).toEqual([10, 11]);
    expect(out.waiting.get(12)).toEqual({
      code: 'JobArrayTaskLimit',
      message: 'array 9 runs 3 of its 3 tasks allowed at once (%3)',
    });
  });

  it('runs an array without a throttle as far as resources go', () => {
    const tasks = Array.from({ length: 4 }, (_, t) => job(10 + t, { parentId: 9, taskIndex: t }));
    const out = pass({ pending: tasks, nodes: [node('n1', 3)], arrays: new Map([[9, { throttle: null }]]) });
    expect(out.start).toHaveLength(3);
  });
});

describe('quotas', () => {
  const nodes = [node('n1', 64, 512 * GiB, 8)];

  it.each([
    ['UserCpuLimit', { cpu: 4 }, { cpu: 3 }, {}, 'user alice uses 3 of their 4 cpu; the job needs 2'],
    [
      'UserRamLimit',
      { ram: 8 * GiB },
      { ram: 7 * GiB },
      { ram: 2 * GiB },
      'user alice uses 7G of their 8G ram; the job needs 2G',
    ],
    ['UserGpuLimit', { gpus: 1 }, { gpus: 1 }, { gpus: 1 }, 'user alice uses 1 of their 1 gpu; the job needs 1'],
    ['UserRunningJobsLimit', { runningJobs: 1 }, {}, {}, 'user alice runs 1 of their 1 jobs at once'],
  ] as const)('%s', (code, quota, held, asks, message) => {
    const out = pass({
      pending: [job(1, { cpu: 2, ...asks }), job(2, { user: 'bob', cpu: 2, ...asks })],
      active: [running(10, 'n1', { cpu: 1, ...held })],
      nodes,
      users: [user('alice', { quota })],
    });
    expect(out.waiting.get(1)).toEqual({ code, message });
    // A job held back by a quota holds nobody back.
    expect(out.start).toEqual([{ jobId: 2, node: 'n1' }]);
  });

  it.each([
    ['ProjectCpuLimit', { cpu: 32 }, 'project genomics uses 32 of its 32 cpu; the job needs 4'],
    ['ProjectRamLimit', { ram: 64 * GiB }, 'project genomics uses 64G of its 64G ram; the job needs 1G'],
    ['ProjectGpuLimit', { gpus: 2 }, 'project genomics uses 2 of its 2 gpus; the job needs 1'],
    ['ProjectRunningJobsLimit', { runningJobs: 2 }, 'project genomics runs 2 of its 2 jobs at once'],
  ] as const)('%s', (code, quota, message) => {
    const active = [
      running(10, 'n1', { user: 'bob', project: 'genomics', cpu: 16, ram: 32 * GiB, gpus: 1 }),
      running(11, 'n1', { user: 'carol', project: 'genomics', cpu: 16, ram: 32 * GiB, gpus: 1 }),
    ];
    const out = pass({
      pending: [job(1, { project: 'genomics', cpu: 4, ram: GiB, gpus: 1 })],
      active,
      nodes,
      projects: [project('genomics', { alice: 1, bob: 1, carol: 1 }, { quota })],
    });
    expect(out.waiting.get(1)).toEqual({ code, message });
  });

  it('says when a job alone is larger than the quota', () => {
    const out = pass({ pending: [job(1, { cpu: 16 })], nodes, users: [user('alice', { quota: { cpu: 8 } })] });
    expect(out.waiting.get(1)).toEqual({
      code: 'UserCpuLimit',
      message: "the job needs 16 cpu, more than user alice's whole quota of 8; it waits until the quota is raised",
    });
  });

  it('counts jobs started in the same pass against the quota', () => {
    const out = pass({
      pending: [job(1, { cpu: 2 }), job(2, { cpu: 2 }), job(3, { cpu: 1 }), job(4, { cpu: 1 })],
      nodes,
      users: [user('alice', { quota: { cpu: 5 } })],
    });
    expect(out.start.map((p) => p.jobId)).toEqual([1, 2, 3]);
    expect(out.waiting.get(4)?.message).toBe('user alice uses 5 of their 5 cpu; the job needs 1');
  });

  it('holds jobs while the cpu-time quota of the window is used up', () => {
    const out = pass({
      pending: [job(1), job(2, { user: 'bob', project: 'physics' }), job(3, { user: 'carol' })],
      nodes,
      users: [user('alice', { quota: { cpuTime: { seconds: 36_000, windowSeconds: 7 * 86400 } } }), user('carol')],
      projects: [project('physics', { bob: 1 }, { quota: { cpuTime: { seconds: 3600, windowSeconds: 86400 } } })],
      cpuTime: {
        user: new Map([
          ['alice', 36_000],
          ['carol', 10],
        ]),
        project: new Map([['physics', 3700]]),
      },
    });
    expect(out.start).toEqual([{ jobId: 3, node: 'n1' }]);
    expect(out.waiting.get(1)).toEqual({
      code: 'UserCpuTimeLimit',
      message: 'user alice used 10h of their 10h of cpu time in the last 7d; jobs wait until older use leaves the window',
    });
    expect(out.waiting.get(2)?.code).toBe('ProjectCpuTimeLimit');
  });
});

describe('EASY backfill', () => {
  // n1: 8 cpu, 4 held until T0+1h. n2: full until T0+3h.
  const nodes = [node('n1', 8), node('n2', 8)];
  const active = [running(10, 'n1', { cpu: 4, limit: 3600 }), running(11, 'n2', { cpu: 8, limit: 3 * 3600 })];
  const big = job(1, { cpu: 8, priority: 100 });

  it('reserves the earliest node for the first job that does not fit', () => {
    const out = pass({ pending: [big], active, nodes });
    expect(out.reservations).toEqual([{ jobId: 1, node: 'n1', at: T0 + HOUR }]);
    expect(out.waiting.get(1)).toEqual({
      code: 'Resources',
      message:
        'needs 8 cpu; the largest free node has 4 cpu; expected to start by 2025-01-01T01:00:00.000Z on node n1 (reserved)',
    });
  });

  it('lets a small job start that ends before the reservation', () => {
    const small = job(2, { cpu: 2, limit: 1800 });
    const out = pass({ pending: [big, small], active, nodes });
    expect(out.start).toEqual([{ jobId: 2, node: 'n1' }]);
  });

  it('holds back a small job that would delay the reserved one, and says so', () => {
    const long = job(3, { cpu: 2, limit: 2 * 3600 });
    const out = pass({ pending: [big, long], active, nodes });
    expect(out.start).toEqual([]);
    expect(out.waiting.get(3)?.code).toBe('Priority');
    expect(out.waiting.get(3)?.message).toMatch(
      /^would delay job 1, reserved to start on node n1 by 2025-01-01T01:00:00.000Z; priority 0.50: fair share 0.00, age 0.00, job 0.50/,
    );
  });

  it('counts a job without a time limit as running for the configured maximum', () => {
    const unlimited = job(3, { cpu: 2, limit: null });
    const short = { enabled: true, maxTimeLimitSeconds: 1800 };
    expect(pass({ pending: [big, unlimited], active, nodes }).start).toEqual([]);
    expect(pass({ pending: [big, unlimited], active, nodes, backfill: short }).start).toEqual([{ jobId: 3, node: 'n1' }]);
  });

  it('lets a long job start on what the reservation does not need', () => {
    // n1 has 16 cpu: at T0+1h, 8 for the big job and 8 to spare.
    const roomy = [node('n1', 16), node('n2', 8)];
    const held = [running(10, 'n1', { cpu: 12, limit: 3600 }), running(11, 'n2', { cpu: 8, limit: 3 * 3600 })];
    const pending = [big, job(3, { cpu: 2, limit: 86400 }), job(4, { cpu: 2, limit: 86400 }), job(5, { cpu: 2, limit: 1800 })];
    const out = pass({ pending, active: held, nodes: roomy });
    expect(out.reservations).toEqual([{ jobId: 1, node: 'n1', at: T0 + HOUR }]);
    // 3 and 4 fill the 4 free cpu and fit in the spare room; 5 finds no free cpu.
    expect(out.start.map((p) => p.jobId)).toEqual([3, 4]);
    expect(out.waiting.get(5)?.code).toBe('Priority');
  });

  it('starts a lower-priority job on another node freely', () => {
    const third = [...nodes, node('n3', 4)];
    const out = pass({ pending: [big, job(3, { cpu: 2, limit: 86400 })], active, nodes: third });
    expect(out.start).toEqual([{ jobId: 3, node: 'n3' }]);
  });

  it('gives each set of nodes that share no node its own reservation', () => {
    const labelled = [node('cpu1', 8), node('gpu1', 8, 64 * GiB, 2, { gpu: 'a100' })];
    const cpuLabel = [node('cpu1', 8, 64 * GiB, 0, { kind: 'cpu' }), labelled[1] ?? node('x', 1)];
    const held = [
      running(10, 'cpu1', { cpu: 8, limit: 7200, labels: { kind: 'cpu' } }),
      running(11, 'gpu1', { cpu: 1, gpus: 2, limit: 3600, labels: { gpu: 'a100' } }),
    ];
    const out = pass({
      pending: [job(1, { cpu: 8, labels: { kind: 'cpu' }, priority: 10 }), job(2, { gpus: 2, labels: { gpu: 'a100' } })],
      active: held,
      nodes: cpuLabel,
    });
    expect(out.reservations).toEqual([
      { jobId: 1, node: 'cpu1', at: T0 + 2 * HOUR },
      { jobId: 2, node: 'gpu1', at: T0 + HOUR },
    ]);
    // Jobs that may use every node share one reservation, as in EASY.
    const shared = pass({ pending: [job(1, { cpu: 8, priority: 10 }), job(2, { cpu: 8 })], active: held, nodes: labelled });
    expect(shared.reservations).toHaveLength(1);
    expect(shared.waiting.get(2)?.code).toBe('Priority');
  });

  it('without backfill, keeps strict priority order: nothing passes the waiting job', () => {
    const small = job(2, { cpu: 2, limit: 60 });
    const out = pass({ pending: [big, small], active, nodes, backfill: { enabled: false, maxTimeLimitSeconds: 86400 } });
    expect(out.start).toEqual([]);
    expect(out.reservations).toEqual([]);
    expect(out.waiting.get(1)?.message).toBe(
      'needs 8 cpu; the largest free node has 4 cpu; lower-priority jobs wait behind it (backfill is off)',
    );
    expect(out.waiting.get(2)?.message).toMatch(
      /^waits behind job 1 \(priority 0\.51\): without backfill, jobs start in priority order;/,
    );
  });

  it('without backfill, blocks only the nodes the waiting job could use', () => {
    const labelled = [node('gpu1', 8, 64 * GiB, 1, { gpu: 'a100' }), node('cpu1', 8)];
    const held = [running(10, 'gpu1', { cpu: 1, gpus: 1, labels: { gpu: 'a100' } })];
    const out = pass({
      pending: [job(1, { gpus: 1, labels: { gpu: 'a100' }, priority: 100 }), job(2, { cpu: 1 }), job(3, { cpu: 1 })],
      active: held,
      nodes: labelled,
      backfill: { enabled: false, maxTimeLimitSeconds: 86400 },
    });
    // gpu1 waits for job 1; cpu1 is not what it needs.
    expect(out.start).toEqual([
      { jobId: 2, node: 'cpu1' },
      { jobId: 3, node: 'cpu1' },
    ]);
  });
});

describe('wait reasons', () => {
  it('has a code for every case it is used in, in Slurm words where they fit', () => {
    for (const code of ['Priority', 'Resources', 'Dependency', 'DependencyNeverSatisfied', 'JobArrayTaskLimit'] as const) {
      expect(WAIT_CODES).toContain(code);
    }
  });

  it('finds a job by id whatever order the jobs came in', () => {
    const pending = [job(7), job(3), job(9), job(1)];
    const out = pass({ pending, nodes: [node('n1', 1)], policy: 'fifo' });
    expect(out.start).toEqual([{ jobId: 1, node: 'n1' }]);
    for (const id of [3, 7, 9]) expect(out.waiting.get(id)?.code).toBe(id === 3 ? 'Resources' : 'Priority');
    expect(out.waiting.get(1)).toBeUndefined();
    expect(out.waiting.get(2)).toBeUndefined();
    const sorted = pass({ pending: [job(1), job(3), job(7), job(9)], nodes: [node('n1', 1)] });
    expect([3, 7, 9, 4, 0].map((id) => sorted.waiting.has(id))).toEqual([true, true, true, false, false]);
  });

  it('iterates like a Map and serializes to plain objects', () => {
    const out = pass({ pending: [job(1), job(2), job(3)], nodes: [node('n1', 1)] });
    const all = new Map(out.waiting);
    expect([...all.keys()]).toEqual([2, 3]);
    expect(JSON.parse(JSON.stringify([...out.waiting.values()]))[0]).toEqual({ code: 'Resources', message: expect.any(String) });
    let count = 0;
    out.waiting.forEach(() => {
      count++;
    });
    expect(count).toBe(2);
  });
});
