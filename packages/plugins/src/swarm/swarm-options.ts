/**
 * Options of the swarm executor, as an admin writes them in the daemon config, and their
 * validation. Every error names the offending key, because the admin reading it has only
 * the config file in front of them.
 */
import { ConfigError } from '@godocker/sdk';
import { DEFAULT_SOCKET } from '../docker/docker-options.js';

export interface SwarmExecutorOptions {
  /** Unix socket of a manager's engine; default from DOCKER_HOST (unix://...) or /var/run/docker.sock. */
  socketPath?: string;
  /**
   * Overrides what every node reports (`docker node inspect`: Description.Resources), so admins
   * can over- or under-subscribe. Over-subscribing needs `reserveResources: false`: Swarm itself
   * keeps a task pending while the node's reservations are full.
   */
  capacity?: { cpu?: number; ram?: number; gpus?: number };
  /**
   * Seconds between SIGTERM and SIGKILL when a job is stopped. Swarm stops a task with the grace
   * written in its service (`StopGracePeriod`) when it is created: that is this one. Only a task
   * on the manager's own engine gets the grace `kill` is called with (see SwarmExecutor.kill).
   */
  killGraceSeconds?: number;
  /**
   * The swarm network (an overlay, or "host") jobs that ask for network are attached to, whatever
   * mode name the daemon gives them. Absent: a mode other than none/bridge/default is used as a
   * network name, and bridge/default attach nothing (the node's default bridge).
   */
  network?: string;
  /** Ask Swarm to reserve the job's cpu and ram on its node (`Resources.Reservations`), not only to limit them. Default true. */
  reserveResources?: boolean;
  /** How often running tasks are looked at when no engine event came (seconds; default 1). */
  pollSeconds?: number;
}

export interface ResolvedSwarmOptions {
  socketPath: string;
  capacity: { cpu: number | null; ram: number | null; gpus: number | null };
  killGraceSeconds: number;
  network: string | null;
  reserveResources: boolean;
  pollSeconds: number;
}

export const DEFAULT_SWARM_KILL_GRACE_SECONDS = 10;
export const DEFAULT_POLL_SECONDS = 1;

const KEYS = new Set(['socketPath', 'capacity', 'killGraceSeconds', 'network', 'reserveResources', 'pollSeconds']);
const CAPACITY_KEYS = new Set(['cpu', 'ram', 'gpus']);
// Where these options sit in the daemon config, so the error points at the line to fix.
const PREFIX = 'executor.options';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(key: string, message: string): ConfigError {
  return new ConfigError(`swarm executor option ${key}: ${message}`, `${PREFIX}.${key}`);
}

function optionalString(raw: Record<string, unknown>, key: string): string | null {
  const value = raw[key];
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '') throw bad(key, 'must be a non-empty string');
  return value;
}

function optionalNumber(
  raw: Record<string, unknown>,
  key: string,
  path: string,
  kind: { integer: boolean; min: number; above?: boolean },
): number | null {
  const value = raw[key];
  if (value === undefined) return null;
  const low = kind.above ? (v: number) => v <= kind.min : (v: number) => v < kind.min;
  if (typeof value !== 'number' || !Number.isFinite(value) || (kind.integer && !Number.isInteger(value)) || low(value)) {
    throw bad(
      path,
      `must be ${kind.integer ? 'an integer' : 'a number'} ${kind.above ? '>' : '>='} ${kind.min}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** DOCKER_HOST only helps when it names a unix socket: the executor runs on a manager host. */
function socketFromEnv(env: NodeJS.ProcessEnv): string | null {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return null;
  if (host.startsWith('unix://') && host.length > 'unix://'.length) return host.slice('unix://'.length);
  throw bad(
    'socketPath',
    `DOCKER_HOST=${host} is not a unix socket; the swarm executor talks to the engine of a manager on its own host: set socketPath in the config or DOCKER_HOST=unix:///path/to/docker.sock`,
  );
}

export function parseSwarmOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ResolvedSwarmOptions {
  if (!isRecord(raw)) throw new ConfigError('swarm executor options must be an object', PREFIX);
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw bad(key, `unknown option (known: ${[...KEYS].join(', ')})`);
  }

  const socketPath = optionalString(raw, 'socketPath') ?? socketFromEnv(env) ?? DEFAULT_SOCKET;

  const capacityRaw = raw.capacity ?? {};
  if (!isRecord(capacityRaw)) throw bad('capacity', 'must be an object like { cpu: 8, ram: 16384, gpus: 0 }');
  for (const key of Object.keys(capacityRaw)) {
    if (!CAPACITY_KEYS.has(key)) throw bad(`capacity.${key}`, 'unknown capacity (known: cpu, ram, gpus)');
  }
  const capacity = {
    cpu: optionalNumber(capacityRaw, 'cpu', 'capacity.cpu', { integer: false, min: 0 }),
    ram: optionalNumber(capacityRaw, 'ram', 'capacity.ram', { integer: true, min: 0 }),
    gpus: optionalNumber(capacityRaw, 'gpus', 'capacity.gpus', { integer: true, min: 0 }),
  };

  const killGraceSeconds =
    optionalNumber(raw, 'killGraceSeconds', 'killGraceSeconds', { integer: false, min: 0 }) ?? DEFAULT_SWARM_KILL_GRACE_SECONDS;
  const network = optionalString(raw, 'network');
  if (network !== null && ['none', 'bridge', 'default'].includes(network)) {
    throw bad(
      'network',
      `"${network}" is not a swarm network: name an overlay network (docker network create -d overlay NAME) or host`,
    );
  }

  const reserveRaw = raw.reserveResources;
  if (reserveRaw !== undefined && typeof reserveRaw !== 'boolean') throw bad('reserveResources', 'must be true or false');
  const reserveResources = reserveRaw ?? true;

  const pollSeconds =
    optionalNumber(raw, 'pollSeconds', 'pollSeconds', { integer: false, min: 0, above: true }) ?? DEFAULT_POLL_SECONDS;

  return { socketPath, capacity, killGraceSeconds, network, reserveResources, pollSeconds };
}
