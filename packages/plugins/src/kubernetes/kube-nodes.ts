/**
 * The cluster's nodes as GoDocker sees them: what each can still give GoDocker's jobs (its
 * allocatable resources less what other pods request there), its labels, and whether it takes work.
 */
import { type NodeInfo, TASK_LABELS } from '@godocker/sdk';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
// Not re-exported by the package's index; the version is pinned exactly (TOOLCHAIN.md).
import { quantityToScalar, totalForResource } from '@kubernetes/client-node/dist/util.js';

const MIB = 1024 * 1024;

function scalar(quantity: string | undefined): number {
  if (quantity === undefined) return 0;
  try {
    return Number(quantityToScalar(quantity));
  } catch {
    return 0;
  }
}

/** A pod that holds resources on its node: placed there and not ended. */
function holds(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec?.nodeName) && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Pods GoDocker does not count itself: the daemon accounts for its own jobs. */
export function isOtherPod(pod: V1Pod, clusterId: string): boolean {
  return pod.metadata?.labels?.[TASK_LABELS.cluster] !== clusterId;
}

interface Requested {
  cpu: number;
  ram: number;
  gpus: number;
}

export function requestsByNode(pods: readonly V1Pod[], gpuResource: string): Map<string, Requested> {
  const byNode = new Map<string, Requested>();
  for (const pod of pods) {
    if (!holds(pod)) continue;
    const node = pod.spec?.nodeName as string;
    const r = byNode.get(node) ?? { cpu: 0, ram: 0, gpus: 0 };
    r.cpu += Number(totalForResource(pod, 'cpu').request);
    r.ram += Number(totalForResource(pod, 'memory').request) / MIB;
    r.gpus += Number(totalForResource(pod, gpuResource).request);
    byNode.set(node, r);
  }
  return byNode;
}

/**
 * A node that is not Ready is down (its jobs go through the failure policy if it stays so); one
 * cordoned (`kubectl cordon`, spec.unschedulable) is drained: nothing new goes there, what runs goes on.
 */
export function stateOf(node: V1Node): Pick<NodeInfo, 'state' | 'reason'> {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return { state: 'down', reason: 'its kubelet has not reported yet' };
  if (ready.status !== 'True') return { state: 'down', reason: `NotReady: ${ready.message ?? ready.reason ?? ready.status}` };
  if (node.spec?.unschedulable) return { state: 'drained', reason: 'cordoned (kubectl cordon: spec.unschedulable)' };
  return {};
}

export function nodeInfos(nodes: readonly V1Node[], others: Map<string, Requested>, gpuResource: string): NodeInfo[] {
  return nodes
    .filter((n) => n.metadata?.name)
    .map((n) => {
      const name = n.metadata?.name as string;
      const allocatable = n.status?.allocatable ?? {};
      const used = others.get(name) ?? { cpu: 0, ram: 0, gpus: 0 };
      // Millicores are kept: a node with 1900m left can take a job of 1.5 cpu.
      const total = {
        cpu: Math.round(scalar(allocatable.cpu) * 1000) / 1000,
        ram: Math.floor(scalar(allocatable.memory) / MIB),
        gpus: Math.floor(scalar(allocatable[gpuResource])),
      };
      return {
        name,
        cpu: Math.max(0, Math.round((total.cpu - used.cpu) * 1000) / 1000),
        ram: Math.max(0, total.ram - used.ram),
        gpus: Math.max(0, total.gpus - used.gpus),
        total,
        labels: { ...(n.metadata?.labels ?? {}) },
        ...stateOf(n),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What of a node GoDocker looks at: a heartbeat alone changes nothing. */
export function nodeFingerprint(node: V1Node): string {
  return JSON.stringify([
    node.metadata?.labels,
    node.spec?.unschedulable,
    node.status?.allocatable,
    node.status?.conditions?.find((c) => c.type === 'Ready')?.status,
  ]);
}
