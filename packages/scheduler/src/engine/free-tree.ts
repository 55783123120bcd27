/**
 * A segment tree over a list of nodes that holds, for every range, the most
 * free cpu, ram, gpus and host ports of any one node in it. It answers "the first node
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
/** Numbers per remembered refusal. */
const W = 5;

export class FreeTree {
  /** Leaves: a power of two at least the node count; unused leaves hold -Infinity. */
  readonly #size: number;
  readonly #cpu: Float64Array;
  readonly #ram: Float64Array;
  readonly #gpus: Float64Array;
  readonly #ports: Float64Array;
  /** Refused requests since the last change, 5 numbers each: cpu, ram, gpus, ports, from. */
  readonly #refused = new Float64Array(W * MEMORY);
  #refusedCount = 0;

  constructor(leaves: number) {
    let size = 1;
    while (size < leaves) size *= 2;
    this.#size = size;
    this.#cpu = new Float64Array(2 * size).fill(Number.NEGATIVE_INFINITY);
    this.#ram = new Float64Array(2 * size).fill(Number.NEGATIVE_INFINITY);
    this.#gpus = new Float64Array(2 * size).fill(Number.NEGATIVE_INFINITY);
    this.#ports = new Float64Array(2 * size).fill(Number.NEGATIVE_INFINITY);
  }

  /** Sets a leaf without updating the ranges above it; call `rebuild` after a batch. */
  setLeafOnly(pos: number, cpu: number, ram: number, gpus: number, ports: number): void {
    const x = pos + this.#size;
    this.#cpu[x] = cpu;
    this.#ram[x] = ram;
    this.#gpus[x] = gpus;
    this.#ports[x] = ports;
  }

  rebuild(): void {
    this.#refusedCount = 0;
    for (let x = this.#size - 1; x >= 1; x--) this.#pull(x);
  }

  set(pos: number, cpu: number, ram: number, gpus: number, ports: number): void {
    this.#refusedCount = 0;
    let x = pos + this.#size;
    this.#cpu[x] = cpu;
    this.#ram[x] = ram;
    this.#gpus[x] = gpus;
    this.#ports[x] = ports;
    for (x >>= 1; x >= 1; x >>= 1) this.#pull(x);
  }

  #pull(x: number): void {
    const l = 2 * x;
    const r = l + 1;
    this.#cpu[x] = Math.max(this.#cpu[l] as number, this.#cpu[r] as number);
    this.#ram[x] = Math.max(this.#ram[l] as number, this.#ram[r] as number);
    this.#gpus[x] = Math.max(this.#gpus[l] as number, this.#gpus[r] as number);
    this.#ports[x] = Math.max(this.#ports[l] as number, this.#ports[r] as number);
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

  get maxPorts(): number {
    return this.#ports[1] as number;
  }

  /** Whether some range maxima allow the request: false means no node at all can hold it. */
  mayFit(cpu: number, ram: number, gpus: number, ports = 0): boolean {
    return (
      (this.#cpu[1] as number) + EPS >= cpu &&
      (this.#ram[1] as number) >= ram &&
      (this.#gpus[1] as number) >= gpus &&
      (this.#ports[1] as number) >= ports
    );
  }

  /** The first position at or after `from` whose node has the request free, or -1. */
  firstFit(cpu: number, ram: number, gpus: number, ports: number, from = 0): number {
    if (!this.mayFit(cpu, ram, gpus, ports) || this.#knownRefused(cpu, ram, gpus, ports, from)) return -1;
    const pos = this.#find(1, 0, this.#size, cpu - EPS, ram, gpus, ports, from);
    if (pos < 0) this.#remember(cpu, ram, gpus, ports, from);
    return pos;
  }

  #knownRefused(cpu: number, ram: number, gpus: number, ports: number, from: number): boolean {
    const m = this.#refused;
    for (let e = 0; e < W * this.#refusedCount; e += W) {
      if (
        (m[e] as number) <= cpu &&
        (m[e + 1] as number) <= ram &&
        (m[e + 2] as number) <= gpus &&
        (m[e + 3] as number) <= ports &&
        (m[e + 4] as number) <= from
      ) {
        return true;
      }
    }
    return false;
  }

  #remember(cpu: number, ram: number, gpus: number, ports: number, from: number): void {
    const m = this.#refused;
    // Drop what the new refusal covers, then keep it (over the oldest when full).
    let kept = 0;
    for (let e = 0; e < W * this.#refusedCount; e += W) {
      if (
        (m[e] as number) >= cpu &&
        (m[e + 1] as number) >= ram &&
        (m[e + 2] as number) >= gpus &&
        (m[e + 3] as number) >= ports &&
        (m[e + 4] as number) >= from
      ) {
        continue;
      }
      m.copyWithin(kept, e, e + W);
      kept += W;
    }
    if (kept === W * MEMORY) {
      m.copyWithin(0, W, W * MEMORY);
      kept -= W;
    }
    m[kept] = cpu;
    m[kept + 1] = ram;
    m[kept + 2] = gpus;
    m[kept + 3] = ports;
    m[kept + 4] = from;
    this.#refusedCount = kept / W + 1;
  }

  #find(x: number, lo: number, span: number, cpu: number, ram: number, gpus: number, ports: number, from: number): number {
    if (lo + span <= from) return -1;
    if (
      (this.#cpu[x] as number) < cpu ||
      (this.#ram[x] as number) < ram ||
      (this.#gpus[x] as number) < gpus ||
      (this.#ports[x] as number) < ports
    ) {
      return -1;
    }
    if (span === 1) return lo;
    const half = span / 2;
    const left = this.#find(2 * x, lo, half, cpu, ram, gpus, ports, from);
    if (left >= 0) return left;
    return this.#find(2 * x + 1, lo + half, half, cpu, ram, gpus, ports, from);
  }
}
