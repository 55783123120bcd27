/**
 * What a Job and its pod say about the task: not started yet, running, ended (and how), or lost.
 *
 * Read off a real cluster (Kubernetes 1.34, containerd 1.6):
 * - A pod the scheduler cannot place stays Pending with the PodScheduled condition False
 *   (Unschedulable): not started yet, not a failure.
 * - An image that is not there and may not be pulled leaves the container Waiting with reason
 *   ErrImageNeverPull; one that cannot be pulled cycles through ErrImagePull and ImagePullBackOff;
 *   a bad command gives a terminated container with reason StartError (exit 128). The command never
 *   ran: a start failure.
 * - An OOM kill is a terminated container with reason OOMKilled and exit 137.
 * - A pod past its activeDeadlineSeconds (GoDocker's kill) is Failed with reason DeadlineExceeded;
 *   its container's exit code is the one of the signal that ended it (143 or 137).
 * - A pod evicted, or deleted with its node, never reports its container's end: lost.
 */
import type { ExitInfo } from '@godocker/sdk';
import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import { CONTAINER } from './job-manifest.js';

export type TaskPhase =
  | { phase: 'created' }
  | { phase: 'suspended' }
  | { phase: 'running' }
  | { phase: 'ended'; info: ExitInfo; deadline: boolean }
  | { phase: 'lost'; why: string };

/** Waiting reasons that mean the container will never start without someone fixing something. */
const START_FAILURES = new Set([
  'ErrImageNeverPull',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

function iso(value: Date | string | undefined): string | null {
  if (value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

function containerOf(pod: V1Pod): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === CONTAINER);
}

function conditionOf(job: V1Job, type: string): { reason?: string; message?: string } | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

const NOTHING_RAN = { cpuSeconds: null, maxMemoryMb: null } as const;

function startFailure(message: string): ExitInfo {
  return { exitCode: -1, signal: null, oomKilled: false, startedAt: null, endedAt: null, error: message, ...NOTHING_RAN };
}

export function phaseOf(job: V1Job | undefined, pod: V1Pod | undefined, image: string | undefined): TaskPhase {
  const container = pod ? containerOf(pod) : undefined;
  const terminated = container?.state?.terminated;
  if (pod && terminated) {
    const deadline = pod.status?.reason === 'DeadlineExceeded';
    if (terminated.reason === 'StartError' || terminated.reason === 'ContainerCannotRun') {
      return {
        phase: 'ended',
        deadline,
        info: startFailure(`the container could not start: ${terminated.message ?? terminated.reason}`),
      };
    }
    const oom = terminated.reason === 'OOMKilled';
    return {
      phase: 'ended',
      deadline,
      info: {
        exitCode: terminated.exitCode,
        // Known only for an OOM kill; a kill by GoDocker is named by the caller, who knows it sent it.
        signal: oom ? 'SIGKILL' : null,
        oomKilled: oom,
        startedAt: iso(terminated.startedAt),
        endedAt: iso(terminated.finishedAt),
        error: null,
        ...NOTHING_RAN,
      },
    };
  }
  const waiting = container?.state?.waiting;
  if (waiting?.reason && START_FAILURES.has(waiting.reason)) {
    const what = waiting.reason.includes('Image') ? `image ${image ?? '(unknown)'}: ` : '';
    return { phase: 'ended', deadline: false, info: startFailure(`${what}${waiting.reason}: ${waiting.message ?? ''}`.trim()) };
  }
  if (pod?.status?.phase === 'Failed' || pod?.status?.phase === 'Succeeded') {
    // Ended without its container saying how: evicted, its node gone, or killed before it ran.
    if (pod.status.reason === 'DeadlineExceeded' && !container?.state?.running) {
      return { phase: 'ended', deadline: true, info: { ...startFailure(''), error: null, exitCode: 137, signal: 'SIGKILL' } };
    }
    return {
      phase: 'lost',
      why: `its pod ${pod.metadata?.name} ended without an exit code (${pod.status.reason ?? pod.status.phase}: ${pod.status.message ?? ''})`,
    };
  }
  if (container?.state?.running && !pod?.metadata?.deletionTimestamp) return { phase: 'running' };
  if (pod?.metadata?.deletionTimestamp && container?.state?.running) return { phase: 'running' };
  if (job?.spec?.suspend === true && !container?.state?.running) return { phase: 'suspended' };
  if (job) {
    const failed = conditionOf(job, 'Failed');
    if (failed && !pod) {
      if (failed.reason === 'DeadlineExceeded') {
        return { phase: 'ended', deadline: true, info: { ...startFailure(''), error: null, exitCode: 137, signal: 'SIGKILL' } };
      }
      return { phase: 'lost', why: `its Job failed without a pod (${failed.reason ?? ''}: ${failed.message ?? ''})` };
    }
  }
  return { phase: 'created' };
}

/**
 * Since when the cluster's scheduler has failed to place the pod, and why (its message, the one
 * of its FailedScheduling events), or null while it is placed or has not been tried yet.
 */
export function unschedulable(pod: V1Pod | undefined): { since: number; why: string } | null {
  if (!pod || pod.spec?.nodeName) return null;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return null;
  const at = scheduled.lastTransitionTime ? new Date(scheduled.lastTransitionTime).getTime() : Date.now();
  return { since: at, why: scheduled.message ?? scheduled.reason };
}
