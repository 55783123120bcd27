/**
 * The incremental queue against a full recomputation: over thousands of random
 * workloads (nodes with labels, running jobs, arrays with throttles, quotas,
 * fair-share usage, begin times, dependencies in every state, both policies,
 * backfill on and off), a pass over the queue starts the same jobs in the same
 * order on the same nodes as `schedule()` over every pending job, dooms the
 * same jobs, and gives every waiting job the same reason.
 */
import type { Dependency, Job, JobState, NodeInfo, Quota } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { userKey } from '../src/engine/fairshare.js';
import { PendingQueue } from '../src/engine/pending-queue.js';
import { scheduleQueue } from '../src/engine/queue-pass.js';
import { type EngineInput, schedule } from '../src/engine/schedule.js';
import { GiB, job, node, project, running, T0, user } from './sim/builders.js';
import { between, pick, random } from './sim/random.js';

const USERS = ['alice', 'bob', 'carol'];
const PROJECTS = ['default', 'physics'];

interface Workload {
  input: EngineInput;
  states: Map<number, JobState>;
}

function quota(rnd: () => number): Quota {
  const q: Quota = {};
  if (rnd() < 0.3) q.cpu = between(rnd, 1, 12);
  if (rnd() < 0.2) q.ram = between(rnd, 1, 16) * GiB;
  if (rnd() < 0.2) q.gpus = between(rnd, 0, 2);
  if (rnd() < 0.2) q.runningJobs = between(rnd, 0, 6);
  return q;
}

function workload(seed: number): Workload {
  const rnd = random(seed);
  const nodes: NodeInfo[] = [];
  for (let k = 0; k < between(rnd, 1, 4); k++) {
    const labels: Record<string, string> = rnd() < 0.3 ? { zone: pick(rnd, ['a', 'b']) } : {};
    nodes.push(node(`n${k}`, between(rnd, 2, 16), between(rnd, 4, 64) * GiB, pick(rnd, [0, 0, 2]), labels));
  }
  let id = 1;
  const active: Job[] = [];
  for (let k = 0; k < between(rnd, 0, 8); k++) {
    const n = pick(rnd, nodes);
    active.push(
      running(id++, n.name, {
        user: pick(rnd, USERS),
        project: pick(rnd, PROJECTS),
        cpu: between(rnd, 1, 4),
        ram: between(rnd, 1, 4) * GiB,
        limit: pick(rnd, [null, 600, 7200]),
        startedAt: T0 - between(rnd, 0, 3600) * 1000,
        labels: n.labels,
      }),
    );
  }
  // Jobs depended on, in every state (and one that does not exist).
  const states = new Map<number, JobState>();
  const depIds: number[] = [];
  for (const s of ['done', 'failed', 'running', 'pending', 'held'] as const) {
    states.set(id, s);
    depIds.push(id++);
  }
  depIds.push(999_999);
  // A few shapes, so that classes have many members and the truncation matters.
  const shapes = Array.from({ length: between(rnd, 1, 6) }, () => ({
    user: pick(rnd, USERS),
    project: pick(rnd, PROJECTS),
    cpu: pick(rnd, [0.5, 1, 2, 4, 8]),
    ram: pick(rnd, [512, 2 * GiB, 8 * GiB]),
    gpus: pick(rnd, [0, 0, 0, 1]),
    limit: pick(rnd, [null, 300, 3600]),
    labels: (rnd() < 0.2 ? { zone: pick(rnd, ['a', 'b', 'c']) } : {}) as Record<string, string>,
    priority: pick(rnd, [0, 0, 100, -50]),
    dependencies:
      rnd() < 0.25 ? [{ type: pick(rnd, ['afterok', 'afternotok', 'afterany'] as const), jobId: pick(rnd, depIds) }] : [],
    beginAt: rnd() < 0.15 ? pick(rnd, [T0 - 600_000, T0 + 600_000]) : undefined,
  }));
  const arrays = new Map<number, { throttle: number | null }>();
  const pending: Job[] = [];
  const times = [T0 - 7200_000, T0 - 3600_000, T0 - 3600_000, T0 - 60_000];
  for (let k = 0; k < between(rnd, 1, 60); k++) {
    const shape = pick(rnd, shapes);
    let parentId: number | null = null;
    if (rnd() < 0.3) {
      parentId = 500_000 + between(rnd, 0, 2);
      if (!arrays.has(parentId)) arrays.set(parentId, { throttle: rnd() < 0.5 ? between(rnd, 1, 4) : null });
    }
    const j = job(id++, {
      ...shape,
      dependencies: shape.dependencies as Dependency[],
      parentId,
      submittedAt: pick(rnd, times) + between(rnd, 0, 2) * 1000,
    });
    if (shape.beginAt !== undefined) j.beginAt = new Date(shape.beginAt).toISOString();
    pending.push(j);
  }
  // Submission order is the runtime's order, but a requeued job is older than its neighbours.
  if (rnd() < 0.3) pending.reverse();
  const users = USERS.map((u) => user(u, { priority: pick(rnd, [0, 0, 200]), quota: rnd() < 0.4 ? quota(rnd) : {} }));
  const projects = PROJECTS.map((p) =>
    project(p, Object.fromEntries(USERS.map((u) => [u, between(rnd, 0, 3)])), {
      shares: between(rnd, 1, 3),
      quota: rnd() < 0.3 ? quota(rnd) : {},
    }),
  );
  const usage = {
    project: new Map(PROJECTS.map((p) => [p, between(rnd, 0, 1000)])),
    user: new Map(PROJECTS.flatMap((p) => USERS.map((u) => [userKey(p, u), between(rnd, 0, 500)] as const))),
  };
  return {
    states,
    input: {
      now: T0,
      pending,
      active,
      nodes,
      policy: pick(rnd, ['fairshare', 'fairshare', 'fifo'] as const),
      projects,
      users,
      usage,
      dependencies: states,
      arrays,
      backfill: { enabled: rnd() < 0.7, maxTimeLimitSeconds: 86_400 },
    },
  };
}

