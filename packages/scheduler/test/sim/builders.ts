/**
 * Small builders for engine tests and the simulator: jobs with ids, nodes,
 * projects and users, in as few words as a test needs.
 *
 * ```ts
 * const big = job(1, { user: 'alice', cpu: 8, limit: 3600 });
 * schedule({ now: T0, pending: [big], active: [], nodes: [node('n1', 4)] });
 * ```
 */
import type { Dependency, Job, NodeInfo, Quota } from '@godocker/sdk';
import type { ProjectPolicy, UserPolicy } from '../../src/engine/schedule.js';
import { makeJob } from '../fixtures/jobs.js';

export const GiB = 1024;
/** The clock of unit tests: 2025-01-01T00:00:00Z. */
export const T0 = Date.parse('2025-01-01T00:00:00.000Z');

export interface JobSpec {
  user?: string;
  project?: string;
  cpu?: number;
  /** MiB */
  ram?: number;
  gpus?: number;
  /** Time limit in seconds; null for none. */
  limit?: number | null;
  labels?: Record<string, string>;
  priority?: number;
  dependencies?: Dependency[];
  parentId?: number | null;
  taskIndex?: number | null;
  /** ms since the epoch. */
  submittedAt?: number;
  state?: 'pending' | 'running' | 'suspended';
  node?: string | null;
  /** ms since the epoch. */
  startedAt?: number | null;
}

export function job(id: number, s: JobSpec = {}): Job {
  const user = s.user ?? 'alice';
  const state = s.state ?? 'pending';
  const submittedAt = new Date(s.submittedAt ?? T0 - 3600_000).toISOString();
  const base = makeJob({
    user: { name: user },
    project: s.project ?? 'default',
    requirements: {
      cpu: s.cpu ?? 1,
      ram: s.ram ?? 512,
      gpus: s.gpus ?? 0,
      timeLimit: s.limit === undefined ? 3600 : s.limit,
      labels: s.labels ?? {},
    },
    priority: s.priority ?? 0,
    dependencies: s.dependencies ?? [],
    parentId: s.parentId ?? null,
    taskIndex: s.taskIndex ?? null,
    status: {
      state,
      submittedAt,
      node: s.node ?? null,
      startedAt: state === 'pending' ? null : new Date(s.startedAt ?? T0).toISOString(),
    },
  });
  return { id, ...base };
}

/** A running job on `node` since `startedAt` (default T0). */
export function running(id: number, node: string, s: JobSpec = {}): Job {
  return job(id, { ...s, state: 'running', node });
}

export function node(name: string, cpu: number, ram = 64 * GiB, gpus = 0, labels: Record<string, string> = {}): NodeInfo {
  return { name, cpu, ram, gpus, labels };
}

export function project(
  name: string,
  members: Record<string, number>,
  o: { shares?: number; priority?: number; quota?: Quota } = {},
): ProjectPolicy {
  return {
    name,
    shares: o.shares ?? 1,
    priority: o.priority ?? 0,
    quota: o.quota ?? {},
    members: Object.entries(members).map(([user, shares]) => ({ user, shares })),
  };
}

export function user(name: string, o: { priority?: number; quota?: Quota } = {}): UserPolicy {
  return { name, priority: o.priority ?? 0, quota: o.quota ?? {} };
}
