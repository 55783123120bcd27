/**
 * Options of the docker executor, as an admin writes them in the daemon config,
 * and their validation. Every error names the offending key, because the admin
 * reading it has only the config file in front of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@godocker/sdk';

/** One Docker engine: a node of the docker executor. */
export interface DockerEngineOptions {
  /** Unix socket of the engine (`/var/run/docker.sock`). */
  socketPath?: string;
  /** `tcp://HOST:PORT` of a remote engine (`dockerd -H tcp://...`); with `tls`, spoken over TLS. */
  host?: string;
  /** PEM files for a TLS engine (`dockerd --tlsverify`): the CA that signed it, and our client certificate and key. */
  tls?: { ca: string; cert: string; key: string };
  /** Overrides what `docker info` reports, so admins can over- or under-subscribe the machine. */
  capacity?: { cpu?: number; ram?: number; gpus?: number };
  /** Labels of the node, matched against job constraints. */
  labels?: Record<string, string>;
}

export interface DockerExecutorOptions extends DockerEngineOptions {
  /** Name the node is reported and placed under; default: the engine's host name (`docker info` Name). */
  nodeName?: string;
  /** Grace used when a caller passes no usable grace to kill (negative, NaN). */
  killGraceSeconds?: number;
  /**
   * Many Docker hosts (GoDocker's `swarm` plugin over standalone engines): one node each, named
   * by `name`, which every entry needs (the daemon must know a node that does not answer yet).
   * Instead of socketPath/host/tls/nodeName/capacity/labels at the top.
   */
  engines?: (DockerEngineOptions & { name: string })[];
}

/** PEM contents, read once at start. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export type EngineEndpoint =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; tls: TlsMaterial | null };

export interface ResolvedDockerOptions {
  endpoint: EngineEndpoint;
  /** Where the engine is, for messages: `unix:///var/run/docker.sock`, `tcp://10.0.0.5:2376`. */
  address: string;
  nodeName: string | null;
  capacity: { cpu: number | null; ram: number | null; gpus: number | null };
  labels: Record<string, string>;
  killGraceSeconds: number;
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';
export const DEFAULT_KILL_GRACE_SECONDS = 10;

const ENGINE_KEYS = ['socketPath', 'host', 'tls', 'capacity', 'labels'];
const KEYS = new Set([...ENGINE_KEYS, 'nodeName', 'killGraceSeconds', 'engines']);
const LIST_ENGINE_KEYS = new Set([...ENGINE_KEYS, 'name']);
const CAPACITY_KEYS = new Set(['cpu', 'ram', 'gpus']);
const TLS_KEYS = ['ca', 'cert', 'key'] as const;
// Where these options sit in the daemon config, so the error points at the line to fix.
const PREFIX = 'executor.options';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(key: string, message: string): ConfigError {
  return new ConfigError(`docker executor option ${key}: ${message}`, `${PREFIX}.${key}`);
}

function optionalString(raw: Record<string, unknown>, key: string, path = key): string | null {
  const value = raw[key];
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '') throw bad(path, 'must be a non-empty string');
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

function readPem(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw bad(key, `cannot read ${path}: ${(e as Error).message}`);
  }
}

function tlsFiles(raw: unknown, path: string): TlsMaterial {
  if (!isRecord(raw)) throw bad(path, 'must be an object like { ca: /etc/godocker/ca.pem, cert: cert.pem, key: key.pem }');
  for (const key of Object.keys(raw))
    if (!(TLS_KEYS as readonly string[]).includes(key)) throw bad(`${path}.${key}`, 'unknown key (known: ca, cert, key)');
  const files = {} as Record<(typeof TLS_KEYS)[number], Buffer>;
  for (const key of TLS_KEYS) {
    const file = optionalString(raw, key, `${path}.${key}`);
    if (file === null) throw bad(`${path}.${key}`, 'is required: a TLS engine needs the CA, our certificate and our key');
    files[key] = readPem(file, `${path}.${key}`);
  }
  return files;
}

function tcpEndpoint(host: string, tls: TlsMaterial | null, path: string): EngineEndpoint {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw bad(path, `"${host}" is not an address like tcp://10.0.0.5:2376`);
  }
  if (url.protocol !== 'tcp:' || url.hostname === '' || url.port === '') {
    throw bad(path, `"${host}" is not an address like tcp://10.0.0.5:2376 (scheme tcp, a host and a port)`);
  }
  return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), tls };
}

/** DOCKER_HOST as the docker CLI reads it, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS. */
function endpointFromEnv(env: NodeJS.ProcessEnv): EngineEndpoint | null {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return null;
  if (host.startsWith('unix://') && host.length > 'unix://'.length)
    return { kind: 'unix', socketPath: host.slice('unix://'.length) };
  if (host.startsWith('tcp://')) {
    const certs = env.DOCKER_CERT_PATH;
    const verify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
    const tls = verify
      ? {
          ca: readPem(join(certs ?? '', 'ca.pem'), 'DOCKER_CERT_PATH'),
          cert: readPem(join(certs ?? '', 'cert.pem'), 'DOCKER_CERT_PATH'),
          key: readPem(join(certs ?? '', 'key.pem'), 'DOCKER_CERT_PATH'),
        }
      : null;
    return tcpEndpoint(host, tls, 'DOCKER_HOST');
  }
  throw bad('socketPath', `DOCKER_HOST=${host} is neither unix:///path nor tcp://HOST:PORT`);
}

