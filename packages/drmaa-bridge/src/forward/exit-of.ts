/**
 * A DRMAA job's end as the daemon records it (ExitInfo), from what drmaa_wait
 * said, or, for a job whose wait answer is lost, from drmaa_job_ps alone.
 */
import { constants } from 'node:os';
import type { Drmaa1State, ExitInfo } from '@godocker/sdk';
import type { WaitResult } from '../wait-result.js';

/** Names differ between implementations: these are Grid Engine's and GoDocker's (the most common). */
function seconds(rusage: Record<string, string>, ...names: string[]): number | null {
  for (const name of names) {
    const value = Number.parseFloat(rusage[name] ?? '');
    if (Number.isFinite(value)) return value;
  }
  return null;
}

function isoOf(epochSeconds: number | null): string | null {
  // Grid Engine reports 0 for times it does not know.
  return epochSeconds === null || epochSeconds <= 0 ? null : new Date(epochSeconds * 1000).toISOString();
}

function cpuSecondsOf(rusage: Record<string, string>): number | null {
  const cpu = seconds(rusage, 'cpu');
  if (cpu !== null) return cpu;
  const user = seconds(rusage, 'ru_utime');
  const system = seconds(rusage, 'ru_stime');
  return user === null && system === null ? null : (user ?? 0) + (system ?? 0);
}

function signalName(number: number): string | null {
  for (const [name, n] of Object.entries(constants.signals)) if (n === number) return name;
  return null;
}

export function exitInfoOf(result: WaitResult): ExitInfo {
  const { rusage } = result;
  const maxvmem = seconds(rusage, 'maxvmem');
  const base = {
    oomKilled: false,
    startedAt: isoOf(seconds(rusage, 'start_time')),
    endedAt: isoOf(seconds(rusage, 'end_time')),
    cpuSeconds: cpuSecondsOf(rusage),
    maxMemoryMb: maxvmem === null ? null : maxvmem / (1024 * 1024),
  };
  const ranStatus = seconds(rusage, 'exit_status');
  if (result.aborted && base.startedAt !== null && ranStatus !== null) {
    // Grid Engine calls a job it terminated while running "aborted", yet its rusage
    // shows it started and the shell's status (137 for SIGKILL): that is the truth.
    const signal = ranStatus > 128 ? signalName(ranStatus - 128) : null;
    return { ...base, exitCode: ranStatus, signal, error: null };
  }
  if (result.aborted) {
    return {
      ...base,
      exitCode: -1,
      signal: null,
      error: `the DRMAA system ended job ${result.jobId} without running it`,
    };
  }
  if (result.signaled) {
    const signal = result.termSignal ?? 'SIGKILL';
    const number = constants.signals[signal as keyof typeof constants.signals];
    return { ...base, exitCode: number === undefined ? -1 : 128 + number, signal, error: null };
  }
  if (result.exited) return { ...base, exitCode: result.exitStatus ?? 0, signal: null, error: null };
  return {
    ...base,
    exitCode: -1,
    signal: null,
    error: `the DRMAA library said neither how job ${result.jobId} exited nor which signal ended it`,
  };
}

/** For a job whose wait answer is gone (its DRMAA session was lost): its state is all there is. */
export function exitInfoFromState(drmaaJobId: string, state: Drmaa1State | 'UNKNOWN', now: Date): ExitInfo {
  const base = {
    signal: null,
    oomKilled: false,
    startedAt: null,
    endedAt: now.toISOString(),
    cpuSeconds: null,
    maxMemoryMb: null,
  };
  if (state === 'DONE') return { ...base, exitCode: 0, error: null };
  if (state === 'FAILED') {
    return { ...base, exitCode: 1, error: null };
  }
  return {
    ...base,
    exitCode: -1,
    error: `the DRMAA system no longer knows job ${drmaaJobId}, and its DRMAA session (which would have its exit status) is gone`,
  };
}
