/**
 * A scheduling pass over the incremental queue (`pending-queue.ts`): the same
 * decisions as `schedule()` over every pending job, at a cost that does not
 * grow with the depth of the queue.
 *
 * The pass hands `schedule()` only the first members of each eligible class:
 * as many as could fit in what is free now, plus two. Within a class the
 * engine visits members oldest first, and a member that fails for a quota, a
 * throttle, a dependency, its begin time, for lack of room, or because it
 * waits behind the job first in line, leaves every later member of its class
 * failing the same way in the same pass with no effect on any other job (what
 * the pass holds only grows, what is free only shrinks). Such a member
 * *absorbs* the rest of its class: those need not be visited, and the order of
 * the starts over the shortened queue is the order over the whole one (a
 * property test checks it against `schedule()` over random workloads). When
 * the last member handed in started, or was turned away by a reservation (a
 * later one might not be), the class is lengthened and the pass run again; in
 * practice one run suffices. This is Slurm's queue depth, made exact.
 *
 * The reason of a member not handed in is its class's: that of the last member
 * handed in, with its own priority; a class waiting apart (dependencies, begin
 * time) says so.
 */
import type { Job } from '@godocker/sdk';
import { portCapacity } from './cluster.js';
import { waitingSentence } from './dependencies.js';
import type { EngineInput, EngineOutput } from './engine-io.js';
import type { JobClass, PendingQueue } from './pending-queue.js';
import type { PriorityBreakdown } from './priority.js';
import type { WaitReason } from './reasons.js';
import { type PassDetail, priorityOfJob, schedulePass } from './schedule.js';
import { beginTimeSentence, prioritySentence } from './wait-sentences.js';

/** Everything a pass reads but the pending jobs, which come from the queue. */
export type QueuePassInput = Omit<EngineInput, 'pending' | 'dependencies'>;

export interface QueuePass {
  /** The decisions, as `schedule()` over every pending job would make them. */
  readonly out: EngineOutput;
  /** How many pending jobs the pass looked at (with every rerun). */
  readonly visited: number;
  /** Why a queued job waits (any member, whether the pass looked at it or not). */
  reasonOf(job: Job): WaitReason | undefined;
  /** A queued job's priority with its factors. */
  priorityOf(job: Job): PriorityBreakdown | undefined;
  /** The earliest begin time still ahead (ms), among jobs the pass saw and classes waiting apart. */
  readonly nextBeginAt: number | null;
  /** A job the pass looked at, as it read it (its class's shape: requirements, container ports). */
  viewOf(jobId: number): Job | undefined;
}

/** Beyond what fits now: one for the job that finds no room, one to wait behind it. */
const SPARE = 2;

export function scheduleQueue(queue: PendingQueue, input: QueuePassInput): QueuePass {
  queue.promoteDue(input.now);
  const classes = [...queue.eligible()];
  const free = freeResources(input);
  const lengths = classes.map((c) => Math.min(c.size, fitCount(c.template, free) + SPARE));
  let visited = 0;
  for (;;) {
    const last = new Map<JobClass, number>();
    const pending: Job[] = [];
    classes.forEach((c, k) => {
      for (const m of c.first(lengths[k] as number)) pending.push(memberView(c, m.id, m.queuedAt));
      const tail = pending.at(-1);
      if (tail && (lengths[k] as number) < c.size) last.set(c, tail.id);
    });
    visited += pending.length;
    const { out, detail } = schedulePass({ ...input, pending, dependencies: new Map() });
    let again = false;
    classes.forEach((c, k) => {
      const id = last.get(c);
      if (id === undefined) return;
      const outcome = detail.outcome(id);
      if (outcome === 'absorbed') return;
      lengths[k] = Math.min(c.size, 2 * (lengths[k] as number) + SPARE);
      again = true;
    });
    if (!again) return queuePass(queue, input, out, detail, last, visited, pending);
  }
}

