/**
 * Job state changes as DRMAA2 notifications (`DrmaaNotification`: event
 * NEW_STATE, job id, session name, job state), with GoDocker's own detail.
 *
 * ```ts
 * for await (const ev of session.events()) console.log(ev.jobId, ev.jobState, ev.reason);
 * ```
 */
import type { JobEvent } from '../api.js';
import type { Job, JobState } from '../job.js';
import { DRMAA2_STATE, type Drmaa2State } from '../states.js';

export interface Drmaa2Event {
  /** DRMAA2's event kind; GoDocker reports state changes. */
  event: 'NEW_STATE';
  jobId: string;
  sessionName: string | null;
  jobState: Drmaa2State;
  /** The GoDocker state. */
  state: JobState;
  previousState: JobState | null;
  reason: string;
  /** True for an array's parent (its state sums up its tasks'). */
  isArray: boolean;
  /** The job's document after the change. */
  job: Job;
}

export function drmaa2EventOf(event: JobEvent): Drmaa2Event {
  const job = event.job;
  return {
    event: 'NEW_STATE',
    jobId: String(job.id),
    sessionName: job.session,
    jobState: DRMAA2_STATE[job.status.state],
    state: job.status.state,
    previousState: event.previousState,
    reason: job.status.reason,
    isArray: job.array !== null,
    job,
  };
}

export interface WatchOptions {
  /** Ends the iteration (quietly) when aborted. */
  signal?: AbortSignal;
  /** Called when the stream is connected (again): changes after this are delivered. */
  onConnect?: () => void;
}
