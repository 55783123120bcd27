/**
 * Parsers for option values, in commander's form: they throw InvalidArgumentError,
 * so the message names the option (`option '-m, --mem <size>' argument '4X' is invalid`)
 * and the exit code is the usage one.
 */
import { GodockerError, JOB_STATES, jobSearchProblem, MAIL_TYPES, parseDuration, parseMemory } from '@godocker/sdk/client';
import { InvalidArgumentError } from 'commander';
import { parseBeginTime } from './begin-time.js';
import { UsageError } from './errors.js';

// The SDK's parsers throw ValidationError; commander needs its own error type to name the option.
function asArgument<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      if (GodockerError.is(e)) throw new InvalidArgumentError(e.message);
      throw e;
    }
  };
}

export function searchOption(text: string): string {
  const problem = jobSearchProblem(text);
  if (problem) throw new InvalidArgumentError(problem);
  return text;
}

export const memoryOption = asArgument((t) => parseMemory(t));
export const durationOption = asArgument((t) => parseDuration(t));

export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^[-+]?\d+$/.test(text.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(
        `expected a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` of at least ${min}`}`,
      );
    }
    return n;
  };
}

export function cpuOption(text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(text.trim()) || !(n > 0))
    throw new InvalidArgumentError('expected a number of cores above 0, e.g. 1, 2, 0.5');
  return n;
}

/** Seconds to wait: a plain number (fractions allowed) or a duration such as 10m. */
export function timeoutOption(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  return durationOption(text);
}

/** --begin: the ISO timestamp the daemon takes, read against this machine's clock and zone. */
export function beginOption(text: string): string {
  try {
    return parseBeginTime(text, new Date()).toISOString();
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** pending,running -> the same, checked against the known states. */
export function stateListOption(text: string): string {
  const states = text.split(',').map((s) => s.trim().toLowerCase());
  const bad = states.filter((s) => !(JOB_STATES as readonly string[]).includes(s));
  if (bad.length > 0) throw new InvalidArgumentError(`unknown state ${bad.join(', ')}: use ${JOB_STATES.join(', ')}`);
  return states.join(',');
}

/** Slurm's `--mail-type`: a comma-separated list of MAIL_TYPES, any case. */
export function mailTypeListOption(text: string): string[] {
  const types = text.split(',').map((s) => s.trim().toLowerCase());
  const bad = types.filter((t) => !(MAIL_TYPES as readonly string[]).includes(t));
  if (bad.length > 0) throw new InvalidArgumentError(`unknown mail type ${bad.join(', ')}: use ${MAIL_TYPES.join(', ')}`);
  return types;
}

/** For repeatable options: `--tag a --tag b`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A job id argument; a usage error otherwise. */
export function parseJobId(text: string): number {
  if (!/^\d{1,15}$/.test(text.trim()) || Number(text) < 1)
    throw new UsageError(`"${text}" is not a job id: ids are whole numbers, as listed by \`godocker jobs\``);
  return Number(text);
}
