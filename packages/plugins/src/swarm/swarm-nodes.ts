/**
 * The swarm's nodes as the scheduler sees them, and the constraint that pins a task to the
 * node the scheduler chose.
 *
 * A node is named by its host name, which is what `docker node ls` shows and what admins
 * know. Host names need not be unique in a swarm: nodes that share one are named
 * `HOSTNAME/NODE_ID`, and their tasks are pinned by id.
 */
import type { NodeInfo } from '@godocker/sdk';
import type { SwarmNode } from './swarm-objects.js';

const MIB = 1024 * 1024;

/** Every node of the swarm (ready or not, so names stay put while one is down) by its name. */
export function nodesByName(nodes: readonly SwarmNode[]): Map<string, SwarmNode> {
  const count = new Map<string, number>();
  for (const n of nodes) count.set(n.hostname, (count.get(n.hostname) ?? 0) + 1);
  const named = new Map<string, SwarmNode>();
  for (const n of nodes)
    named.set((count.get(n.hostname) ?? 0) > 1 || n.hostname === '' ? `${n.hostname}/${n.id}` : n.hostname, n);
  return named;
}

export function nodeName(nodes: readonly SwarmNode[], id: string): string | null {
  for (const [name, n] of nodesByName(nodes)) if (n.id === id) return name;
  return null;
}

/**
 * Every node, with its state as the daemon counts it: a node that is not ready (its engine
 * stopped, its machine gone) is down, and its jobs go through the failure policy if it stays so
 * (Swarm does not restart them: their restart condition is none); one an admin drained or paused
 * (`docker node update --availability`) is drained: nothing new goes there.
 *
 * What the daemon should then expect of the jobs already there: on a paused node they go on, and
 * end as they end. On a drained one Swarm itself stops their tasks (desired state shutdown), not
 * the job nor GoDocker: this executor reads such a task as lost (task-outcome.ts, phaseOf), so
 * `status` says missing and the daemon sees a task that vanished, whose failure policy applies (a
 * requeue, to another node, if the job allows one). Draining a node is thus not a quiet way to empty it
 * under running jobs; pausing it is.
 */
export function nodeInfos(
  nodes: readonly SwarmNode[],
  capacity: { cpu: number | null; ram: number | null; gpus: number | null },
): NodeInfo[] {
  const infos: NodeInfo[] = [];
  for (const [name, n] of nodesByName(nodes)) {
    infos.push({
      name,
      cpu: capacity.cpu ?? n.nanoCpus / 1e9,
      ram: capacity.ram ?? Math.floor(n.memoryBytes / MIB),
      // Swarm reports GPUs only as generic resources an admin declared on each engine; this executor gives none.
      gpus: capacity.gpus ?? 0,
      labels: { ...n.labels },
      ...stateOf(n),
    });
  }
  return infos;
}

function stateOf(n: SwarmNode): Pick<NodeInfo, 'state' | 'reason'> {
  if (n.state !== 'ready') return { state: 'down', reason: `the swarm says the node is ${n.state || 'unknown'}` };
  if (n.availability !== 'active') {
    return { state: 'drained', reason: `availability ${n.availability} in the swarm (docker node update --availability)` };
  }
  return {};
}

/**
 * What `nodes()` answers, as one string: equal for two answers the daemon would take alike
 * (whatever the order of the nodes or of their labels). A node's update event comes for changes
 * the daemon does not see (its manager status, its certificate): compared by this, they are no change.
 */
export function nodesFingerprint(infos: readonly NodeInfo[]): string {
  const sorted = [...infos].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return JSON.stringify(
    sorted.map((n) => [
      n.name,
      n.cpu,
      n.ram,
      n.gpus,
      Object.entries(n.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      n.state ?? 'ready',
      n.reason ?? '',
    ]),
  );
}

/** The placement constraint for a node name of `nodesByName`. */
export function nodeConstraint(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? `node.id==${name.slice(slash + 1)}` : `node.hostname==${name}`;
}