/** Reasons that depend on when in the pass a job is seen: throttles and quotas. */
const SEEN_LATE = /^(JobArrayTaskLimit|User|Project)/;

/** Returns whether the pass looked at fewer jobs than are pending (else the test proves little). */
function compare(seed: number): boolean {
  const { input, states } = workload(seed);
  const full = schedule(input);
  const queue = new PendingQueue();
  const doomed = new Map<number, string>();
  for (const j of input.pending) {
    const d = queue.add(j, states, input.now);
    if (d) for (const id of d.ids) doomed.set(id, d.reason);
  }
  const { pending: _all, dependencies: _states, ...rest } = input;
  const pass = scheduleQueue(queue, rest);
  const where = `seed ${seed}`;
  expect(pass.out.start, where).toEqual(full.start);
  expect(new Map(full.unsatisfiable.map((u) => [u.jobId, u.reason])), where).toEqual(doomed);
  const started = new Set(full.start.map((p) => p.jobId));
  for (const j of input.pending) {
    if (started.has(j.id) || doomed.has(j.id)) continue;
    const mine = pass.reasonOf(j);
    const theirs = full.waiting.get(j.id);
    // A job the pass did not look at takes its class's reason. The full pass checks throttles
    // and quotas before nodes, against what the jobs started before it hold: a look-alike seen
    // later may trip one the class's last job seen did not (the reason's numbers are, in both,
    // those the pass left).
    if (!pass.out.waiting.has(j.id) && SEEN_LATE.test(theirs?.code ?? '')) expect(mine, `${where}, job ${j.id}`).toBeDefined();
    else expect(mine, `${where}, job ${j.id}`).toEqual(theirs);
    expect(pass.priorityOf(j)?.total, `${where}, job ${j.id}`).toBeCloseTo(full.priority(j.id)?.total ?? Number.NaN, 12);
  }
  return pass.visited < input.pending.length - doomed.size;
}

describe('the incremental queue decides as a full recomputation', () => {
  it('over 3,000 random workloads: same starts in the same order, same doomed jobs, same reasons', () => {
    let shortened = 0;
    for (let seed = 1; seed <= 3000; seed++) if (compare(seed)) shortened++;
    // Most workloads have deep classes: the comparison must be about shortened passes.
    expect(shortened).toBeGreaterThan(1500);
  });

  it('looks at the first jobs of a deep class only, and still starts what fits', () => {
    const queue = new PendingQueue();
    const nodes = [node('n1', 8)];
    for (let id = 1; id <= 100_000; id++) queue.add(job(id, { cpu: 1, parentId: 7, submittedAt: T0 - 60_000 }), new Map(), T0);
    const pass = scheduleQueue(queue, { now: T0, active: [], nodes, arrays: new Map([[7, { throttle: null }]]) });
    expect(pass.out.start.map((p) => p.jobId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(pass.visited).toBeLessThanOrEqual(8 + 2);
    // The ten-thousandth task waits behind the first that found no room, with its own priority.
    const reason = pass.reasonOf(job(10_000, { cpu: 1, parentId: 7, submittedAt: T0 - 60_000 }));
    expect(reason?.code).toBe('Priority');
    expect(reason?.message).toMatch(/^waits behind job 9 /);
  });

  it('keeps classes apart while their dependency waits, and dooms a whole class when it can never be met', () => {
    const queue = new PendingQueue();
    const states = new Map<number, JobState>([[50, 'running']]);
    const dep: Dependency[] = [{ type: 'afterok', jobId: 50 }];
    for (let id = 1; id <= 1000; id++) expect(queue.add(job(id, { dependencies: dep, parentId: 9 }), states, T0)).toBeNull();
    expect([...queue.eligible()]).toHaveLength(0);
    expect(queue.isDependedOn(50)).toBe(true);
    const doomed = queue.dependencyChanged(50, 'failed', T0);
    expect(doomed).toHaveLength(1);
    expect(doomed[0]?.ids).toHaveLength(1000);
    expect(doomed[0]?.reason).toBe('dependency afterok:50 can never be met: job 50 failed');
    expect(queue.size).toBe(0);
  });

  it('lets a class in when its begin time comes, and keeps members in age order when one comes back', () => {
    const queue = new PendingQueue();
    const begin = new Date(T0 + 60_000).toISOString();
    const a = { ...job(1, { submittedAt: T0 - 1000 }), beginAt: begin };
    const b = { ...job(2, { submittedAt: T0 - 2000 }), beginAt: begin };
    queue.add(a, new Map(), T0);
    expect(queue.nextBeginAt(T0)).toBe(T0 + 60_000);
    queue.add(b, new Map(), T0);
    expect([...queue.eligible()]).toHaveLength(0);
    queue.promoteDue(T0 + 60_000);
    const [c] = [...queue.eligible()];
    // Both age from their begin time: the lower id goes first, as in the engine.
    expect(c?.first(5).map((m) => m.id)).toEqual([1, 2]);
    const d = { ...job(3, { submittedAt: T0 + 90_000 }), beginAt: begin };
    queue.add(d, new Map(), T0 + 100_000);
    expect(queue.remove(a)).toBe(true);
    expect(queue.remove(a)).toBe(false);
    // Released or requeued, a job keeps its age: back before the younger one.
    queue.add(a, new Map(), T0 + 100_000);
    expect(c?.first(5).map((m) => m.id)).toEqual([1, 2, 3]);
  });
});
