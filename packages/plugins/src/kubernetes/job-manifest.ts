/**
 * Turns a RunSpec into a Kubernetes batch/v1 Job (one pod, never retried) and, when the script
 * must be a file, the ConfigMap that carries it.
 *
 * - The Job is named after the task key: the API server refuses a second Job of one name, which
 *   makes `start` idempotent across daemon crashes (no job runs twice).
 * - The pod goes to the node the daemon chose through a required node affinity on the node's name
 *   (as DaemonSets do), so the cluster's scheduler still checks its resources, taints and volumes;
 *   the job's labels, but for the executor label, are a nodeSelector as well.
 * - requests = limits for cpu, memory and GPUs (the Guaranteed QoS class): the cluster reserves what
 *   GoDocker counted, and a job over its memory is OOM-killed, as with the docker executor.
 * - The job runs as its user's uid:gid (runAsUser/runAsGroup, runAsNonRoot, no privilege escalation,
 *   every capability dropped) unless the daemon allowed it root.
 * - The script rides in the command when it can (`sh -c SCRIPT`, as the docker executor does); one that
 *   must be a file (a shebang, or longer than an argument may be) is a ConfigMap mounted at
 *   /godocker/job.sh with mode 0755, owned by the Job so the cluster deletes it with the Job.
 * - Kubernetes has no "no network" pod: a job gets the pod network whatever mode the daemon asks.
 */
