/**
 * The pending queue, kept up to date event by event instead of rebuilt from
 * every pending job at every pass.
 *
 * Pending jobs that the engine cannot tell apart except by their age go in one
 * *class*: same user, project, job priority, requirements (cpu, ram, gpus,
 * labels, time limit), container ports, array, dependencies and begin time. The tasks of an
 * array are one class; so are a user's thousand look-alike submits. Within a
 * class the engine's order is the members' order, oldest first: every factor of
 * a built-in policy's priority is shared except age, which only grows with it,
 * and ties fall to submission time, then id. So a pass needs only the first few
 * members of each class (see `queue-pass.ts`), whatever the depth of the queue.
 *
 * A class whose dependencies are not met yet, or whose begin time is ahead,
 * waits apart (it could not start, and blocks nobody): it joins the pass when
 * its last dependency ends or its begin time comes, and a dependency that can
 * never be met dooms the whole class at once. Dependencies only ever change
 * status when the job depended on ends (`dependencies.ts`), so these events are
 * all there is to watch.
 *
 * Each member costs 16 bytes (its id and submission time); documents stay in
 * the store.
 */
import type { Dependency, Job, JobState } from '@godocker/sdk';
import { DEPENDENCIES_MET, type DependencyStates, dependenciesStatus, neverMet } from './dependencies.js';
import { isoToMillis } from './timestamps.js';

export type ClassStatus = 'eligible' | 'dependencies' | 'begin';

/** Jobs whose dependency can never be met: the caller fails them with `reason`. */
export interface DoomedJobs {
  ids: number[];
  dependency: Dependency;
  reason: string;
}

const MIN_CAPACITY = 4;

/** Jobs of one shape, oldest first, as a deque of (submission ms, id) with holes for removed members. */
export class JobClass {
  readonly key: string;
  /** The first member's document: the shape every member shares (its id, name and times are its own). */
  readonly template: Job;
  status: ClassStatus;
  /** ms since the epoch; NaN when the class has no begin time. */
  readonly beginAt: number;
  /** States of the jobs it depends on, as last told. */
  readonly depStates = new Map<number, JobState>();
  #subs = new Float64Array(MIN_CAPACITY);
  /** A removed member keeps its place with its id negated, so the order stays searchable. */
  #ids = new Float64Array(MIN_CAPACITY);
  #head = 0;
  #tail = 0;
  #size = 0;

  constructor(key: string, template: Job, beginAt: number) {
    this.key = key;
    this.template = template;
    this.beginAt = beginAt;
    this.status = 'eligible';
  }

  get size(): number {
    return this.#size;
  }

