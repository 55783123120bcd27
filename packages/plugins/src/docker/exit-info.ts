/**
 * Reads how a container ended from `docker inspect`.
 */
import { constants } from 'node:os';
import type { ExitInfo } from '@godocker/sdk';
import type Docker from 'dockerode';

type State = Docker.ContainerInspectInfo['State'];

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as [number, string]),
);

/**
 * The engine reports a process ended by signal N as exit code 128+N, as it does a
 * script that runs `exit 128+N`: only an OOM kill, or a stop this executor sent
 * (`stopped`), is known to be a signal.
 */
export function signalOf(exitCode: number, oomKilled: boolean, stopped = false): string | null {
  if (oomKilled) return 'SIGKILL';
  if (!stopped || exitCode <= 128) return null;
  return SIGNAL_NAMES.get(exitCode - 128) ?? null;
}

/** Docker writes the zero time (0001-01-01) for "never"; callers want null. */
export function timestamp(value: string | undefined): string | null {
  if (!value || value.startsWith('0001-')) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * A container whose start failed stays "created" with State.Error set and an
 * exit code (127 exec not found, 128 runtime error): it will never run, so it
 * counts as ended.
 */
export function hasEnded(state: State): boolean {
  return (
    state.Status === 'exited' ||
    state.Status === 'dead' ||
    state.Status === 'removing' ||
    (state.Status === 'created' && state.Error !== '')
  );
}

export function exitInfoOf(state: State): ExitInfo {
  const startedAt = timestamp(state.StartedAt);
  let endedAt = timestamp(state.FinishedAt);
  // The engine stamps StartedAt after the runtime reports the start, so a process that ends at
  // once can show FinishedAt a little before it; a negative wall time would only confuse usage.
  if (startedAt !== null && endedAt !== null && endedAt < startedAt) endedAt = startedAt;
  return {
    exitCode: state.ExitCode,
    signal: signalOf(state.ExitCode, state.OOMKilled),
    oomKilled: state.OOMKilled,
    startedAt,
    endedAt,
    error: state.Error === '' ? null : state.Error,
    // The container's cgroup is gone once it has ended, so usage cannot be read here.
    cpuSeconds: null,
    maxMemoryMb: null,
  };
}
