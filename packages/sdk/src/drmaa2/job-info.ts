/**
 * DRMAA2's JobInfo (what is known of a job) read from a GoDocker job, and the
 * JobInfo-shaped filter of `getJobs` / `getAllJobs` turned into a list query.
 *
 * ```ts
 * const info = await job.getInfo();
 * console.log(info.jobState, info.exitStatus, info.annotation);
 * ```
 */
import type { ListJobsQuery } from '../api.js';
import type { Job, JobState } from '../job.js';
import { DRMAA2_STATE, type Drmaa2State } from '../states.js';

export interface JobInfo {
  jobId: string;
  jobName: string;
  /**
   * Exit code of the script; null while it runs, or when it never ran: a job that could not
   * start (a file it cannot open, a missing working directory) is FAILED with no exit status,
   * no signal and no dispatchTime, and its annotation says why (DRMAA1's "aborted").
   */
  exitStatus: number | null;
  /** `SIGKILL`, `SIGTERM`...: the signal that ended it, if one did. */
  terminatingSignal: string | null;
  /** A sentence a person can read: why it waits, how it ended. */
  annotation: string;
  jobState: Drmaa2State;
  /** The GoDocker state, finer than DRMAA2's. */
  jobSubState: JobState;
  allocatedMachines: string[];
  jobOwner: string;
  /** Cpu cores. */
  slots: number;
  /** The project. */
  queueName: string;
  /** Seconds. */
  wallclockTime: number;
  /** Seconds, when the executor reports it. */
  cpuTime: number | null;
  submissionTime: Date;
  dispatchTime: Date | null;
  finishTime: Date | null;
  /** The session the job was submitted in (null: none). */
  sessionName: string | null;
}

const date = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));

export function jobInfoOf(job: Job): JobInfo {
  return {
    jobId: String(job.id),
    jobName: job.meta.name,
    exitStatus: job.status.exitCode,
    terminatingSignal: job.status.signal,
    annotation: job.status.reason,
    jobState: DRMAA2_STATE[job.status.state],
    jobSubState: job.status.state,
    allocatedMachines: job.status.node === null ? [] : [job.status.node],
    jobOwner: job.user.name,
    slots: job.requirements.cpu,
    queueName: job.project,
    wallclockTime: job.usage.wallSeconds,
    cpuTime: job.usage.cpuSeconds,
    submissionTime: new Date(job.status.submittedAt),
    dispatchTime: date(job.status.startedAt),
    finishTime: date(job.status.endedAt),
    sessionName: job.session,
  };
}

/** What `getJobs` / `getAllJobs` filter on (DRMAA2 filters with a JobInfo; these are the fields that apply). */
export interface JobInfoFilter {
  jobName?: string;
  /** One DRMAA2 state, or several. */
  jobState?: Drmaa2State | Drmaa2State[];
  jobOwner?: string;
  queueName?: string;
  /** GoDocker extension: jobs with this tag. */
  tag?: string;
}

/** The list query for a filter; null when no job can match (a DRMAA2 state GoDocker never uses). */
export function filterToQuery(filter: JobInfoFilter): ListJobsQuery | null {
  const query: ListJobsQuery = {};
  if (filter.jobState !== undefined) {
    const wanted = new Set(Array.isArray(filter.jobState) ? filter.jobState : [filter.jobState]);
    const states = (Object.keys(DRMAA2_STATE) as JobState[]).filter((s) => wanted.has(DRMAA2_STATE[s]));
    if (states.length === 0) return null;
    query.state = states.join(',');
  }
  if (filter.jobName !== undefined) query.name = filter.jobName;
  if (filter.jobOwner !== undefined) query.user = filter.jobOwner;
  if (filter.queueName !== undefined) query.project = filter.queueName;
  if (filter.tag !== undefined) query.tag = filter.tag;
  return query;
}