  /** Members in order, oldest first. */
  *members(): Generator<{ id: number; queuedAt: number }> {
    for (let k = this.#head; k < this.#tail; k++) {
      const id = this.#ids[k] as number;
      if (id > 0) yield { id, queuedAt: this.#subs[k] as number };
    }
  }

  /** The first `n` members (fewer if the class is smaller). */
  first(n: number): Array<{ id: number; queuedAt: number }> {
    const out: Array<{ id: number; queuedAt: number }> = [];
    if (n <= 0) return out;
    for (const m of this.members()) {
      out.push(m);
      if (out.length >= n) break;
    }
    return out;
  }

  add(id: number, queuedAt: number): void {
    if (this.#tail === this.#ids.length) this.#grow();
    // Almost always the newest: appended. A job back in the queue (released, requeued) keeps its age.
    let k = this.#tail;
    while (k > this.#head && before(queuedAt, id, this.#subs[k - 1] as number, Math.abs(this.#ids[k - 1] as number))) k--;
    if (k < this.#tail) {
      this.#subs.copyWithin(k + 1, k, this.#tail);
      this.#ids.copyWithin(k + 1, k, this.#tail);
    }
    this.#subs[k] = queuedAt;
    this.#ids[k] = id;
    this.#tail++;
    this.#size++;
  }

  /** Removes the member; false if it is not one. */
  remove(id: number, queuedAt: number): boolean {
    const k = this.#find(id, queuedAt);
    if (k < 0) return false;
    this.#ids[k] = -id;
    this.#size--;
    while (this.#head < this.#tail && (this.#ids[this.#head] as number) < 0) this.#head++;
    while (this.#tail > this.#head && (this.#ids[this.#tail - 1] as number) < 0) this.#tail--;
    return true;
  }

  #find(id: number, queuedAt: number): number {
    let lo = this.#head;
    let hi = this.#tail - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.#subs[mid] as number;
      const i = Math.abs(this.#ids[mid] as number);
      if (s === queuedAt && i === id) return (this.#ids[mid] as number) > 0 ? mid : -1;
      if (before(s, i, queuedAt, id)) lo = mid + 1;
      else hi = mid - 1;
    }
    // NaN times (never written by GoDocker) are not ordered: look for the id itself.
    if (Number.isNaN(queuedAt)) {
      for (let k = this.#head; k < this.#tail; k++) if (this.#ids[k] === id) return k;
    }
    return -1;
  }

  /** Doubles the room, or packs the live members down when holes take half of it. */
  #grow(): void {
    const live = this.#size;
    const capacity = live * 2 > this.#ids.length ? this.#ids.length * 2 : this.#ids.length;
    const subs = new Float64Array(Math.max(MIN_CAPACITY, capacity));
    const ids = new Float64Array(subs.length);
    let n = 0;
    for (let k = this.#head; k < this.#tail; k++) {
      const id = this.#ids[k] as number;
      if (id <= 0) continue;
      subs[n] = this.#subs[k] as number;
      ids[n] = id;
      n++;
    }
    this.#subs = subs;
    this.#ids = ids;
    this.#head = 0;
    this.#tail = n;
  }
}

/** (s1, i1) strictly before (s2, i2): older first, then lower id (the engine's tie-break). */
function before(s1: number, i1: number, s2: number, i2: number): boolean {
  return s1 < s2 || (s1 === s2 && i1 < i2) || (Number.isNaN(s2) && !Number.isNaN(s1));
}

/** What makes two pending jobs interchangeable to the engine, but for their age. */
export function classKey(job: Job): string {
  const r = job.requirements;
  const labels = Object.keys(r.labels)
    .sort()
    .map((k) => [k, r.labels[k]]);
  const deps = job.dependencies.map((d) => `${d.type}:${d.jobId}`);
  return JSON.stringify([
    job.user.name,
    job.project,
    job.priority,
    r.cpu,
    r.ram,
    r.gpus,
    r.timeLimit,
    labels,
    job.parentId,
    deps,
    job.beginAt ?? null,
    // The ports themselves, not their count: the runtime gives a started member the host ports of its class's.
    (job.container.ports ?? []).map((p) => `${p.containerPort}/${p.protocol}`),
  ]);
}

/**
 * When a job joined the queue as the engine counts it, in ms: its submission, or its begin
 * time if that came later (it ages from then). NaN if unreadable (the engine then counts it
 * as submitted now). The order of a class's members, and their age.
 */
export function queuedMs(job: Job): number {
  const submitted = isoToMillis(job.status.submittedAt);
  const begin = job.beginAt === undefined ? Number.NaN : isoToMillis(job.beginAt);
  // Not Math.max: a job without a begin time (NaN) keeps its submission.
  if (begin > submitted) return begin;
  return submitted;
}

export class PendingQueue {
  readonly #classes = new Map<string, JobClass>();
  /** Classes waiting for a job to end, by the id of that job. */
  readonly #waitingOn = new Map<number, Set<JobClass>>();
  readonly #beginLater = new Set<JobClass>();
  #size = 0;

  /** Members of every class, waiting apart or not. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds a pending job (not an array's parent, not held). `states` holds the states of the
   * jobs it depends on (a job missing there does not exist). Returns what dooms it when one
   * of its dependencies can never be met: then it is not queued, and the caller fails it.
   */
  add(job: Job, states: DependencyStates, now: number): DoomedJobs | null {
    const key = classKey(job);
    let c = this.#classes.get(key);
    if (!c) {
      const never = neverMet(job.dependencies, states);
      if (never) return { ids: [job.id], ...never };
      const begin = job.beginAt === undefined ? Number.NaN : isoToMillis(job.beginAt);
      c = new JobClass(key, job, begin);
      for (const d of job.dependencies) {
        const s = states.get(d.jobId);
        if (s !== undefined) c.depStates.set(d.jobId, s);
      }
      this.#classes.set(key, c);
      this.#settle(c, now);
    }
    c.add(job.id, queuedMs(job));
    this.#size++;
    return null;
  }

  /** Takes a job out (it started, was held, killed...); false if it was not queued. */
  remove(job: Job): boolean {
    const c = this.#classes.get(classKey(job));
    if (!c?.remove(job.id, queuedMs(job))) return false;
    this.#size--;
    if (c.size === 0) this.#drop(c);
    return true;
  }

  /** The class a queued job belongs to (whether or not it is still a member). */
  classOf(job: Job): JobClass | undefined {
    return this.#classes.get(classKey(job));
  }

  /** Whether some queued job depends on this one: then its state changes must be told. */
  isDependedOn(jobId: number): boolean {
    return this.#waitingOn.has(jobId);
  }

  /**
   * A job that queued jobs depend on changed state (or is gone: `undefined`). Classes whose
   * dependencies are now all met join the pass (or wait for their begin time); those with one
   * that can never be met leave the queue, and are returned for the caller to fail.
   */
  dependencyChanged(jobId: number, state: JobState | undefined, now: number): DoomedJobs[] {
    const waiting = this.#waitingOn.get(jobId);
    if (!waiting) return [];
    const doomed: DoomedJobs[] = [];
    for (const c of [...waiting]) {
      if (state === undefined) c.depStates.delete(jobId);
      else c.depStates.set(jobId, state);
      const never = neverMet(c.template.dependencies, c.depStates);
      if (never) {
        const ids = Array.from(c.members(), (m) => m.id);
        this.#size -= ids.length;
        this.#drop(c);
        doomed.push({ ids, ...never });
      } else this.#settle(c, now);
    }
    return doomed;
  }

  /** Classes whose begin time has come join the pass. */
  promoteDue(now: number): void {
    for (const c of this.#beginLater) if (!(c.beginAt > now)) this.#settle(c, now);
  }

  /** The earliest begin time still ahead among waiting classes (ms), or null. */
  nextBeginAt(now: number): number | null {
    let next = Number.POSITIVE_INFINITY;
    for (const c of this.#beginLater) if (c.beginAt > now && c.beginAt < next) next = c.beginAt;
    return next === Number.POSITIVE_INFINITY ? null : next;
  }

  /** Classes that may start now, as of the last `promoteDue`. */
  *eligible(): Iterable<JobClass> {
    for (const c of this.#classes.values()) if (c.status === 'eligible') yield c;
  }

  #settle(c: JobClass, now: number): void {
    this.#unlink(c);
    if (dependenciesStatus(c.template.dependencies, c.depStates) !== DEPENDENCIES_MET) {
      c.status = 'dependencies';
      for (const d of c.template.dependencies) {
        // A job depended on only changes status when it ends: watch those still running or waiting.
        let set = this.#waitingOn.get(d.jobId);
        if (!set) {
          set = new Set();
          this.#waitingOn.set(d.jobId, set);
        }
        set.add(c);
      }
    } else if (c.beginAt > now) {
      c.status = 'begin';
      this.#beginLater.add(c);
    } else c.status = 'eligible';
  }

  #unlink(c: JobClass): void {
    this.#beginLater.delete(c);
    for (const d of c.template.dependencies) {
      const set = this.#waitingOn.get(d.jobId);
      if (!set) continue;
      set.delete(c);
      if (set.size === 0) this.#waitingOn.delete(d.jobId);
    }
  }

  #drop(c: JobClass): void {
    this.#unlink(c);
    this.#classes.delete(c.key);
  }
}
