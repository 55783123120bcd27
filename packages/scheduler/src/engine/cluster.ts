/**
 * The nodes during a pass: what is free on each, indexed for fast placement.
 *
 * Jobs that ask for the same labels share a *pool*: the nodes that carry those
 * labels, in the executor's order, with three trees over them (`FreeTree`):
 *
 * - `free`: resources actually free now;
 * - `open`: what a lower-priority job may take — the same as `free` with
 *   backfill; without backfill, the nodes claimed by a higher-priority job
 *   that waits for resources are closed (strict priority order);
 * - `capacity`: the nodes' sizes, to tell "not now" from "never".
 *
 * Placement is first fit in node order. First fit packs the first nodes and
 * keeps the last ones whole for large jobs, which is most of what best fit
 * buys; and it is what a tree answers in O(log nodes), where best fit would
 * need a search over sizes. Most jobs ask for no labels, so most passes have
 * one pool; a job with labels costs a pool build (O(nodes)) the first time
 * its label set is seen in the pass.
 */
import type { NodeInfo } from '@godocker/sdk';
import { FreeTree } from './free-tree.js';
import { CPU_EPSILON } from './quotas.js';

export class Pool {
  readonly free: FreeTree;
  readonly open: FreeTree;
  readonly capacity: FreeTree;
  /** Pools that share a node with this one, itself included. */
  readonly overlaps: Pool[] = [];
  /** The first job (pending index) waiting for resources in a pool sharing nodes with this one; -1 if none. */
  waiter = -1;
  /** Some node of this pool carries a backfill reservation. */
  reserved = false;
  /** A node that was big enough for the last "could it ever fit" question: most jobs ask the same. */
  lastBigEnough = -1;

  constructor(
    readonly index: number,
    readonly labels: Readonly<Record<string, string>>,
    /** Node indexes, in cluster order. */
    readonly nodes: Int32Array,
    strict: boolean,
  ) {
    this.free = new FreeTree(nodes.length);
    this.open = strict ? new FreeTree(nodes.length) : this.free;
    this.capacity = new FreeTree(nodes.length);
  }
}

/** How many host ports the node hands to jobs: its pool's size, 0 without one. */
export function portCapacity(node: NodeInfo): number {
  return node.ports?.range ?? 0;
}

/** Whether a label set asks for anything. */
export function hasKeys(o: Readonly<Record<string, string>>): boolean {
  for (const _key in o) return true;
  return false;
}

