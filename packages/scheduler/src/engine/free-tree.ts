/**
 * A segment tree over a list of nodes that holds, for every range, the most
 * free cpu, ram and gpus of any one node in it. It answers "the first node
 * (from a position on) with at least this much of each" by walking down only
 * into ranges whose maxima could hold the request, so a full cluster says no
 * at the root in O(1) and a placement costs O(log nodes), not a scan.
 *
 * The maxima of a range may come from different nodes (one with cpu, another
 * with ram), so the walk can enter a range that has no fitting node and back
 * out. When the cluster is nearly full that happens a lot (cpu left on one
 * node, ram on another), and every remaining job would walk the tree for
 * nothing. So the tree remembers the requests it turned away since it last
 * changed: a request at least as large as one of them (from a position at
 * least as far) is turned away at once. A pass over 100,000 jobs asks a few
 * dozen distinct sizes, so once the cluster is full nearly every answer comes
 * from that memory.
 */
import { CPU_EPSILON } from './quotas.js';

/** Read once: under vite-node every use of an imported name is a getter call. */
const EPS = CPU_EPSILON;

/** Refused requests remembered; the sizes of a queue are few, and the smallest refusals cover the rest. */
const MEMORY = 16;

export class FreeTree {
  /** Leaves: a power of two at least the node count; unused leaves hold -Infinity. */
  readonly #size: number;
  readonly #cpu: Float64Array;
  readonly #ram: Float64Array;
  readonly #gpus: Float64Array;
  /** Refused requests since the last change, 4 numbers each: cpu, ram, gpus, from. */
  readonly #refused = new Float64Array(4 * MEMORY);
  #refusedCount = 0;

  constructor(leaves: number) {
    let size = 1;
    while (size < leaves) size *= 2;
    this.#size = size;
    this.#cpu = new Float64Array(2 * size).fill(Number.NEGATIVE_INFINITY);
    this.#ram = new Float64Array(2 * size).fill(Number.NEGATIVE_INFINITY);
    this.#gpus = new Float64Array(2 * size).fill(Number.NEGATIVE_INFINITY);
  }

  /** Sets a leaf without updating the ranges above it; call `rebuild` after a batch. */
  setLeafOnly(pos: number, cpu: number, ram: number, gpus: number): void {
    const x = pos + this.#size;
    this.#cpu[x] = cpu;
    this.#ram[x] = ram;
    this.#gpus[x] = gpus;
  }

  rebuild(): void {
    this.#refusedCount = 0;
    for (let x = this.#size - 1; x >= 1; x--) this.#pull(x);
  }

  set(pos: number, cpu: number, ram: number, gpus: number): void {
    this.#refusedCount = 0;
    let x = pos + this.#size;
    this.#cpu[x] = cpu;
    this.#ram[x] = ram;
    this.#gpus[x] = gpus;
    for (x >>= 1; x >= 1; x >>= 1) this.#pull(x);
  }

  #pull(x: number): void {
    const l = 2 * x;
    const r = l + 1;
    this.#cpu[x] = Math.max(this.#cpu[l] as number, this.#cpu[r] as number);
    this.#ram[x] = Math.max(this.#ram[l] as number, this.#ram[r] as number);
    this.#gpus[x] = Math.max(this.#gpus[l] as number, this.#gpus[r] as number);
  }

  get maxCpu(): number {
    return this.#cpu[1] as number;
  }

  get maxRam(): number {
    return this.#ram[1] as number;
  }

  get maxGpus(): number {
    return this.#gpus[1] as number;
  }

  /** Whether some range maxima allow the request: false means no node at all can hold it. */
  mayFit(cpu: number, ram: number, gpus: number): boolean {
    return (this.#cpu[1] as number) + EPS >= cpu && (this.#ram[1] as number) >= ram && (this.#gpus[1] as number) >= gpus;
  }

  /** The first position at or after `from` whose node has the request free, or -1. */
  firstFit(cpu: number, ram: number, gpus: number, from = 0): number {
    if (!this.mayFit(cpu, ram, gpus) || this.#knownRefused(cpu, ram, gpus, from)) return -1;
    const pos = this.#find(1, 0, this.#size, cpu - EPS, ram, gpus, from);
    if (pos < 0) this.#remember(cpu, ram, gpus, from);
    return pos;
  }

  #knownRefused(cpu: number, ram: number, gpus: number, from: number): boolean {
    const m = this.#refused;
    for (let e = 0; e < 4 * this.#refusedCount; e += 4) {
      if (
        (m[e] as number) <= cpu &&
        (m[e + 1] as number) <= ram &&
        (m[e + 2] as number) <= gpus &&
        (m[e + 3] as number) <= from
      ) {
        return true;
      }
    }
    return false;
  }

  #remember(cpu: number, ram: number, gpus: number, from: number): void {
    const m = this.#refused;
    // Drop what the new refusal covers, then keep it (over the oldest when full).
    let kept = 0;
    for (let e = 0; e < 4 * this.#refusedCount; e += 4) {
      if (
        (m[e] as number) >= cpu &&
        (m[e + 1] as number) >= ram &&
        (m[e + 2] as number) >= gpus &&
        (m[e + 3] as number) >= from
      ) {
        continue;
      }
      m.copyWithin(kept, e, e + 4);
      kept += 4;
    }
    if (kept === 4 * MEMORY) {
      m.copyWithin(0, 4, 4 * MEMORY);
      kept -= 4;
    }
    m[kept] = cpu;
    m[kept + 1] = ram;
    m[kept + 2] = gpus;
    m[kept + 3] = from;
    this.#refusedCount = kept / 4 + 1;
  }

  #find(x: number, lo: number, span: number, cpu: number, ram: number, gpus: number, from: number): number {
    if (lo + span <= from) return -1;
    if ((this.#cpu[x] as number) < cpu || (this.#ram[x] as number) < ram || (this.#gpus[x] as number) < gpus) return -1;
    if (span === 1) return lo;
    const half = span / 2;
    const left = this.#find(2 * x, lo, half, cpu, ram, gpus, from);
    if (left >= 0) return left;
    return this.#find(2 * x + 1, lo + half, half, cpu, ram, gpus, from);
  }
}
