/**
 * Options of the docker executor, as an admin writes them in the daemon config,
 * and their validation. Every error names the offending key, because the admin
 * reading it has only the config file in front of them.
 */
import { ConfigError } from '@godocker/sdk';

export interface DockerExecutorOptions {
  /** Unix socket of the engine; default from DOCKER_HOST (unix://...) or /var/run/docker.sock. */
  socketPath?: string;
  /** Name the node is reported and placed under; default: the engine's host name (`docker info` Name). */
  nodeName?: string;
  /** Overrides what `docker info` reports, so admins can over- or under-subscribe the machine. */
  capacity?: { cpu?: number; ram?: number; gpus?: number };
  /** Labels of the node, matched against job constraints. */
  labels?: Record<string, string>;
  /** Grace used when a caller passes no usable grace to kill (negative, NaN). */
  killGraceSeconds?: number;
}

export interface ResolvedDockerOptions {
  socketPath: string;
  nodeName: string | null;
  capacity: { cpu: number | null; ram: number | null; gpus: number | null };
  labels: Record<string, string>;
  killGraceSeconds: number;
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';
export const DEFAULT_KILL_GRACE_SECONDS = 10;

const KEYS = new Set(['socketPath', 'nodeName', 'capacity', 'labels', 'killGraceSeconds']);
const CAPACITY_KEYS = new Set(['cpu', 'ram', 'gpus']);
// Where these options sit in the daemon config, so the error points at the line to fix.
const PREFIX = 'executor.options';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(key: string, message: string): ConfigError {
  return new ConfigError(`docker executor option ${key}: ${message}`, `${PREFIX}.${key}`);
}

function optionalString(raw: Record<string, unknown>, key: string): string | null {
  const value = raw[key];
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '') throw bad(key, 'must be a non-empty string');
  return value;
}

function optionalNumber(raw: Record<string, unknown>, key: string, path: string, integer: boolean, min: number): number | null {
  const value = raw[key];
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
    throw bad(path, `must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** DOCKER_HOST only helps when it names a unix socket: this executor speaks to a local engine. */
function socketFromEnv(env: NodeJS.ProcessEnv): string | null {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return null;
  if (host.startsWith('unix://') && host.length > 'unix://'.length) return host.slice('unix://'.length);
  throw bad(
    'socketPath',
    `DOCKER_HOST=${host} is not a unix socket; the docker executor talks to a local engine: set socketPath in the config or DOCKER_HOST=unix:///path/to/docker.sock`,
  );
}

export function parseDockerOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ResolvedDockerOptions {
  if (!isRecord(raw)) throw new ConfigError('docker executor options must be an object', PREFIX);
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw bad(key, `unknown option (known: ${[...KEYS].join(', ')})`);
  }

  const socketPath = optionalString(raw, 'socketPath') ?? socketFromEnv(env) ?? DEFAULT_SOCKET;
  const nodeName = optionalString(raw, 'nodeName');

  const capacityRaw = raw.capacity ?? {};
  if (!isRecord(capacityRaw)) throw bad('capacity', 'must be an object like { cpu: 8, ram: 16384, gpus: 0 }');
  for (const key of Object.keys(capacityRaw)) {
    if (!CAPACITY_KEYS.has(key)) throw bad(`capacity.${key}`, 'unknown capacity (known: cpu, ram, gpus)');
  }
  const capacity = {
    cpu: optionalNumber(capacityRaw, 'cpu', 'capacity.cpu', false, 0),
    ram: optionalNumber(capacityRaw, 'ram', 'capacity.ram', true, 0),
    gpus: optionalNumber(capacityRaw, 'gpus', 'capacity.gpus', true, 0),
  };

  const labelsRaw = raw.labels ?? {};
  if (!isRecord(labelsRaw)) throw bad('labels', 'must be an object of string values');
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(labelsRaw)) {
    if (typeof value !== 'string') throw bad(`labels.${name}`, 'must be a string');
    labels[name] = value;
  }

  const killGraceSeconds = optionalNumber(raw, 'killGraceSeconds', 'killGraceSeconds', false, 0) ?? DEFAULT_KILL_GRACE_SECONDS;

  return { socketPath, nodeName, capacity, labels, killGraceSeconds };
}
