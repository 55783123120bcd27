/**
 * Options of the local process executor, as an admin writes them in the daemon
 * config, and their validation. Every error names the offending key, because
 * the admin reading it has only the config file in front of them.
 */
import { availableParallelism, hostname, totalmem } from 'node:os';
import { ConfigError } from '@godocker/sdk';

export interface LocalExecutorOptions {
  /** Name the node is reported and placed under; default: os.hostname(). */
  nodeName?: string;
  /**
   * What the scheduler may place on this machine. Only bookkeeping: this executor
   * does not enforce cpu or ram limits on the processes it starts.
   */
  capacity?: { cpu?: number; ram?: number; gpus?: number };
  /** Labels of the node, matched against job constraints. */
  labels?: Record<string, string>;
  /** Grace used when a caller passes no usable grace to kill (negative, NaN). */
  killGraceSeconds?: number;
}

export interface ResolvedLocalOptions {
  nodeName: string;
  capacity: { cpu: number; ram: number; gpus: number };
  labels: Record<string, string>;
  killGraceSeconds: number;
}

export const DEFAULT_KILL_GRACE_SECONDS = 10;

const KEYS = new Set(['nodeName', 'capacity', 'labels', 'killGraceSeconds']);
const CAPACITY_KEYS = new Set(['cpu', 'ram', 'gpus']);
// Where these options sit in the daemon config, so the error points at the line to fix.
const PREFIX = 'executor.options';
const MIB = 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(key: string, message: string): ConfigError {
  return new ConfigError(`local executor option ${key}: ${message}`, `${PREFIX}.${key}`);
}

function optionalNumber(raw: Record<string, unknown>, key: string, path: string, integer: boolean): number | null {
  const value = raw[key];
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < 0) {
    throw bad(path, `must be ${integer ? 'an integer' : 'a number'} >= 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function parseLocalOptions(raw: Record<string, unknown>): ResolvedLocalOptions {
  if (!isRecord(raw)) throw new ConfigError('local executor options must be an object', PREFIX);
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw bad(key, `unknown option (known: ${[...KEYS].join(', ')})`);
  }

  let nodeName = hostname();
  if (raw.nodeName !== undefined) {
    if (typeof raw.nodeName !== 'string' || raw.nodeName.trim() === '') throw bad('nodeName', 'must be a non-empty string');
    nodeName = raw.nodeName;
  }

  const capacityRaw = raw.capacity ?? {};
  if (!isRecord(capacityRaw)) throw bad('capacity', 'must be an object like { cpu: 8, ram: 16384, gpus: 0 }');
  for (const key of Object.keys(capacityRaw)) {
    if (!CAPACITY_KEYS.has(key)) throw bad(`capacity.${key}`, 'unknown capacity (known: cpu, ram, gpus)');
  }
  const capacity = {
    cpu: optionalNumber(capacityRaw, 'cpu', 'capacity.cpu', false) ?? availableParallelism(),
    ram: optionalNumber(capacityRaw, 'ram', 'capacity.ram', true) ?? Math.floor(totalmem() / MIB),
    // GPUs are not detected: a process on this machine can use any of them anyway.
    gpus: optionalNumber(capacityRaw, 'gpus', 'capacity.gpus', true) ?? 0,
  };

  const labelsRaw = raw.labels ?? {};
  if (!isRecord(labelsRaw)) throw bad('labels', 'must be an object of string values');
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(labelsRaw)) {
    if (typeof value !== 'string') throw bad(`labels.${name}`, 'must be a string');
    labels[name] = value;
  }

  const killGraceSeconds = optionalNumber(raw, 'killGraceSeconds', 'killGraceSeconds', false) ?? DEFAULT_KILL_GRACE_SECONDS;

  return { nodeName, capacity, labels, killGraceSeconds };
}
