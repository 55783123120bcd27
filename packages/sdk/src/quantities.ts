/**
 * Parsers for what people type: memory sizes, durations and array ranges.
 * Shared by the CLI, the server and (later) the DRMAA native specification, so
 * `-m 4G --time 1h --array 0-99%10` mean the same everywhere.
 */
import { ValidationError } from './errors.js';
import type { Dependency, DependencyType } from './job.js';
import { DEPENDENCY_TYPES } from './wire-constants.js';

const MEM_UNITS: Record<string, number> = { '': 1, k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };

/** "512", "512M", "4G", "4GiB", "1.5g" -> MiB (a bare number is MiB, as in Slurm). */
export function parseMemory(text: string, field = 'requirements.ram'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new ValidationError(`invalid memory size "${text}": use a number of MiB or a unit, e.g. 512M, 4G`, field);
  const unit = MEM_UNITS[(m[2] ?? '').toLowerCase()] ?? 1;
  const mib = Math.ceil(Number(m[1]) * unit);
  if (!(mib >= 1)) throw new ValidationError(`memory size "${text}" is less than 1 MiB`, field);
  return mib;
}

const TIME_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Durations in seconds: "90" (seconds), "30s", "10m", "1h30m", "2d",
 * and Slurm's "MM:SS", "HH:MM:SS", "D-HH:MM:SS".
 */
export function parseDuration(text: string, field = 'requirements.timeLimit'): number {
  const t = text.trim();
  const bad = () => new ValidationError(`invalid duration "${text}": use e.g. 90, 30s, 10m, 1h30m, 2d or HH:MM:SS`, field);
  let seconds: number;
  if (/^\d+$/.test(t)) seconds = Number(t);
  else if (/^(\d+[smhd])+$/i.test(t)) {
    seconds = 0;
    for (const part of t.matchAll(/(\d+)([smhd])/gi))
      seconds += Number(part[1]) * (TIME_UNITS[(part[2] ?? 's').toLowerCase()] ?? 1);
  } else {
    const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(t);
    if (!m) throw bad();
    const [, d, h, mm, ss] = m;
    if (Number(ss) >= 60 || (h !== undefined && Number(mm) >= 60)) throw bad();
    seconds = Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(mm) * 60 + Number(ss);
  }
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw bad();
  return seconds;
}

export interface ArraySpec {
  start: number;
  end: number;
  step: number;
  /** At most this many tasks running at once (`%N`); null for no limit. */
  throttle: number | null;
  count: number;
}

/** "0-99", "1-100:2", "0-99%10", and DESIGN's "start:end:step". */
export function parseArraySpec(text: string, maxSize: number, field = 'array'): ArraySpec {
  const bad = (why: string) =>
    new ValidationError(`invalid array "${text}": ${why}; use START-END[:STEP][%MAX], e.g. 0-99:2%10`, field);
  const m = /^(\d{1,9})(?:-|:)(\d{1,9})(?::(\d{1,9}))?(?:%(\d{1,9}))?$/.exec(text.trim());
  if (!m) throw bad('not a range');
  const start = Number(m[1]);
  const end = Number(m[2]);
  const step = m[3] === undefined ? 1 : Number(m[3]);
  const throttle = m[4] === undefined ? null : Number(m[4]);
  if (end < start) throw bad('END is smaller than START');
  if (step < 1) throw bad('STEP must be at least 1');
  if (throttle !== null && throttle < 1) throw bad('%MAX must be at least 1');
  const count = Math.floor((end - start) / step) + 1;
  if (count > maxSize) throw bad(`${count} tasks is more than the maximum array size of ${maxSize}`);
  return { start, end, step, throttle, count };
}

/** Human form of a MiB amount: 512M, 4G. */
export function formatMemory(mib: number): string {
  if (mib >= 1024 && mib % 1024 === 0) return `${mib / 1024}G`;
  if (mib >= 1024) return `${(mib / 1024).toFixed(1)}G`;
  return `${mib}M`;
}

/** Human form of seconds: 45s, 2m30s, 1h, 3d4h. */
export function formatDuration(seconds: number): string {
  let s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.slice(0, 2).join('');
}

/**
 * Slurm's dependency list: "afterok:42,afterany:43:44" — every condition must
 * hold (AND); a condition may name several jobs.
 */
export function parseDependencies(text: string, field = 'dependencies'): Dependency[] {
  const out: Dependency[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const [type, ...ids] = part.split(':');
    if (!DEPENDENCY_TYPES.includes(type as DependencyType) || ids.length === 0) {
      throw new ValidationError(
        `invalid dependency "${part}": use afterok:ID, afterany:ID or afternotok:ID (joined with commas)`,
        field,
      );
    }
    for (const id of ids) {
      if (!/^[1-9][0-9]{0,14}$/.test(id)) throw new ValidationError(`invalid job id "${id}" in dependency "${part}"`, field);
      out.push({ type: type as DependencyType, jobId: Number(id) });
    }
  }
  return out;
}
