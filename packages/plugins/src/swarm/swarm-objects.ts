/**
 * The few fields of Swarm's services, tasks and nodes the executor reads, taken from the
 * engine's JSON without trusting its shape (dockerode types tasks and nodes as `any`).
 */

export interface SwarmService {
  id: string;
  name: string;
  /** For updates: the engine refuses one made against an older version. */
  version: number;
  labels: Record<string, string>;
  /** The container's command as created (the start prelude reads its nonce back from it). */
  command: string[];
  constraints: string[];
  /** The whole spec, as the engine gave it: an update sends it back changed. */
  spec: Record<string, unknown>;
}

/** Swarm task states, in the order a task goes through them (docs: "Task states"). */
export type SwarmTaskState =
  | 'new'
  | 'allocated'
  | 'pending'
  | 'assigned'
  | 'accepted'
  | 'preparing'
  | 'ready'
  | 'starting'
  | 'running'
  | 'complete'
  | 'shutdown'
  | 'failed'
  | 'rejected'
  | 'remove'
  | 'orphaned';

export interface SwarmTask {
  id: string;
  serviceId: string;
  /** Empty until the scheduler has assigned the task to a node. */
  nodeId: string;
  createdAt: string;
  state: SwarmTaskState | string;
  desiredState: string;
  /** When the task reached its current state. */
  timestamp: string | null;
  message: string;
  err: string;
  containerId: string;
  exitCode: number | null;
}

export interface SwarmNode {
  id: string;
  hostname: string;
  nanoCpus: number;
  memoryBytes: number;
  labels: Record<string, string>;
  /** ready, down, unknown, disconnected */
  state: string;
  /** active, pause, drain */
  availability: string;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function labels(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value))) if (typeof v === 'string') out[k] = v;
  return out;
}

export function serviceOf(value: unknown): SwarmService {
  const v = record(value);
  const spec = record(v.Spec);
  const template = record(spec.TaskTemplate);
  return {
    id: str(v.ID),
    name: str(spec.Name),
    version: num(record(v.Version).Index),
    labels: labels(spec.Labels),
    command: strings(record(template.ContainerSpec).Command),
    constraints: strings(record(template.Placement).Constraints),
    spec,
  };
}

export function taskOf(value: unknown): SwarmTask {
  const v = record(value);
  const status = record(v.Status);
  const container = record(status.ContainerStatus);
  const timestamp = str(status.Timestamp);
  return {
    id: str(v.ID),
    serviceId: str(v.ServiceID),
    nodeId: str(v.NodeID),
    createdAt: str(v.CreatedAt),
    state: str(status.State),
    desiredState: str(v.DesiredState),
    timestamp: timestamp === '' || timestamp.startsWith('0001-') ? null : timestamp,
    message: str(status.Message),
    err: str(status.Err),
    containerId: str(container.ContainerID),
    exitCode: typeof container.ExitCode === 'number' ? container.ExitCode : null,
  };
}

export function nodeOf(value: unknown): SwarmNode {
  const v = record(value);
  const description = record(v.Description);
  const resources = record(description.Resources);
  const spec = record(v.Spec);
  return {
    id: str(v.ID),
    hostname: str(description.Hostname),
    nanoCpus: num(resources.NanoCPUs),
    memoryBytes: num(resources.MemoryBytes),
    labels: labels(spec.Labels),
    state: str(record(v.Status).State),
    availability: str(spec.Availability),
  };
}

/**
 * The task that runs the job: the service's first. A service has one replica and restarts
 * nothing, so it only ever gets a second task when `kill` retires it (see SwarmExecutor.kill),
 * and that one never runs.
 */
export function jobTask(tasks: readonly SwarmTask[]): SwarmTask | null {
  let first: SwarmTask | null = null;
  for (const t of tasks) {
    if (first === null || t.createdAt < first.createdAt || (t.createdAt === first.createdAt && t.id < first.id)) first = t;
  }
  return first;
}