function queuePass(
  queue: PendingQueue,
  input: QueuePassInput,
  out: EngineOutput,
  detail: PassDetail,
  last: ReadonlyMap<JobClass, number>,
  visited: number,
  seen: readonly Job[],
): QueuePass {
  let views: Map<number, Job> | undefined;
  const engineInput: EngineInput = { ...input, pending: [] };
  const priorityOf = (job: Job): PriorityBreakdown | undefined => out.priority(job.id) ?? priorityOfJob(engineInput, job);
  const aheadBegin = queue.nextBeginAt(input.now);
  const nextBeginAt = [out.nextBeginAt, aheadBegin].filter((t): t is number => t !== null);
  return {
    out,
    visited,
    priorityOf,
    nextBeginAt: nextBeginAt.length === 0 ? null : Math.min(...nextBeginAt),
    viewOf(jobId) {
      views ??= new Map(seen.map((j) => [j.id, j]));
      return views.get(jobId);
    },
    reasonOf(job) {
      const seen = out.waiting.get(job.id);
      if (seen) return seen;
      const c = queue.classOf(job);
      if (!c) return undefined;
      // As the pass: a begin time ahead is said before dependencies that wait.
      if (c.beginAt > input.now) return { code: 'BeginTime', message: beginTimeSentence(c.beginAt, input.now) };
      if (c.status === 'dependencies') return { code: 'Dependency', message: waitingSentence(job.dependencies, c.depStates) };
      const lastId = last.get(c);
      const theirs = lastId === undefined ? undefined : out.waiting.get(lastId);
      if (lastId === undefined || !theirs) return undefined;
      const own = priorityOf(job);
      if (theirs.code === 'Resources') {
        // The first in line for these nodes: every later look-alike waits behind it.
        const priority = out.priority(lastId)?.total ?? 0;
        return own ? { code: 'Priority', message: prioritySentence({ kind: 'behind', jobId: lastId, priority }, own) } : theirs;
      }
      const blocking = detail.blocking(lastId);
      if (blocking && own) return { code: 'Priority', message: prioritySentence(blocking, own) };
      return theirs;
    },
  };
}

/**
 * A member as the engine reads it: the class's shape with the member's id and age (its
 * submission counted from its begin time, which the engine would do the same).
 */
function memberView(c: JobClass, id: number, queuedAt: number): Job {
  const t = c.template;
  if (t.id === id) return withoutDependencies(t);
  const at = Number.isNaN(queuedAt) ? t.status.submittedAt : new Date(queuedAt).toISOString();
  return { ...t, id, dependencies: [], status: { ...t.status, submittedAt: at } };
}

/** The queue hands in only classes whose dependencies are all met: nothing for the pass to judge. */
function withoutDependencies(job: Job): Job {
  return job.dependencies.length === 0 ? job : { ...job, dependencies: [] };
}

interface Free {
  cpu: number;
  ram: number;
  gpus: number;
  ports: number;
  labels: Readonly<Record<string, string>>;
}

function freeResources(input: QueuePassInput): Free[] {
  const byName = new Map<string, Free>();
  const free = input.nodes.map((n) => {
    const f = { cpu: n.cpu, ram: n.ram, gpus: n.gpus, ports: portCapacity(n), labels: n.labels };
    byName.set(n.name, f);
    return f;
  });
  for (const job of input.active) {
    const f = job.status.node === null ? undefined : byName.get(job.status.node);
    if (!f) continue;
    f.cpu -= job.requirements.cpu;
    f.ram -= job.requirements.ram;
    f.gpus -= job.requirements.gpus;
    f.ports -= job.status.ports?.length ?? 0;
  }
  return free;
}

/** How many jobs of this shape the free room could take at most (a guess: the pass checks it). */
function fitCount(job: Job, free: readonly Free[]): number {
  const r = job.requirements;
  const per = (have: number, need: number) => (need > 0 ? Math.floor((have + 1e-9) / need) : Number.POSITIVE_INFINITY);
  let n = 0;
  for (const f of free) {
    if (!Object.entries(r.labels).every(([k, v]) => f.labels[k] === v)) continue;
    const ports = job.container.ports?.length ?? 0;
    const k = Math.min(per(f.cpu, r.cpu), per(f.ram, r.ram), per(f.gpus, r.gpus), per(f.ports, ports));
    if (k > 0) n += k;
  }
  return n;
}
