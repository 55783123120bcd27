/**
 * Host ports as a node resource: each node has a pool (the `ports` config, or its
 * executor's), the engine counts how many of it are free, and when a job is placed
 * the runtime picks which ones, from what the running jobs hold as the store has it
 * (their `status.ports`), so a restarted daemon never hands out a port still in use.
 */
import { EXECUTOR_LABEL, type HostPort, type Job, type JobPort, type NodeInfo, type PortPool } from '@godocker/sdk';
import type { GodockerConfig, PortPoolConfig } from '../config/config-schema.js';

/** The pool config of a node: its executor's own, else the top-level one. */
export function poolConfigOf(node: Pick<NodeInfo, 'labels'>, config: GodockerConfig): PortPoolConfig {
  const executor = node.labels[EXECUTOR_LABEL];
  const own = executor === undefined ? undefined : config.executors?.find((e) => e.name === executor)?.ports;
  return own ?? config.ports;
}

/**
 * The nodes with their pools; a node whose executor cannot publish ports gets none, so a
 * job asking for ports is never placed there. Nodes that already say theirs keep it.
 */
export function withPortPools(
  nodes: readonly NodeInfo[],
  config: GodockerConfig,
  publishes: (node: NodeInfo) => boolean,
): NodeInfo[] {
  return nodes.map((n) => {
    if (n.ports !== undefined || !publishes(n)) return n;
    const { start, range } = poolConfigOf(n, config);
    return { ...n, ports: { start, range } };
  });
}

/** "20000-20099" */
export function poolText(pool: PortPool): string {
  return `${pool.start}-${pool.start + pool.range - 1}`;
}

/** The container ports a job asks for (none on documents stored before ports existed). */
export function portsOf(job: Pick<Job, 'container'>): readonly JobPort[] {
  return job.container.ports ?? [];
}

/** Host ports held on each node by these jobs (running or suspended). */
export function portsInUse(active: Iterable<Job>): Map<string, Set<number>> {
  const used = new Map<string, Set<number>>();
  for (const job of active) {
    for (const p of job.status.ports ?? []) {
      let set = used.get(p.node);
      if (!set) {
        set = new Set();
        used.set(p.node, set);
      }
      set.add(p.hostPort);
    }
  }
  return used;
}

/**
 * The lowest free ports of the node's pool for the job's container ports, marked taken in
 * `used`; null when the pool has not enough left (the caller leaves the job pending).
 */
export function allocatePorts(
  job: Pick<Job, 'container'>,
  node: NodeInfo,
  used: Map<string, Set<number>>,
  bindAddress: string | undefined,
): HostPort[] | null {
  const wanted = portsOf(job);
  if (wanted.length === 0) return [];
  const pool = node.ports;
  if (!pool) return null;
  let taken = used.get(node.name);
  if (!taken) {
    taken = new Set();
    used.set(node.name, taken);
  }
  const chosen: number[] = [];
  for (let port = pool.start; port < pool.start + pool.range && chosen.length < wanted.length; port++) {
    if (!taken.has(port)) chosen.push(port);
  }
  if (chosen.length < wanted.length) return null;
  for (const port of chosen) taken.add(port);
  return wanted.map((p, i) => ({
    containerPort: p.containerPort,
    protocol: p.protocol,
    hostPort: chosen[i] as number,
    node: node.name,
    ...(bindAddress === undefined ? {} : { hostIp: bindAddress }),
  }));
}