function labelKey(labels: Readonly<Record<string, string>>): string {
  if (!hasKeys(labels)) return '';
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether the node carries every label the job asks for (own keys only, values equal). */
export function carriesLabels(node: NodeInfo, labels: Readonly<Record<string, string>>): boolean {
  for (const k in labels) if (!Object.hasOwn(node.labels, k) || node.labels[k] !== labels[k]) return false;
  return true;
}

export class Cluster {
  readonly byName = new Map<string, number>();
  readonly freeCpu: Float64Array;
  readonly freeRam: Float64Array;
  readonly freeGpus: Float64Array;
  /** Host ports of each node's pool that no job holds. */
  readonly freePorts: Float64Array;
  /** Without backfill: the job (pending index) that closed each node to lower-priority jobs; -1 if open. */
  readonly claimedBy: Int32Array | null;
  readonly pools: Pool[] = [];
  /** Position of each node in each pool: posIn[pool][node], -1 when absent. */
  readonly #posIn: Int32Array[] = [];
  readonly #poolsByKey = new Map<string, Pool>();
  #poolsOfNode: Pool[][] = [];
  #sealed = false;

  constructor(
    readonly nodes: readonly NodeInfo[],
    readonly strict: boolean,
  ) {
    const n = nodes.length;
    this.freeCpu = new Float64Array(n);
    this.freeRam = new Float64Array(n);
    this.freeGpus = new Float64Array(n);
    this.freePorts = new Float64Array(n);
    this.claimedBy = strict ? new Int32Array(n).fill(-1) : null;
    nodes.forEach((node, k) => {
      // Two nodes of one name would be one node to the executor: the first counts.
      if (!this.byName.has(node.name)) this.byName.set(node.name, k);
      this.freeCpu[k] = node.cpu;
      this.freeRam[k] = node.ram;
      this.freeGpus[k] = node.gpus;
      this.freePorts[k] = portCapacity(node);
    });
  }

  /** Resources held by a running or suspended job; before `seal`. */
  hold(k: number, cpu: number, ram: number, gpus: number, ports: number): void {
    this.freeCpu[k] = (this.freeCpu[k] as number) - cpu;
    this.freeRam[k] = (this.freeRam[k] as number) - ram;
    this.freeGpus[k] = (this.freeGpus[k] as number) - gpus;
    this.freePorts[k] = (this.freePorts[k] as number) - ports;
  }

  /** The pool of the nodes carrying `labels`; before `seal`. */
  poolFor(labels: Readonly<Record<string, string>>): Pool {
    const key = labelKey(labels);
    const known = this.#poolsByKey.get(key);
    if (known) return known;
    if (this.#sealed) throw new Error('a pool was asked for after the cluster was sealed');
    const members: number[] = [];
    const pos = new Int32Array(this.nodes.length).fill(-1);
    this.nodes.forEach((node, k) => {
      if (this.byName.get(node.name) === k && carriesLabels(node, labels)) {
        pos[k] = members.length;
        members.push(k);
      }
    });
    const pool = new Pool(this.pools.length, labels, Int32Array.from(members), this.strict);
    this.pools.push(pool);
    this.#posIn.push(pos);
    this.#poolsByKey.set(key, pool);
    return pool;
  }

  /** Builds the trees and the overlaps; no pool may be added after. */
  seal(): void {
    this.#sealed = true;
    this.#poolsOfNode = this.nodes.map(() => []);
    for (const pool of this.pools) {
      pool.nodes.forEach((k, pos) => {
        (this.#poolsOfNode[k] as Pool[]).push(pool);
        const node = this.nodes[k] as NodeInfo;
        pool.capacity.setLeafOnly(pos, node.cpu, node.ram, node.gpus, portCapacity(node));
        const c = this.freeCpu[k] as number;
        const r = this.freeRam[k] as number;
        const g = this.freeGpus[k] as number;
        const p = this.freePorts[k] as number;
        pool.free.setLeafOnly(pos, c, r, g, p);
        if (pool.open !== pool.free) pool.open.setLeafOnly(pos, c, r, g, p);
      });
      pool.capacity.rebuild();
      pool.free.rebuild();
      if (pool.open !== pool.free) pool.open.rebuild();
    }
    const seen = new Set<number>();
    for (const pool of this.pools) {
      seen.clear();
      for (const k of pool.nodes) {
        for (const other of this.#poolsOfNode[k] as Pool[]) {
          if (seen.has(other.index)) continue;
          seen.add(other.index);
          pool.overlaps.push(other);
        }
      }
      if (!seen.has(pool.index)) pool.overlaps.push(pool);
    }
  }

  /** Node index of a pool position. */
  nodeAt(pool: Pool, pos: number): number {
    return pool.nodes[pos] as number;
  }

  /** A job starts on node k: its resources leave every pool the node is in. */
  place(k: number, cpu: number, ram: number, gpus: number, ports: number): void {
    const c = (this.freeCpu[k] as number) - cpu;
    const r = (this.freeRam[k] as number) - ram;
    const g = (this.freeGpus[k] as number) - gpus;
    const p = (this.freePorts[k] as number) - ports;
    this.freeCpu[k] = c;
    this.freeRam[k] = r;
    this.freeGpus[k] = g;
    this.freePorts[k] = p;
    const closed = this.claimedBy !== null && (this.claimedBy[k] as number) >= 0;
    for (const pool of this.#poolsOfNode[k] as Pool[]) {
      const pos = this.#posIn[pool.index]?.[k] as number;
      pool.free.set(pos, c, r, g, p);
      if (pool.open !== pool.free && !closed) pool.open.set(pos, c, r, g, p);
    }
  }

  /** Without backfill: every node of `pool` is closed to jobs after `job`. */
  claim(pool: Pool, job: number): void {
    const claimedBy = this.claimedBy;
    if (claimedBy === null) return;
    for (const k of pool.nodes) {
      if ((claimedBy[k] as number) >= 0) continue;
      claimedBy[k] = job;
      for (const p of this.#poolsOfNode[k] as Pool[]) {
        const pos = this.#posIn[p.index]?.[k] as number;
        const none = Number.NEGATIVE_INFINITY;
        p.open.set(pos, none, none, none, none);
      }
    }
  }

  /** Whether some node of the pool is big enough for the request when empty. */
  bigEnough(pool: Pool, cpu: number, ram: number, gpus: number, ports: number): boolean {
    const last = pool.lastBigEnough;
    if (last >= 0) {
      const node = this.nodes[last] as NodeInfo;
      if (node.cpu + CPU_EPSILON >= cpu && node.ram >= ram && node.gpus >= gpus && portCapacity(node) >= ports) return true;
    }
    const pos = pool.capacity.firstFit(cpu, ram, gpus, ports);
    if (pos < 0) return false;
    pool.lastBigEnough = pool.nodes[pos] as number;
    return true;
  }

  fitsNow(k: number, cpu: number, ram: number, gpus: number, ports: number): boolean {
    return (
      (this.freeCpu[k] as number) + CPU_EPSILON >= cpu &&
      (this.freeRam[k] as number) >= ram &&
      (this.freeGpus[k] as number) >= gpus &&
      (this.freePorts[k] as number) >= ports
    );
  }
}
