/**
 * What DRMAA1's `wait` returns: the job's id and its end, in the terms of the C
 * binding's `drmaa_wifexited`, `drmaa_wexitstatus`, `drmaa_wifsignaled`,
 * `drmaa_wtermsig`, `drmaa_wcoredump`, `drmaa_wifaborted`, and its resource usage.
 *
 * ```ts
 * const info = await session.wait(SESSION_ANY, TIMEOUT_WAIT_FOREVER);
 * if (info.hasExited) console.log(info.jobId, 'exited', info.exitStatus);
 * ```
 */
import type { Job } from '../job.js';

export interface JobInfo {
  jobId: string;
  /** The script ran and exited by itself (any code). */
  hasExited: boolean;
  /** Its exit code; meaningful when `hasExited` (0 otherwise). */
  exitStatus: number;
  /** It was ended by a signal (a kill, a time limit, the OOM killer). */
  hasSignaled: boolean;
  /** `SIGKILL`, `SIGTERM`...; '' unless `hasSignaled`. */
  terminatingSignal: string;
  /** Containers leave no core file GoDocker could report. */
  hasCoreDump: boolean;
  /** It ended without ever running: killed while queued or held, or it could not start. */
  wasAborted: boolean;
  /**
   * Name to value, as the C binding's `name=value` list: `submission_time`,
   * `start_time`, `end_time` (epoch seconds), `ru_wallclock`, `cpu` (seconds),
   * `maxvmem` (bytes) when known, `exit_status`.
   */
  resourceUsage: Record<string, string>;
}

const epoch = (iso: string): string => String(Math.floor(Date.parse(iso) / 1000));

export function jobInfoOf(job: Job): JobInfo {
  const s = job.status;
  const wasAborted = s.startedAt === null;
  const hasSignaled = !wasAborted && s.signal !== null;
  const hasExited = !wasAborted && !hasSignaled && s.exitCode !== null;
  const usage: Record<string, string> = { submission_time: epoch(s.submittedAt) };
  if (s.startedAt) usage.start_time = epoch(s.startedAt);
  if (s.endedAt) usage.end_time = epoch(s.endedAt);
  usage.ru_wallclock = String(job.usage.wallSeconds);
  if (job.usage.cpuSeconds !== null) usage.cpu = String(job.usage.cpuSeconds);
  if (job.usage.maxMemoryMb !== null) usage.maxvmem = String(Math.round(job.usage.maxMemoryMb * 1024 * 1024));
  if (s.exitCode !== null) usage.exit_status = String(s.exitCode);
  return {
    jobId: String(job.id),
    hasExited,
    exitStatus: hasExited ? (s.exitCode ?? 0) : 0,
    hasSignaled,
    terminatingSignal: hasSignaled ? (s.signal ?? '') : '',
    hasCoreDump: false,
    wasAborted,
    resourceUsage: usage,
  };
}
