/**
 * How a finished task becomes a final job state and a sentence: exit 0 is done;
 * anything else, a kill, a time limit, an OOM kill or a failure to start is failed.
 */
import type { ExitInfo, Job, JobState, JobStatus } from '@godocker/sdk';
import { formatMemory } from '@godocker/sdk';

/**
 * How a job ended, in a word, for `/metrics` (`godocker_jobs_ended_total{result}`): a short,
 * fixed list, so that a dashboard can tell the user's kills and the time limits from failures.
 */
export type EndResult = 'done' | 'failed' | 'killed' | 'timeout' | 'oom' | 'start_error' | 'lost' | 'dependency';

export interface Outcome {
  state: Extract<JobState, 'done' | 'failed'>;
  reason: string;
  result: EndResult;
}

const KILLED_BY = 'killed by ';
const TIME_LIMIT = 'time limit of ';

/** Why a user's kill stops a job. */
export function userKillReason(who: string): string {
  return `${KILLED_BY}${who}`;
}

/** Why the time limit stops a job. */
export function timeLimitKillReason(limit: string): string {
  return `${TIME_LIMIT}${limit} exceeded: killed`;
}

/** A kill reason is kept as text (`status.killReason`, read back after a restart): its start says whose it was. */
function killResult(killReason: string): EndResult {
  if (killReason.startsWith(KILLED_BY)) return 'killed';
  if (killReason.startsWith(TIME_LIMIT)) return 'timeout';
  // The failure policy's: the task vanished with its node or engine.
  return 'lost';
}

/** `killReason` is set when GoDocker itself stopped the task (user kill, time limit). */
export function exitOutcome(job: Job, info: ExitInfo, killReason: string | undefined): Outcome {
  if (killReason) return { state: 'failed', reason: killReason, result: killResult(killReason) };
  if (info.error) return { state: 'failed', reason: `could not start: ${info.error}`, result: 'start_error' };
  if (info.oomKilled) {
    return {
      state: 'failed',
      reason: `out of memory: killed for using more than its ${formatMemory(job.requirements.ram)} memory limit (exit ${info.exitCode}); ask for more with --mem`,
      result: 'oom',
    };
  }
  if (info.exitCode === 0) return { state: 'done', reason: 'exited with code 0', result: 'done' };
  if (info.signal)
    return { state: 'failed', reason: `killed by signal ${info.signal} (exit ${info.exitCode})`, result: 'failed' };
  return { state: 'failed', reason: `exited with code ${info.exitCode}`, result: 'failed' };
}

/** How the end is recorded: a start failure never ran, so it has no exit code, no signal and no start time (DRMAA's aborted). */
export function endStatus(job: Job, info: ExitInfo): Pick<JobStatus, 'exitCode' | 'signal' | 'startedAt'> {
  if (info.error) return { exitCode: null, signal: null, startedAt: null };
  return {
    exitCode: info.exitCode < 0 ? null : info.exitCode,
    signal: info.signal,
    // The task's own start time when the executor knows it: ours is taken after start() returned, and may follow a short job's end.
    startedAt: info.startedAt ?? job.status.startedAt,
  };
}