function addressOf(endpoint: EngineEndpoint): string {
  return endpoint.kind === 'unix' ? `unix://${endpoint.socketPath}` : `tcp://${endpoint.host}:${endpoint.port}`;
}

/** The socket, host and TLS keys of one engine; `null` when it names none. */
function engineEndpoint(raw: Record<string, unknown>, prefix: string): EngineEndpoint | null {
  const socketPath = optionalString(raw, 'socketPath', `${prefix}socketPath`);
  const host = optionalString(raw, 'host', `${prefix}host`);
  if (socketPath !== null && host !== null) throw bad(`${prefix}host`, 'give socketPath or host, not both');
  if (raw.tls !== undefined && host === null) throw bad(`${prefix}tls`, 'TLS needs a tcp:// host');
  if (host !== null) return tcpEndpoint(host, raw.tls === undefined ? null : tlsFiles(raw.tls, `${prefix}tls`), `${prefix}host`);
  return socketPath === null ? null : { kind: 'unix', socketPath };
}

function capacityOf(raw: Record<string, unknown>, prefix: string): ResolvedDockerOptions['capacity'] {
  const capacityRaw = raw.capacity ?? {};
  if (!isRecord(capacityRaw)) throw bad(`${prefix}capacity`, 'must be an object like { cpu: 8, ram: 16384, gpus: 0 }');
  for (const key of Object.keys(capacityRaw)) {
    if (!CAPACITY_KEYS.has(key)) throw bad(`${prefix}capacity.${key}`, 'unknown capacity (known: cpu, ram, gpus)');
  }
  return {
    cpu: optionalNumber(capacityRaw, 'cpu', `${prefix}capacity.cpu`, false, 0),
    ram: optionalNumber(capacityRaw, 'ram', `${prefix}capacity.ram`, true, 0),
    gpus: optionalNumber(capacityRaw, 'gpus', `${prefix}capacity.gpus`, true, 0),
  };
}

function labelsOf(raw: Record<string, unknown>, prefix: string): Record<string, string> {
  const labelsRaw = raw.labels ?? {};
  if (!isRecord(labelsRaw)) throw bad(`${prefix}labels`, 'must be an object of string values');
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(labelsRaw)) {
    if (typeof value !== 'string') throw bad(`${prefix}labels.${name}`, 'must be a string');
    labels[name] = value;
  }
  return labels;
}

/** The engines to run on, one per node: the top-level engine, or each of `engines`. */
export function parseDockerOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ResolvedDockerOptions[] {
  if (!isRecord(raw)) throw new ConfigError('docker executor options must be an object', PREFIX);
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw bad(key, `unknown option (known: ${[...KEYS].join(', ')})`);
  }
  const killGraceSeconds = optionalNumber(raw, 'killGraceSeconds', 'killGraceSeconds', false, 0) ?? DEFAULT_KILL_GRACE_SECONDS;
  if (raw.engines === undefined) {
    const endpoint = engineEndpoint(raw, '') ?? endpointFromEnv(env) ?? { kind: 'unix', socketPath: DEFAULT_SOCKET };
    return [
      {
        endpoint,
        address: addressOf(endpoint),
        nodeName: optionalString(raw, 'nodeName'),
        capacity: capacityOf(raw, ''),
        labels: labelsOf(raw, ''),
        killGraceSeconds,
      },
    ];
  }
  if (!Array.isArray(raw.engines) || raw.engines.length === 0) throw bad('engines', 'must be a non-empty list of engines');
  for (const key of [...ENGINE_KEYS, 'nodeName']) {
    if (raw[key] !== undefined) throw bad(key, 'give it in each entry of engines (one engine, one node)');
  }
  const names = new Set<string>();
  return raw.engines.map((entry: unknown, i) => {
    const prefix = `engines.${i}.`;
    if (!isRecord(entry)) throw bad(`engines.${i}`, 'must be an object like { name: node1, host: tcp://10.0.0.5:2376 }');
    for (const key of Object.keys(entry)) {
      if (!LIST_ENGINE_KEYS.has(key)) throw bad(`${prefix}${key}`, `unknown option (known: ${[...LIST_ENGINE_KEYS].join(', ')})`);
    }
    const name = optionalString(entry, 'name', `${prefix}name`);
    if (name === null) throw bad(`${prefix}name`, 'is required: the node this engine is (jobs are placed on it by that name)');
    if (names.has(name)) throw bad(`${prefix}name`, `"${name}" names two engines`);
    names.add(name);
    const endpoint = engineEndpoint(entry, prefix);
    if (endpoint === null) throw bad(`${prefix}host`, 'give the engine socketPath (unix) or host (tcp://HOST:PORT)');
    return {
      endpoint,
      address: addressOf(endpoint),
      nodeName: name,
      capacity: capacityOf(entry, prefix),
      labels: labelsOf(entry, prefix),
      killGraceSeconds,
    };
  });
}