import { createHash } from 'node:crypto';
import { containerEnv, containerMounts, ExecutorError, type Mount, type RunSpec, TASK_LABELS } from '@godocker/sdk';
import type { V1ConfigMap, V1Container, V1Job, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { needsScriptFile, SCRIPT_DIR, scriptCommand } from '../docker/script-archive.js';
import { needsPrelude, preludeCommand } from '../docker/start-prelude.js';
import type { ResolvedKubernetesOptions } from './kube-options.js';

/** The container of the job's pod. */
export const CONTAINER = 'job';
/** Annotations of the Job: what a label value cannot hold (any user name, the key itself). */
export const KEY_ANNOTATION = 'godocker.io/key';
export const USER_ANNOTATION = 'godocker.io/user';
export const LABELS_ANNOTATION = 'godocker.io/labels';

/** The pod volume that carries the script's ConfigMap. */
export const SCRIPT_VOLUME = 'godocker-script';

/** A ConfigMap holds at most 1 MiB. */
export const CONFIG_MAP_MAX_BYTES = 1024 * 1024 - 1024;

/** A Job's name: its pods' job-name label takes it, so it is a DNS-1123 label (63 characters). */
const JOB_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function jobName(key: string): string {
  if (JOB_NAME.test(key)) return key;
  return `godocker-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** A label value: 63 characters of letters, digits, '-', '_' and '.', alphanumeric at both ends. */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;
const LABEL_KEY = /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

/** The labels that tie a Job and its pod to this cluster and job; `cluster` must be a label value. */
export function taskLabels(clusterId: string, jobId: number): Record<string, string> {
  return { [TASK_LABELS.cluster]: clusterId, [TASK_LABELS.job]: String(jobId) };
}

export function clusterSelector(clusterId: string): string {
  return `${TASK_LABELS.cluster}=${clusterId}`;
}

/** A cluster id that cannot be a label value cannot select its Jobs: refused when the executor starts. */
export function checkClusterId(clusterId: string): void {
  if (!LABEL_VALUE.test(clusterId) || clusterId === '') {
    throw new ExecutorError(
      `cluster id "${clusterId}" is not a Kubernetes label value (63 characters of letters, digits, -, _ and .): ` +
        'the kubernetes executor labels every Job with it',
    );
  }
}

/**
 * Job labels the cluster can match as a nodeSelector. A label it cannot express (a key or value
 * outside the label syntax) is not turned into one: the daemon has already matched it against the
 * node's labels when it placed the job, and the node affinity pins it there.
 */
export function nodeSelector(labels: Record<string, string>, executorLabel: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels).filter(([key, value]) => key !== executorLabel && LABEL_KEY.test(key) && LABEL_VALUE.test(value)),
  );
}

function claimOf(m: Mount, claims: ResolvedKubernetesOptions['volumeClaims']): { claim: string; subPath: string } | null {
  for (const { hostPath, claim } of claims) {
    if (m.hostPath === hostPath) return { claim, subPath: '' };
    const prefix = hostPath === '/' ? '/' : `${hostPath}/`;
    if (m.hostPath.startsWith(prefix)) return { claim, subPath: m.hostPath.slice(prefix.length) };
  }
  return null;
}

/** Volumes and mounts of the pod: one volume per mount, a claim where the admin named one. */
export function podVolumes(
  mounts: readonly Mount[],
  claims: ResolvedKubernetesOptions['volumeClaims'],
): { volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  const volumes: V1Volume[] = [];
  const volumeMounts: V1VolumeMount[] = [];
  mounts.forEach((m, i) => {
    const name = `vol-${i}`;
    const claim = claimOf(m, claims);
    volumes.push(
      claim
        ? { name, persistentVolumeClaim: { claimName: claim.claim, readOnly: m.readOnly } }
        : // Directory: a missing host folder is an error, never created as root by the kubelet.
          { name, hostPath: { path: m.hostPath, type: 'Directory' } },
    );
    volumeMounts.push({
      name,
      mountPath: m.containerPath,
      readOnly: m.readOnly,
      ...(claim && claim.subPath !== '' ? { subPath: claim.subPath } : {}),
    });
  });
  return { volumes, volumeMounts };
}

/** The ConfigMap carrying the script, or null when it rides in the command. */
export function scriptConfigMap(spec: RunSpec, clusterId: string, namespace: string): V1ConfigMap | null {
  if (!needsScriptFile(spec.script)) return null;
  const size = Buffer.byteLength(spec.script, 'utf8');
  if (size > CONFIG_MAP_MAX_BYTES) {
    throw new ExecutorError(
      `the script of task ${spec.key} is ${size} bytes and must be a file (it has a shebang or is longer than ${64 * 1024} bytes); ` +
        `the kubernetes executor passes such a script as a ConfigMap, which holds at most ${CONFIG_MAP_MAX_BYTES} bytes. ` +
        'Shorten it, or put the bulk in a file on a volume and call that',
    );
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: jobName(spec.key),
      namespace,
      labels: taskLabels(clusterId, spec.job.id),
      annotations: { [KEY_ANNOTATION]: spec.key },
    },
    data: { 'job.sh': spec.script },
  };
}

const MIB = 1024 * 1024;

/**
 * The job's ports, each on the host port the daemon picked from its node's pool (`hostPort`:
 * the kubelet opens it on the node the pod runs on, the one the daemon chose).
 */
export function containerPorts(spec: RunSpec): Pick<V1Container, 'ports'> {
  const ports = spec.ports ?? [];
  if (ports.length === 0) return {};
  return {
    ports: ports.map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol === 'udp' ? 'UDP' : 'TCP',
      hostPort: p.hostPort,
      ...(p.hostIp === undefined ? {} : { hostIP: p.hostIp }),
    })),
  };
}

export function jobManifest(spec: RunSpec, clusterId: string, o: ResolvedKubernetesOptions, executorLabel: string): V1Job {
  const name = jobName(spec.key);
  const command = needsPrelude(spec.workdir, spec.files)
    ? preludeCommand(spec.workdir, spec.files, scriptCommand(spec.script, spec.args))
    : scriptCommand(spec.script, spec.args);
  const resources: Record<string, string> = {};
  if (spec.cpu > 0) resources.cpu = `${Math.max(1, Math.round(spec.cpu * 1000))}m`;
  if (spec.ram > 0) resources.memory = `${Math.round(spec.ram * MIB)}`;
  if (spec.gpus > 0) resources[o.gpuResource] = String(spec.gpus);
  const { volumes, volumeMounts } = podVolumes(o.mountJobDir ? containerMounts(spec) : spec.mounts, o.volumeClaims);
  if (needsScriptFile(spec.script)) {
    volumes.push({ name: SCRIPT_VOLUME, configMap: { name, defaultMode: 0o755 } });
    volumeMounts.push({ name: SCRIPT_VOLUME, mountPath: SCRIPT_DIR, readOnly: true });
  }
  const root = spec.uid === 0;
  const labels = taskLabels(clusterId, spec.job.id);
  const annotations = {
    [KEY_ANNOTATION]: spec.key,
    [USER_ANNOTATION]: spec.job.user.name,
    [LABELS_ANNOTATION]: JSON.stringify(spec.labels),
  };
  const limit = spec.job.requirements.timeLimit;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: o.namespace, labels, annotations },
    spec: {
      // The job runs once: its end, whatever its exit code, is final; GoDocker's failure policy decides the rest.
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      ttlSecondsAfterFinished: o.ttlSecondsAfterFinished,
      ...(limit !== null ? { activeDeadlineSeconds: limit + o.killGraceSeconds + o.deadlineSlackSeconds } : {}),
      template: {
        metadata: { labels, annotations: { [KEY_ANNOTATION]: spec.key } },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: o.killGraceSeconds,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // No node chosen (a caller other than the daemon's scheduler): the cluster's scheduler picks one.
          ...(spec.node
            ? {
                affinity: {
                  nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [spec.node] }] }],
                    },
                  },
                },
              }
            : {}),
          nodeSelector: nodeSelector(spec.job.requirements.labels ?? {}, executorLabel),
          securityContext: {
            runAsUser: spec.uid,
            runAsGroup: spec.gid,
            runAsNonRoot: !root,
          },
          containers: [
            {
              name: CONTAINER,
              image: spec.image,
              imagePullPolicy: o.imagePullPolicy,
              // command replaces the image's ENTRYPOINT: the job's script is the whole program.
              command,
              // No workingDir: the kubelet would create a missing one as root; the prelude enters it as the job's user.
              env: Object.entries(o.mountJobDir ? containerEnv(spec) : spec.env).map(([n, value]) => ({ name: n, value })),
              resources: { requests: resources, limits: resources },
              securityContext: root
                ? { allowPrivilegeEscalation: true }
                : { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts,
              ...containerPorts(spec),
              stdin: false,
              tty: false,
            },
          ],
          volumes,
        },
      },
    },
  };
}
