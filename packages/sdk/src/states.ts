/**
 * Job states, the transitions allowed between them, and their DRMAA names.
 * A terminal state is final: nothing leaves `done` or `failed`.
 */
import type { JobState } from './job.js';

export const TERMINAL_STATES: readonly JobState[] = ['done', 'failed'];
export const ACTIVE_STATES: readonly JobState[] = ['running', 'suspended'];

export function isTerminal(state: JobState): boolean {
  return state === 'done' || state === 'failed';
}

const ALLOWED: Record<JobState, readonly JobState[]> = {
  pending: ['held', 'running', 'failed'],
  held: ['pending', 'failed'],
  // running -> pending: a job requeued because its container was never created
  running: ['suspended', 'done', 'failed', 'pending'],
  suspended: ['running', 'done', 'failed'],
  done: [],
  failed: [],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return ALLOWED[from].includes(to);
}

export const JOB_ACTIONS = ['kill', 'suspend', 'resume', 'hold', 'release'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/** States from which each action may be taken. */
export const ACTION_FROM: Record<JobAction, readonly JobState[]> = {
  kill: ['pending', 'held', 'running', 'suspended'],
  suspend: ['running'],
  resume: ['suspended'],
  hold: ['pending'],
  release: ['held'],
};

/** DRMAA 1.0 `drmaa_job_ps` states (without the `DRMAA_PS_` prefix). */
export type Drmaa1State =
  | 'UNDETERMINED'
  | 'QUEUED_ACTIVE'
  | 'SYSTEM_ON_HOLD'
  | 'USER_ON_HOLD'
  | 'USER_SYSTEM_ON_HOLD'
  | 'RUNNING'
  | 'SYSTEM_SUSPENDED'
  | 'USER_SUSPENDED'
  | 'USER_SYSTEM_SUSPENDED'
  | 'DONE'
  | 'FAILED';

/** DRMAA 2 (GFD.231) job states. */
export type Drmaa2State =
  | 'UNDETERMINED'
  | 'QUEUED'
  | 'QUEUED_HELD'
  | 'RUNNING'
  | 'SUSPENDED'
  | 'REQUEUED'
  | 'REQUEUED_HELD'
  | 'DONE'
  | 'FAILED';

/** DRMAA 1.0 `drmaa_job_ps` names. */
export const DRMAA1_STATE: Record<JobState, Drmaa1State> = {
  pending: 'QUEUED_ACTIVE',
  held: 'USER_ON_HOLD',
  running: 'RUNNING',
  suspended: 'USER_SUSPENDED',
  done: 'DONE',
  failed: 'FAILED',
};

/** DRMAA 2 job state names. */
export const DRMAA2_STATE: Record<JobState, Drmaa2State> = {
  pending: 'QUEUED',
  held: 'QUEUED_HELD',
  running: 'RUNNING',
  suspended: 'SUSPENDED',
  done: 'DONE',
  failed: 'FAILED',
};
