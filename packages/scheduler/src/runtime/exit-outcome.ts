/**
 * How a finished task becomes a final job state and a sentence: exit 0 is done;
 * anything else, a kill, a time limit, an OOM kill or a failure to start is failed.
 */
import type { ExitInfo, Job, JobState, JobStatus } from '@godocker/sdk';
import { formatMemory } from '@godocker/sdk';

export interface Outcome {
  state: Extract<JobState, 'done' | 'failed'>;
  reason: string;
}

/**
 * `killReason` is set when GoDocker itself stopped the task (user kill, time limit);
 * `finishReason` when it stopped it as finished (an idle interactive job): done, whatever the code.
 */
export function exitOutcome(
  job: Job,
  info: ExitInfo,
  killReason: string | undefined,
  finishReason: string | undefined = undefined,
): Outcome {
  if (killReason) return { state: 'failed', reason: killReason };
  if (info.error) return { state: 'failed', reason: `could not start: ${info.error}` };
  if (finishReason) return { state: 'done', reason: finishReason };
  if (info.oomKilled) {
    return {
      state: 'failed',
      reason: `out of memory: killed for using more than its ${formatMemory(job.requirements.ram)} memory limit (exit ${info.exitCode}); ask for more with --mem`,
    };
  }
  if (info.exitCode === 0) return { state: 'done', reason: 'exited with code 0' };
  if (info.signal) return { state: 'failed', reason: `killed by signal ${info.signal} (exit ${info.exitCode})` };
  return { state: 'failed', reason: `exited with code ${info.exitCode}` };
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
