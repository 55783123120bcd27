/**
 * The `--quota` option of `project create|update` and `user update`, parsed in
 * one place so both speak the same language:
 *
 *   cpu=32,ram=64G,gpus=2,running=10,pending=1000,cputime=1000h/30d
 *
 * `KEY=none` removes one limit on update; `--quota none` removes them all.
 */
import {
  formatDuration,
  formatMemory,
  GodockerError,
  parseDuration,
  parseMemory,
  QUOTA_KEYS,
  type Quota,
  ValidationError,
} from '@godocker/sdk/client';
import { InvalidArgumentError } from 'commander';

type QuotaKey = (typeof QUOTA_KEYS)[number];

/** What people type -> the API's field; the API's own names are accepted too. */
const KEY_ALIASES: Record<string, QuotaKey> = {
  cpu: 'cpu',
  ram: 'ram',
  mem: 'ram',
  gpus: 'gpus',
  gpu: 'gpus',
  running: 'runningJobs',
  runningjobs: 'runningJobs',
  pending: 'pendingJobs',
  pendingjobs: 'pendingJobs',
  cputime: 'cpuTime',
};

/** The short names, in the order `formatQuota` prints them. */
const SHORT_NAME: Record<QuotaKey, string> = {
  cpu: 'cpu',
  ram: 'ram',
  gpus: 'gpus',
  runningJobs: 'running',
  pendingJobs: 'pending',
  cpuTime: 'cputime',
};

const KNOWN = 'cpu, ram, gpus, running, pending, cputime';

function wholeNumber(key: string, value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new ValidationError(`quota ${key}: "${value}" is not a whole number`, `quota.${key}`);
  return Number(value);
}

function limitValue(key: QuotaKey, name: string, value: string): Quota[QuotaKey] {
  const field = `quota.${key}`;
  switch (key) {
    case 'cpu':
      if (!/^(\d+(\.\d+)?|\.\d+)$/.test(value)) {
        throw new ValidationError(`quota cpu: "${value}" is not a number of cores, e.g. 32 or 0.5`, field);
      }
      return Number(value);
    case 'ram':
      return parseMemory(value, field);
    case 'cpuTime': {
      const [amount, window, extra] = value.split('/');
      if (!amount || !window || extra !== undefined) {
        throw new ValidationError(`quota ${name}: "${value}" must be CPU-TIME/WINDOW, e.g. 1000h/30d`, field);
      }
      const seconds = parseDuration(amount, field);
      const windowSeconds = parseDuration(window, field);
      if (windowSeconds < 60) throw new ValidationError(`quota ${name}: the window must be at least 1m, not "${window}"`, field);
      return { seconds, windowSeconds };
    }
    default:
      return wholeNumber(name, value);
  }
}

/**
 * "cpu=32,ram=64G,cputime=1000h/30d" -> a Quota; `none` as a value is null
 * (no limit, or remove it on update), and "none" alone nulls every key.
 * Throws a ValidationError whose message and field name the bad key.
 */
export function parseQuotaSpec(text: string): Quota {
  const spec = text.trim();
  if (spec.toLowerCase() === 'none') return Object.fromEntries(QUOTA_KEYS.map((k) => [k, null])) as Quota;
  if (spec === '') throw new ValidationError(`an empty quota: use KEY=VALUE pairs with keys ${KNOWN}`, 'quota');
  const quota: Record<string, unknown> = {};
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (eq < 0) throw new ValidationError(`quota "${part.trim()}" has no value: write ${name || 'KEY'}=VALUE`, 'quota');
    const key = KEY_ALIASES[name.toLowerCase()];
    if (!key) throw new ValidationError(`unknown quota key "${name}": use ${KNOWN}`, `quota.${name}`);
    if (key in quota) throw new ValidationError(`quota ${name} is given twice`, `quota.${key}`);
    const value = part.slice(eq + 1).trim();
    quota[key] = value.toLowerCase() === 'none' ? null : limitValue(key, name, value);
  }
  return quota as Quota;
}

/** The same parser in commander's form, so the error names the option and exits as a usage error. */
export function quotaOption(text: string): Quota {
  try {
    return parseQuotaSpec(text);
  } catch (e) {
    if (GodockerError.is(e)) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

/** cpu time in whole hours when it is one (the unit quotas are thought in), else the usual short form. */
function cpuTimeText(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : formatDuration(seconds);
}

/** A quota in the `--quota` syntax, e.g. "cpu=32,ram=64G,cputime=1000h/30d"; "" when it has no limit. */
export function formatQuota(quota: Quota): string {
  const parts: string[] = [];
  for (const key of QUOTA_KEYS) {
    const v = quota[key];
    if (v === null || v === undefined) continue;
    let text: string;
    if (typeof v === 'object') text = `${cpuTimeText(v.seconds)}/${formatDuration(v.windowSeconds)}`;
    else if (key === 'ram') text = formatMemory(v);
    else text = String(v);
    parts.push(`${SHORT_NAME[key]}=${text}`);
  }
  return parts.join(',');
}
