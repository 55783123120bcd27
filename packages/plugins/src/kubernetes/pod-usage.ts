/**
 * A pod's usage from its node's kubelet stats summary (`GET /api/v1/nodes/NODE/proxy/stats/summary`,
 * the API the metrics-server reads), which holds every pod of the node in one answer:
 *
 * - cpu: the containers' `cpu.usageCoreNanoSeconds`, summed. The pod-level figures are not used:
 *   a kubelet on cgroup v1 with containerd's CRI stats reports them as zeroes (seen on the test
 *   cluster, recorded in test/fixtures/kubelet-summary.json);
 * - memory: the containers' `memory.workingSetBytes` (what the kubelet evicts and the OOM killer
 *   judge by: usage less the inactive page cache), summed; the summary keeps no peak, so the
 *   peak is the highest reading (usage-series.ts);
 * - network: the pod's `network` (its interfaces summed), absent for a pod on the host network or a
 *   runtime that does not report it;
 * - block io: the summary has no byte counts, so null.
 *
 * The answer comes from the cluster, so every field is checked: anything missing or odd is null.
 * A container whose counters are all zero is left out (one that has just ended reads so).
 */
import type { UsageSample } from '@godocker/sdk';

type Json = Record<string, unknown>;

function obj(value: unknown): Json | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function time(value: unknown): number | null {
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(t) && t > 0 ? t : null;
}

/** Sums a field over entries; null when no entry has it. */
function sum(entries: readonly (Json | null)[], read: (e: Json | null) => number | null): number | null {
  let total: number | null = null;
  for (const e of entries) {
    const v = read(e);
    if (v !== null) total = (total ?? 0) + v;
  }
  return total;
}

function network(stats: Json | null): { rx: number | null; tx: number | null } {
  if (stats === null) return { rx: null, tx: null };
  // `interfaces` lists every one; without it, the top-level counters are the default interface's.
  const interfaces = Array.isArray(stats.interfaces) ? stats.interfaces.map(obj) : [stats];
  return { rx: sum(interfaces, (i) => num(i?.rxBytes)), tx: sum(interfaces, (i) => num(i?.txBytes)) };
}

/** The pod `name` of `namespace` in a stats summary; null when the node does not list it or lists no container of it. */
export function usageOfPodSummary(summary: unknown, namespace: string, name: string): UsageSample | null {
  const pods = obj(summary)?.pods;
  if (!Array.isArray(pods)) return null;
  const pod = pods.map(obj).find((p) => {
    const ref = obj(p?.podRef);
    return ref?.namespace === namespace && ref?.name === name;
  });
  // A container that has just ended is still listed for a moment, its counters all zero (its cgroup
  // is gone): a reading of it would take the job's cpu seconds back to nothing. One that runs has
  // used some cpu and holds some memory.
  const containers = (Array.isArray(pod?.containers) ? pod.containers.map(obj) : []).filter(
    (c) => (num(obj(c?.cpu)?.usageCoreNanoSeconds) ?? 0) > 0 || (num(obj(c?.memory)?.workingSetBytes) ?? 0) > 0,
  );
  if (!pod || containers.length === 0) return null;
  const cpu = containers.map((c) => obj(c?.cpu));
  const memory = containers.map((c) => obj(c?.memory));
  const at = Math.max(...[...cpu, ...memory].map((s) => time(s?.time) ?? 0));
  if (at <= 0) return null;
  const cpuNs = sum(cpu, (s) => num(s?.usageCoreNanoSeconds));
  const net = network(obj(pod.network));
  return {
    at: new Date(at).toISOString(),
    cpuSeconds: cpuNs === null ? null : cpuNs / 1e9,
    memoryBytes: sum(memory, (s) => num(s?.workingSetBytes)),
    peakMemoryBytes: null,
    readBytes: null,
    writeBytes: null,
    rxBytes: net.rx,
    txBytes: net.tx,
  };
}
