/**
 * Where a job stands and how it ended, from its Swarm task. The task says less than a
 * container does: its exit code (Status.ContainerStatus.ExitCode), why it failed (Status.Err),
 * when it reached its last state, but neither when it started nor whether the OOM killer
 * ended it. The executor adds those from the container when it is on the manager's own
 * engine (swarm-executor.ts); elsewhere they stay unknown (startedAt null, oomKilled false).
 */
import type { ExitInfo } from '@godocker/sdk';
import type { SwarmTask } from './swarm-objects.js';

/**
 * The constraint `kill` adds to retire a task (swarm-executor.ts): node ids are 25 lower-case
 * letters and digits, so no node ever meets it. Its presence on a service says GoDocker stopped it.
 */
export const RETIRED_CONSTRAINT = 'node.id==godocker-retired-by-kill';

/**
 * created: no task yet, or one not running yet (pending for want of a node, preparing, starting);
 * running; ended: it will not run again, and how it ended is known; lost: Swarm stopped or gave up
 * the task itself, not the job nor GoDocker, and how the job would have ended is unknown.
 */
export type TaskPhase = 'created' | 'running' | 'ended' | 'lost';

/** What else than the task decides its phase. */
export interface TaskContext {
  /** GoDocker retired the task (its service carries RETIRED_CONSTRAINT). */
  retired: boolean;
  /** The task's node is in the swarm and ready (true when the task has no node yet). */
  nodeReady: boolean;
}

const ENDED = new Set(['complete', 'failed', 'rejected']);
const STOPPED = new Set(['shutdown', 'remove']);

/**
 * Swarm stops a task by itself when its node goes down (desired state shutdown; the task still
 * says running until the node answers again, then shutdown with a stale exit code) and gives it
 * up after a long absence (orphaned). A task stopped without a kill of ours is lost: to the
 * daemon, a task that vanished, whose failure policy applies.
 */
export function phaseOf(task: SwarmTask | null, context: TaskContext): TaskPhase {
  if (task === null) return 'created';
  if (ENDED.has(task.state)) return 'ended';
  if (task.state === 'orphaned') return 'lost';
  if (STOPPED.has(task.state)) return context.retired ? 'ended' : 'lost';
  if (STOPPED.has(task.desiredState) && !context.retired && !context.nodeReady) return 'lost';
  return task.state === 'running' ? 'running' : 'created';
}

/** Whether the phase may depend on the node's state (worth a look at the node list). */
export function dependsOnNode(task: SwarmTask | null): boolean {
  return task !== null && !ENDED.has(task.state) && STOPPED.has(task.desiredState);
}

/** What Swarm writes in Status.Err for a container that ran and exited non-zero: the job's own end. */
const NON_ZERO_EXIT = /^task: non-zero exit \(\d+\)$/;
const NO_SUCH_IMAGE = /^No such image: (.+)$/;

/**
 * Why the task could not run, or null when its command ran (whatever its exit code).
 * `nodeName` is where it was placed, for the message.
 */
export function taskError(task: SwarmTask, nodeName: string | null): string | null {
  const said = task.err || task.message;
  switch (task.state) {
    case 'complete':
      return null;
    case 'failed':
      return NON_ZERO_EXIT.test(task.err) || task.err === '' ? null : said;
    case 'rejected': {
      const image = NO_SUCH_IMAGE.exec(task.err)?.[1];
      if (image !== undefined) {
        return (
          `image ${image} is not on node ${nodeName ?? task.nodeId}; GoDocker does not pull images: ` +
          'load it on every node of the swarm (docker load, docker import or docker build) or choose another image'
        );
      }
      return said === '' ? 'the task was rejected by its node' : said;
    }
    default:
      // shutdown or remove, retired by `kill`: only a start failure when no container ever ran.
      return task.containerId === '' ? 'the task was stopped before its container started' : null;
  }
}

export function exitInfoOfTask(task: SwarmTask, nodeName: string | null): ExitInfo {
  const error = taskError(task, nodeName);
  const ran = task.containerId !== '';
  return {
    exitCode: ran && task.exitCode !== null ? task.exitCode : -1,
    // 128+N is an exit code like any other unless GoDocker stopped the task (swarm-executor.ts knows).
    signal: null,
    oomKilled: false,
    startedAt: null,
    endedAt: task.timestamp === null ? null : new Date(task.timestamp).toISOString(),
    error,
    cpuSeconds: null,
    maxMemoryMb: null,
  };
}
