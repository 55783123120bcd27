/**
 * Options of the kubernetes executor, as an admin writes them in the daemon config, and their
 * validation. Every error names the offending key, because the admin reading it has only the
 * config file in front of them.
 */
import { ConfigError } from '@godocker/sdk';

export interface KubernetesExecutorOptions {
  /**
   * Path of a kubeconfig file. Absent: $KUBECONFIG, then the service account of the pod the daemon
   * runs in (in-cluster), then ~/.kube/config.
   */
  kubeconfig?: string;
  /** A context of the kubeconfig other than its current one. */
  context?: string;
  /** Use the in-cluster service account even when a kubeconfig is around. */
  inCluster?: boolean;
  /** Namespace the jobs run in; it must exist. Default "godocker". */
  namespace?: string;
  /**
   * Seconds between SIGTERM and SIGKILL when a job is stopped: the pods' terminationGracePeriodSeconds,
   * which the kubelet applies when it ends a pod. Default 10.
   */
  killGraceSeconds?: number;
  /**
   * A finished Job (and its pod and logs) is deleted by GoDocker once it has kept the logs; the
   * cluster's TTL controller deletes it after this many seconds if no daemon did (ttlSecondsAfterFinished).
   * Default 86400.
   */
  ttlSecondsAfterFinished?: number;
  /**
   * The daemon ends a job at its time limit and records why; the Job's activeDeadlineSeconds (the
   * time limit plus this many seconds) ends it even when no daemon is there to. Default 60.
   */
  deadlineSlackSeconds?: number;
  /** imagePullPolicy of the job's container. Default IfNotPresent. */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * Host folders (as the volume catalogue names them) that are a PersistentVolumeClaim in the cluster:
   * a mount at or under `hostPath` becomes that claim, with the rest of the path as its subPath.
   * Other mounts are hostPath volumes.
   */
  volumeClaims?: { hostPath: string; claim: string }[];
  /**
   * Mount the job's directory (jobsDir/ID) in its pod at /mnt/godocker: a hostPath on the node, or a
   * claim of `volumeClaims` that covers jobsDir. false where the pods cannot reach jobsDir (a daemon
   * in a pod with its data on an emptyDir): jobs then get no /mnt/godocker, and their directory holds
   * only the stdout and stderr the daemon collects. Default true.
   */
  mountJobDir?: boolean;
  /**
   * Subtract what pods that are not GoDocker's request on each node from the capacity GoDocker sees.
   * Needs the right to list pods of every namespace. Default true.
   */
  countOtherPods?: boolean;
  /** Name of the resource that counts GPUs. Default nvidia.com/gpu. */
  gpuResource?: string;
  /**
   * A pod the cluster's scheduler cannot place on the node GoDocker chose (its resources taken by
   * other workloads, a taint, a volume) for this many seconds is deleted, and its job goes back
   * to pending with the scheduler's reason. Default 60.
   */
  unschedulableSeconds?: number;
  /**
   * Where each running job's usage (cpu seconds, memory, network) is read from, every
   * `usage.sampleSeconds`: "kubelet" (default) asks the kubelet of the pod's node for its stats
   * summary, with the right `get` on `nodes/stats` (read only); "apiserver" asks the same through the
   * API server's node proxy, for a daemon that cannot reach the nodes, and needs `get` on
   * `nodes/proxy`, which reaches the kubelet's whole API (exec into any pod of the node included);
   * "off" reads nothing.
   */
  usageFrom?: 'kubelet' | 'apiserver' | 'off';
  /** PEM file of the CA that signed the kubelets' serving certificates. Default: the cluster's CA. */
  kubeletCaFile?: string;
  /**
   * Do not check the kubelets' serving certificates (kubelets with self-signed ones, as kubeadm
   * makes by default; the metrics-server's --kubelet-insecure-tls). Default false.
   */
  kubeletInsecureTls?: boolean;
}

export interface ResolvedKubernetesOptions {
  kubeconfig: string | null;
  context: string | null;
  inCluster: boolean;
  namespace: string;
  killGraceSeconds: number;
  ttlSecondsAfterFinished: number;
  deadlineSlackSeconds: number;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  volumeClaims: { hostPath: string; claim: string }[];
  mountJobDir: boolean;
  countOtherPods: boolean;
  gpuResource: string;
  unschedulableSeconds: number;
  usageFrom: 'kubelet' | 'apiserver' | 'off';
  kubeletCaFile: string | null;
  kubeletInsecureTls: boolean;
}

