/**
 * What `drmaa_wait` says of a job's end, read out of its `stat` with the
 * library's own `drmaa_wif*` functions (the encoding of `stat` is each
 * implementation's business), and its rusage list as name → value.
 */

import { cString, outBuffer, SIGNAL_BUFFER } from './c-strings.js';
import type { IntOut } from './drmaa-abi.js';
import type { LibraryCore } from './library-core.js';

export interface WaitResult {
  /** The job that ended (the one asked for, or whichever ended for SESSION_ANY). */
  jobId: string;
  /** The raw `stat`, for `drmaa_wif*` calls of one's own. */
  stat: number;
  exited: boolean;
  /** The exit code when `exited`, else null. */
  exitStatus: number | null;
  signaled: boolean;
  /** The signal's name (`SIGKILL`) when `signaled`, else null. */
  termSignal: string | null;
  coreDump: boolean;
  /** It ended without ever running (could not start, or was killed while queued). */
  aborted: boolean;
  /** The library's `name=value` usage entries (names differ between implementations). */
  rusage: Record<string, string>;
}

type FlagCall = 'drmaa_wifexited' | 'drmaa_wifsignaled' | 'drmaa_wcoredump' | 'drmaa_wifaborted' | 'drmaa_wexitstatus';

function intOf(core: LibraryCore, call: FlagCall, stat: number): number {
  const out: IntOut = [0];
  const diagnosis = outBuffer();
  core.check(call, core.fn(call)(out, stat, diagnosis, diagnosis.length), diagnosis);
  return out[0];
}

export function decodeStat(core: LibraryCore, jobId: string, stat: number, rusage: string[]): WaitResult {
  const aborted = intOf(core, 'drmaa_wifaborted', stat) !== 0;
  const exited = intOf(core, 'drmaa_wifexited', stat) !== 0;
  const signaled = intOf(core, 'drmaa_wifsignaled', stat) !== 0;
  // The standard defines wexitstatus, wtermsig and wcoredump only for the case they describe; some libraries fail otherwise.
  const exitStatus = exited ? intOf(core, 'drmaa_wexitstatus', stat) : null;
  let termSignal: string | null = null;
  let coreDump = false;
  if (signaled) {
    const signal = outBuffer(SIGNAL_BUFFER);
    const diagnosis = outBuffer();
    const rc = core.fn('drmaa_wtermsig')(signal, signal.length, stat, diagnosis, diagnosis.length);
    core.check('drmaa_wtermsig', rc, diagnosis);
    termSignal = cString(signal);
    coreDump = intOf(core, 'drmaa_wcoredump', stat) !== 0;
  }
  return { jobId, stat, exited, exitStatus, signaled, termSignal, coreDump, aborted, rusage: rusageOf(rusage) };
}

export function rusageOf(entries: readonly string[]): Record<string, string> {
  const usage: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) usage[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return usage;
}
