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
import type { Static } from '@sinclair/typebox';
import type { Drmaa1JobInfoSchema } from '../api.js';
import type { Job } from '../job.js';

/** The fields are described on `Drmaa1JobInfoSchema`, the shape the session wait answers with. */
export type JobInfo = Static<typeof Drmaa1JobInfoSchema>;

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