const KEYS = [
  'kubeconfig',
  'context',
  'inCluster',
  'namespace',
  'killGraceSeconds',
  'ttlSecondsAfterFinished',
  'deadlineSlackSeconds',
  'imagePullPolicy',
  'volumeClaims',
  'mountJobDir',
  'countOtherPods',
  'gpuResource',
  'unschedulableSeconds',
  'usageFrom',
  'kubeletCaFile',
  'kubeletInsecureTls',
] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const USAGE_FROM = ['kubelet', 'apiserver', 'off'] as const;
/** A namespace, a claim: a DNS-1123 label. */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PREFIX = 'executor.options';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(key: string, message: string): ConfigError {
  return new ConfigError(`kubernetes executor option ${key}: ${message}`, `${PREFIX}.${key}`);
}

function optionalString(raw: Record<string, unknown>, key: string): string | null {
  const value = raw[key];
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '') throw bad(key, 'must be a non-empty string');
  return value;
}

function optionalBoolean(raw: Record<string, unknown>, key: string): boolean | null {
  const value = raw[key];
  if (value === undefined) return null;
  if (typeof value !== 'boolean') throw bad(key, 'must be true or false');
  return value;
}

function optionalInteger(raw: Record<string, unknown>, key: string, min: number): number | null {
  const value = raw[key];
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw bad(key, `must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function volumeClaims(raw: unknown): { hostPath: string; claim: string }[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw bad('volumeClaims', 'must be a list like [{ hostPath: /data, claim: data }]');
  return raw.map((entry: unknown, i) => {
    const key = `volumeClaims[${i}]`;
    if (!isRecord(entry)) throw bad(key, 'must be { hostPath, claim }');
    const { hostPath, claim } = entry;
    if (typeof hostPath !== 'string' || !hostPath.startsWith('/')) throw bad(`${key}.hostPath`, 'must be an absolute path');
    if (typeof claim !== 'string' || !DNS_LABEL.test(claim)) {
      throw bad(`${key}.claim`, 'must be the name of a PersistentVolumeClaim of the namespace (lowercase letters, digits, -)');
    }
    return { hostPath: hostPath.length > 1 ? hostPath.replace(/\/+$/, '') : hostPath, claim };
  });
}

export function parseKubernetesOptions(raw: Record<string, unknown>): ResolvedKubernetesOptions {
  if (!isRecord(raw)) throw new ConfigError('kubernetes executor options must be an object', PREFIX);
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) throw bad(key, `unknown option (known: ${KEYS.join(', ')})`);
  }
  const namespace = optionalString(raw, 'namespace') ?? 'godocker';
  if (!DNS_LABEL.test(namespace)) throw bad('namespace', `"${namespace}" is not a namespace name (lowercase letters, digits, -)`);
  const pull = raw.imagePullPolicy ?? 'IfNotPresent';
  if (!PULL_POLICIES.includes(pull as (typeof PULL_POLICIES)[number])) {
    throw bad('imagePullPolicy', `must be one of ${PULL_POLICIES.join(', ')}, got ${JSON.stringify(pull)}`);
  }
  const usageFrom = raw.usageFrom ?? 'kubelet';
  if (!USAGE_FROM.includes(usageFrom as (typeof USAGE_FROM)[number])) {
    throw bad('usageFrom', `must be one of ${USAGE_FROM.join(', ')}, got ${JSON.stringify(usageFrom)}`);
  }
  return {
    kubeconfig: optionalString(raw, 'kubeconfig'),
    context: optionalString(raw, 'context'),
    inCluster: optionalBoolean(raw, 'inCluster') ?? false,
    namespace,
    killGraceSeconds: optionalInteger(raw, 'killGraceSeconds', 0) ?? 10,
    ttlSecondsAfterFinished: optionalInteger(raw, 'ttlSecondsAfterFinished', 0) ?? 86_400,
    deadlineSlackSeconds: optionalInteger(raw, 'deadlineSlackSeconds', 0) ?? 60,
    imagePullPolicy: pull as ResolvedKubernetesOptions['imagePullPolicy'],
    volumeClaims: volumeClaims(raw.volumeClaims),
    mountJobDir: optionalBoolean(raw, 'mountJobDir') ?? true,
    countOtherPods: optionalBoolean(raw, 'countOtherPods') ?? true,
    gpuResource: optionalString(raw, 'gpuResource') ?? 'nvidia.com/gpu',
    unschedulableSeconds: optionalInteger(raw, 'unschedulableSeconds', 1) ?? 60,
    usageFrom: usageFrom as ResolvedKubernetesOptions['usageFrom'],
    kubeletCaFile: optionalString(raw, 'kubeletCaFile'),
    kubeletInsecureTls: optionalBoolean(raw, 'kubeletInsecureTls') ?? false,
  };
}
