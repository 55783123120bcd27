/**
 * EASY backfill (Lifka's Argonne scheduler; Slurm's sched/backfill keeps the
 * same promise for its first job): the highest-priority job that cannot start
 * gets a *reservation* — the node and the earliest time at which enough of it
 * frees up, from the expected ends of the jobs on it (start + time limit, or
 * the configured maximum for jobs without one). A lower-priority job may then
 * start now only if it fits now and either ends (by its time limit) before the
 * reservation, or takes only resources the reservation does not need. So the
 * reserved job starts no later than promised, and the holes before it fill.
 *
 * One reservation per set of nodes: a waiting job whose nodes hold no
 * reservation yet gets one (with no labels, that is exactly one job, as in
 * EASY); jobs that need disjoint labelled nodes each get their own, so a big
 * job on the GPU nodes cannot be starved by small jobs there while the
 * reservation sits on the CPU nodes.
 */
import { CPU_EPSILON } from './quotas.js';

/** Resources a job on a node gives back at `end` (ms). */
export interface Release {
  end: number;
  cpu: number;
  ram: number;
  gpus: number;
  ports: number;
}

/** The expected releases of every node, in time order. */
export class Timeline {
  readonly #byNode: Release[][];

  constructor(nodeCount: number) {
    this.#byNode = Array.from({ length: nodeCount }, () => []);
  }

  add(k: number, release: Release): void {
    const list = this.#byNode[k];
    if (!list) return;
    // Lists are short (the jobs of one node) and mostly appended in time order.
    let i = list.length;
    while (i > 0 && (list[i - 1] as Release).end > release.end) i--;
    list.splice(i, 0, release);
  }

  releases(k: number): readonly Release[] {
    return this.#byNode[k] ?? [];
  }
}

export interface Free {
  cpu: number;
  ram: number;
  gpus: number;
  /** Host ports of the node's pool. */
  ports: number;
}

function covers(free: Free, cpu: number, ram: number, gpus: number, ports: number): boolean {
  return free.cpu + CPU_EPSILON >= cpu && free.ram >= ram && free.gpus >= gpus && free.ports >= ports;
}

/**
 * The earliest time (ms) at which a node with `freeNow` and these releases
 * has the request free; Infinity if it never will (it is too small, or the
 * jobs on it hold it forever).
 */
export function earliestStart(
  releases: readonly Release[],
  now: number,
  freeNow: Free,
  cpu: number,
  ram: number,
  gpus: number,
  ports: number,
): number {
  const f = { ...freeNow };
  if (covers(f, cpu, ram, gpus, ports)) return now;
  for (const r of releases) {
    f.cpu += r.cpu;
    f.ram += r.ram;
    f.gpus += r.gpus;
    f.ports += r.ports;
    // A job past its expected end is expected to end any moment: now.
    if (covers(f, cpu, ram, gpus, ports)) return Math.max(r.end, now);
  }
  return Number.POSITIVE_INFINITY;
}

/** What the node will have free at `at`: free now plus everything released by then. */
export function freeAt(releases: readonly Release[], at: number, freeNow: Free): Free {
  const f = { ...freeNow };
  for (const r of releases) {
    if (r.end > at) break;
    f.cpu += r.cpu;
    f.ram += r.ram;
    f.gpus += r.gpus;
    f.ports += r.ports;
  }
  return f;
}

/** A promise to a waiting job: this node, at this time. */
export class Reservation {
  /** What the node will have at `at` beyond the reserved job's needs: the room backfill may use past `at`. */
  readonly #extra: Free;

  constructor(
    /** Index of the job in the pass's pending list. */
    readonly job: number,
    readonly node: number,
    /** ms since the epoch. */
    readonly at: number,
    extra: Free,
  ) {
    this.#extra = { ...extra };
  }

  /**
   * Whether a job of this size, expected to end at `end`, may start on the
   * reserved node now without delaying the reservation; if it runs past the
   * reservation, it takes its part of the spare room.
   */
  admit(end: number, cpu: number, ram: number, gpus: number, ports: number): boolean {
    if (end <= this.at) return true;
    if (!covers(this.#extra, cpu, ram, gpus, ports)) return false;
    this.#extra.cpu -= cpu;
    this.#extra.ram -= ram;
    this.#extra.gpus -= gpus;
    this.#extra.ports -= ports;
    return true;
  }
}
