/**
 * Workloads for the simulator, seeded so every run is the same.
 */
import type { DependencyType } from '@godocker/sdk';
import { GiB } from './builders.js';
import { between, exponential, pick, random } from './random.js';
import type { WorkloadJob } from './simulator.js';

const MINUTE = 60;
const HOUR = 3600;

/**
 * Everything at once, over `hours`: users of three projects submit jobs of
 * 1–8 cpu lasting 5–120 minutes (some fail, some overrun their time limit
 * and are killed, some have no limit), GPU jobs for the labelled node, arrays
 * with and without a throttle, and chains of dependencies of every type —
 * some on jobs that will fail, so that they can never be met.
 */
export function mixedWorkload(seed: number, hours: number): WorkloadJob[] {
  const rnd = random(seed);
  const people = [
    { user: 'alice', project: 'genomics' },
    { user: 'bob', project: 'genomics' },
    { user: 'carol', project: 'physics' },
    { user: 'dave', project: 'physics' },
    { user: 'erin', project: 'default' },
  ];
  const out: WorkloadJob[] = [];
  let t = 0;
  while (t < hours * HOUR) {
    t += exponential(rnd, 3 * MINUTE);
    const who = pick(rnd, people);
    const duration = between(rnd, 5, 120) * MINUTE;
    const kind = rnd();
    const job: WorkloadJob = {
      at: Math.round(t),
      ...who,
      cpu: pick(rnd, [1, 1, 2, 2, 4, 8]),
      ram: pick(rnd, [1, 2, 4, 8, 16]) * GiB,
      duration,
      limit: rnd() < 0.1 ? duration - 60 : rnd() < 0.1 ? null : duration + between(rnd, 0, 60) * MINUTE,
      priority: rnd() < 0.1 ? between(rnd, -100, 100) : 0,
      fails: rnd() < 0.1,
    };
    if (kind < 0.1) {
      job.gpus = between(rnd, 1, 2);
      job.labels = { gpu: 'a100' };
    } else if (kind < 0.2) {
      job.array = { count: between(rnd, 3, 12), throttle: rnd() < 0.7 ? between(rnd, 1, 4) : null };
      job.cpu = 1;
    } else if (kind < 0.4 && out.length > 0) {
      const types: DependencyType[] = ['afterok', 'afterany', 'afternotok'];
      const count = between(rnd, 1, 2);
      job.after = Array.from({ length: count }, () => ({
        type: pick(rnd, types),
        on: between(rnd, Math.max(0, out.length - 15), out.length - 1),
      }));
    }
    out.push(job);
  }
  return out;
}

/**
 * A steady stream of small jobs (1–2 cpu, 10–40 minutes) from `users` users
 * of one project, about `load` of the cluster's `cpus`, with a large job
 * (`largeCpu` cpu, one hour) every `largeEvery` seconds among them. Jobs run
 * exactly their time limit, so a reservation's time is exact.
 */
export function steadyWorkload(o: {
  seed: number;
  hours: number;
  cpus: number;
  load: number;
  largeCpu: number;
  largeEvery: number;
  users: number;
  project: string;
}): WorkloadJob[] {
  const rnd = random(o.seed);
  const out: WorkloadJob[] = [];
  const meanSmallCpuSeconds = 1.5 * 25 * MINUTE;
  const largeCpuSecondsPerSecond = (o.largeCpu * HOUR) / o.largeEvery;
  const smallRate = Math.max(0, o.cpus * o.load - largeCpuSecondsPerSecond) / meanSmallCpuSeconds;
  let t = 0;
  let nextLarge = o.largeEvery / 2;
  while (t < o.hours * HOUR) {
    t += exponential(rnd, 1 / smallRate);
    while (nextLarge < t) {
      out.push({ at: Math.round(nextLarge), user: 'whale', project: o.project, cpu: o.largeCpu, ram: GiB, duration: HOUR });
      nextLarge += o.largeEvery;
    }
    const duration = between(rnd, 10, 40) * MINUTE;
    out.push({
      at: Math.round(t),
      user: `u${between(rnd, 1, o.users)}`,
      project: o.project,
      cpu: between(rnd, 1, 2),
      ram: GiB,
      duration,
    });
  }
  return out;
}

/** `count` identical jobs of one user, all submitted at `at`: a backlog. */
export function backlog(count: number, job: Omit<WorkloadJob, 'at'> & { at?: number }): WorkloadJob[] {
  return Array.from({ length: count }, () => ({ at: 0, ...job }));
}
