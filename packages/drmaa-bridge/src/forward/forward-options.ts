/**
 * Options of the drmaa-forward executor, as an admin writes them under
 * `executor.options`, and their validation. Every error names the offending key,
 * because the admin reading it has only the config file in front of them.
 */
import { join } from 'node:path';
import { ConfigError } from '@godocker/sdk';

export interface DrmaaForwardOptions {
  /** The vendor's libdrmaa.so; default DRMAA_LIBRARY_PATH. */
  libraryPath?: string;
  /** drmaa_init contact string of the target system; default: the library's own default. */
  contact?: string;
  /**
   * Folder on a file system the DRMAA jobs share with this daemon: their stdout,
   * stderr (and scripts with a #! line) go there, named after the task key. The
   * user the DRMAA jobs run as must be able to write it. Default DATADIR/drmaa-forward/spool.
   */
  spoolDir?: string;
  /** What the scheduler may place on the target system; default 64 cpu, 256 GiB, 0 gpus. */
  capacity?: { cpu?: number; ram?: number; gpus?: number };
  /** Name the target system is reported and placed under; default "drmaa". */
  nodeName?: string;
  labels?: Record<string, string>;
  /**
   * Environment the library reads at drmaa_init (GODOCKER_URL / GODOCKER_TOKEN,
   * SGE_ROOT / SGE_CELL...): set in this process before it is loaded.
   */
  env?: Record<string, string>;
  /**
   * drmaa_native_specification of every job, in the target system's syntax;
   * {cpu}, {ram} (MiB), {gpus} and {image} are replaced by the job's. Example for
   * Grid Engine: "-pe smp {cpu} -l h_vmem={ram}M"; for GoDocker: "-c {cpu} -m {ram}M --image {image}".
   */
  nativeSpecification?: string;
  /**
   * Longest a single drmaa_wait blocks before it is asked again (seconds); a
   * daemon stop waits at most this long for it with libraries that cannot cancel it.
   */
  waitSeconds?: number;
}

export interface ResolvedForwardOptions {
  libraryPath: string;
  contact: string | null;
  spoolDir: string;
  capacity: { cpu: number; ram: number; gpus: number };
  nodeName: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  nativeSpecification: string | null;
  waitSeconds: number;
}

const KEYS = new Set([
  'libraryPath',
  'contact',
  'spoolDir',
  'capacity',
  'nodeName',
  'labels',
  'env',
  'nativeSpecification',
  'waitSeconds',
]);
const CAPACITY_KEYS = new Set(['cpu', 'ram', 'gpus']);
const PREFIX = 'executor.options';
const DEFAULT_CAPACITY = { cpu: 64, ram: 256 * 1024, gpus: 0 };
const DEFAULT_WAIT_SECONDS = 10;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(key: string, message: string): ConfigError {
  return new ConfigError(`drmaa-forward executor option ${key}: ${message}`, `${PREFIX}.${key}`);
}

function optionalString(raw: Record<string, unknown>, key: string): string | null {
  const value = raw[key];
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '') throw bad(key, 'must be a non-empty string');
  return value;
}

function number(raw: Record<string, unknown>, key: string, path: string, integer: boolean, fallback: number): number {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < 0) {
    throw bad(path, `must be ${integer ? 'an integer' : 'a number'} >= 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

function strings(raw: Record<string, unknown>, key: string): Record<string, string> {
  const value = raw[key] ?? {};
  if (!isRecord(value)) throw bad(key, 'must be an object of string values');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw bad(`${key}.${name}`, 'must be a string');
    out[name] = v;
  }
  return out;
}

export function parseForwardOptions(
  raw: Record<string, unknown>,
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedForwardOptions {
  if (!isRecord(raw)) throw new ConfigError('drmaa-forward executor options must be an object', PREFIX);
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw bad(key, `unknown option (known: ${[...KEYS].join(', ')})`);
  }
  const libraryPath = optionalString(raw, 'libraryPath') ?? env.DRMAA_LIBRARY_PATH;
  if (libraryPath === undefined || libraryPath === '') {
    throw bad(
      'libraryPath',
      "is needed (or DRMAA_LIBRARY_PATH in the daemon's environment): the path of the target system's libdrmaa.so",
    );
  }
  const spoolDir = optionalString(raw, 'spoolDir') ?? join(dataDir, 'drmaa-forward', 'spool');
  if (!spoolDir.startsWith('/')) throw bad('spoolDir', `must be an absolute path (the DRMAA jobs write there), got ${spoolDir}`);

  const capacityRaw = raw.capacity ?? {};
  if (!isRecord(capacityRaw)) throw bad('capacity', 'must be an object like { cpu: 64, ram: 262144, gpus: 0 }');
  for (const key of Object.keys(capacityRaw)) {
    if (!CAPACITY_KEYS.has(key)) throw bad(`capacity.${key}`, 'unknown capacity (known: cpu, ram, gpus)');
  }
  const waitSeconds = number(raw, 'waitSeconds', 'waitSeconds', true, DEFAULT_WAIT_SECONDS);
  if (waitSeconds < 1) throw bad('waitSeconds', 'must be at least 1');
  return {
    libraryPath,
    contact: optionalString(raw, 'contact'),
    spoolDir,
    capacity: {
      cpu: number(capacityRaw, 'cpu', 'capacity.cpu', false, DEFAULT_CAPACITY.cpu),
      ram: number(capacityRaw, 'ram', 'capacity.ram', true, DEFAULT_CAPACITY.ram),
      gpus: number(capacityRaw, 'gpus', 'capacity.gpus', true, DEFAULT_CAPACITY.gpus),
    },
    nodeName: optionalString(raw, 'nodeName') ?? 'drmaa',
    labels: strings(raw, 'labels'),
    env: strings(raw, 'env'),
    nativeSpecification: optionalString(raw, 'nativeSpecification'),
    waitSeconds,
  };
}
