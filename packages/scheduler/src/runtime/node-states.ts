/**
 * Which nodes are down, since when, and when their jobs count as lost. A node whose backend
 * stops answering (one Docker engine of several, a Kubernetes node gone NotReady) may come
 * back in seconds, its containers still running: its jobs are left alone for
 * `failurePolicy.nodeLostSeconds`, as Slurm waits SlurmdTimeout before it requeues a node's
 * jobs. Past that they go through the failure policy.
 */
import type { NodeInfo } from '@godocker/sdk';

export interface NodeChanges {
  /** Down at the last reading, ready now: their leftovers must be reconciled. */
  returned: string[];
  wentDown: string[];
}

export class NodeStates {
  readonly #downSince = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly lostMs: number,
    private readonly onLost: (node: string, downForMs: number) => void,
  ) {}

  /** Takes a fresh reading of the executor's nodes; a node it no longer reports is no longer tracked. */
  update(nodes: readonly NodeInfo[], now: number): NodeChanges {
    const changes: NodeChanges = { returned: [], wentDown: [] };
    const seen = new Set<string>();
    for (const n of nodes) {
      seen.add(n.name);
      const down = n.state === 'down';
      const was = this.#downSince.has(n.name);
      if (down && !was) {
        this.#downSince.set(n.name, now);
        changes.wentDown.push(n.name);
        this.#arm(n.name, this.lostMs);
      } else if (!down && was) {
        this.#forget(n.name);
        changes.returned.push(n.name);
      }
    }
    for (const name of [...this.#downSince.keys()]) if (!seen.has(name)) this.#forget(name);
    return changes;
  }

  downSince(node: string): number | undefined {
    return this.#downSince.get(node);
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #arm(node: string, ms: number): void {
    clearTimeout(this.#timers.get(node));
    const timer = setTimeout(() => {
      this.#timers.delete(node);
      const since = this.#downSince.get(node);
      if (since !== undefined) this.onLost(node, Date.now() - since);
    }, ms);
    timer.unref();
    this.#timers.set(node, timer);
  }

  #forget(node: string): void {
    this.#downSince.delete(node);
    clearTimeout(this.#timers.get(node));
    this.#timers.delete(node);
  }
}
