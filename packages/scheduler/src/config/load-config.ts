/**
 * Loads the configuration: defaults, then the YAML file, then GODOCKER_* env
 * overrides, then programmatic overrides (tests, embedding). Validation errors
 * name the bad key, so an admin can fix the file without reading code.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, parseDuration } from '@godocker/sdk';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { parseNetworks } from '../notify/webhook-targets.js';
import { ConfigSchema, type DeepPartial, type GodockerConfig, type PortPoolConfig } from './config-schema.js';

export interface LoadConfigOptions {
  /** YAML file; GODOCKER_CONFIG when not given; none at all is fine. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: DeepPartial<GodockerConfig>;
}

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars replace. */
export function mergeConfig(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlain(v) && isPlain(out[k]) ? mergeConfig(out[k] as Plain, v) : v;
  }
  return out;
}

/** A root daemon keeps its data where system daemons do (and where job uids can reach their task folders). */
export function defaultDataDir(env: NodeJS.ProcessEnv, uid: number | undefined = process.getuid?.()): string {
  if (uid === 0) return '/var/lib/godocker';
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'godocker');
}

function numberFromEnv(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n))
    throw new ConfigError(`environment variable ${name}="${text}" is not a number`, name);
  return n;
}

/** The environment variables an admin (or CI) may use instead of a file. */
function envOverrides(env: NodeJS.ProcessEnv): Plain {
  const o: Plain = {};
  const set = (path: string[], value: unknown) => {
    let cur = o;
    for (const k of path.slice(0, -1)) {
      if (!isPlain(cur[k])) cur[k] = {};
      cur = cur[k] as Plain;
    }
    cur[path[path.length - 1] as string] = value;
  };
  if (env.GODOCKER_DATA_DIR) set(['dataDir'], env.GODOCKER_DATA_DIR);
  if (env.GODOCKER_JOBS_DIR) set(['jobsDir'], env.GODOCKER_JOBS_DIR);
  if (env.GODOCKER_MONGO_URL) {
    set(['store', 'type'], 'mongodb');
    set(['store', 'url'], env.GODOCKER_MONGO_URL);
  }
  if (env.GODOCKER_MONGO_DATABASE) set(['store', 'database'], env.GODOCKER_MONGO_DATABASE);
  if (env.GODOCKER_ADVERTISE_URL) set(['coordination', 'advertiseUrl'], env.GODOCKER_ADVERTISE_URL);
  if (env.GODOCKER_REDIS_URL) {
    set(['coordination', 'type'], 'redis');
    set(['coordination', 'url'], env.GODOCKER_REDIS_URL);
  }
  if (env.GODOCKER_HOST) set(['server', 'host'], env.GODOCKER_HOST);
  if (env.GODOCKER_PORT) set(['server', 'port'], numberFromEnv('GODOCKER_PORT', env.GODOCKER_PORT));
  if (env.GODOCKER_SSH_PORT) {
    set(['ssh', 'enabled'], true);
    set(['ssh', 'port'], numberFromEnv('GODOCKER_SSH_PORT', env.GODOCKER_SSH_PORT));
  }
  if (env.GODOCKER_EXECUTOR) set(['executor', 'type'], env.GODOCKER_EXECUTOR);
  if (env.GODOCKER_DOCKER_SOCKET) set(['executor', 'options', 'socketPath'], env.GODOCKER_DOCKER_SOCKET);
  if (env.GODOCKER_DEFAULT_IMAGE) set(['images', 'default'], env.GODOCKER_DEFAULT_IMAGE);
  return o;
}

function readFile(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlain(doc)) throw new ConfigError(`config file ${path} must hold a mapping of keys (server:, executor:, ...)`);
  return doc;
}

export function loadConfig(options: LoadConfigOptions = {}): GodockerConfig {
  const env = options.env ?? process.env;
  const path = options.path ?? env.GODOCKER_CONFIG;
  let raw: Plain = { dataDir: defaultDataDir(env) };
  if (path) raw = mergeConfig(raw, readFile(path));
  raw = mergeConfig(raw, envOverrides(env));
  if (options.overrides) raw = mergeConfig(raw, options.overrides as Plain);

  const withDefaults = Value.Default(ConfigSchema, Value.Clone(raw));
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const key = first.path.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
    const what = first.message === 'Unexpected property' ? 'is not a known key' : `is invalid: ${first.message.toLowerCase()}`;
    throw new ConfigError(`config key "${key}" ${what}${path ? ` (in ${path} or GODOCKER_* env)` : ''}`, key);
  }
  const config = withDefaults as GodockerConfig;
  config.dataDir = resolve(config.dataDir);
  config.jobsDir = resolve(config.jobsDir ?? join(config.dataDir, 'jobs'));
  checkConsistency(config);
  return config;
}

/** A pool past 65535 would hand out ports that do not exist. */
function checkPortPool(pool: PortPoolConfig, key: string): void {
  const last = pool.start + pool.range - 1;
  if (last > 65535) {
    throw new ConfigError(
      `config key "${key}": the pool ${pool.start}-${last} goes past 65535; host ports must be within 1024-65535 (lower start or range)`,
      `${key}.range`,
    );
  }
}

function checkConsistency(c: GodockerConfig): void {
  try {
    parseDuration(c.auth.tokenTtl, 'auth.tokenTtl');
  } catch (e) {
    throw new ConfigError(
      `config key "auth.tokenTtl" ${(e as Error).message.replace(/^invalid duration/, 'is not a duration:')}`,
      'auth.tokenTtl',
    );
  }
  const ldap = c.auth.ldap;
  if (ldap?.bindDn !== undefined && ldap.bindPasswordFile === undefined && ldap.bindPasswordEnv === undefined) {
    throw new ConfigError(
      'config key "auth.ldap.bindDn" needs its password: set auth.ldap.bindPasswordFile (a file readable by the daemon only) or auth.ldap.bindPasswordEnv',
      'auth.ldap.bindDn',
    );
  }
  if (ldap?.caFile !== undefined && ldap.url.startsWith('ldap:') && !ldap.startTls) {
    throw new ConfigError(
      'config key "auth.ldap.caFile" is for TLS: use an ldaps:// url, or set auth.ldap.startTls true with ldap://',
      'auth.ldap.caFile',
    );
  }
  if (ldap?.startTls && ldap.url.startsWith('ldaps:')) {
    throw new ConfigError(
      'config key "auth.ldap.startTls": ldaps:// is TLS already; StartTLS goes with ldap://',
      'auth.ldap.startTls',
    );
  }
  if (c.coordination.type === 'redis') {
    if (c.coordination.url === undefined) {
      throw new ConfigError(
        'config key "coordination.url" is needed with coordination.type redis: redis://HOST:PORT (or set GODOCKER_REDIS_URL)',
        'coordination.url',
      );
    }
    if (c.store.type !== 'mongodb') {
      throw new ConfigError(
        'config key "coordination.type": several daemons share one store, which the SQLite file cannot be: set store.type mongodb (or GODOCKER_MONGO_URL)',
        'coordination.type',
      );
    }
  }
  if (c.store.type === 'mongodb' && c.store.url === undefined) {
    throw new ConfigError(
      'config key "store.url" is needed with store.type mongodb: mongodb://HOST:PORT/ of the MongoDB-wire server (or set GODOCKER_MONGO_URL)',
      'store.url',
    );
  }
  const names = new Set<string>();
  c.volumes.forEach((v, i) => {
    if (names.has(v.name))
      throw new ConfigError(`config key "volumes.${i}.name": volume "${v.name}" is defined twice`, `volumes.${i}.name`);
    names.add(v.name);
  });
  const executorNames = new Set<string>();
  c.executors?.forEach((e, i) => {
    if (executorNames.has(e.name)) {
      throw new ConfigError(`config key "executors.${i}.name": executor "${e.name}" is defined twice`, `executors.${i}.name`);
    }
    executorNames.add(e.name);
  });
  if (!c.images.allowUserImages && !c.images.catalogue.includes(c.images.default)) {
    throw new ConfigError(
      `config key "images.default": "${c.images.default}" is not in images.catalogue; add it there`,
      'images.default',
    );
  }
  parseNetworks(c.notifications.webhook.allowedNetworks);
  checkPortPool(c.ports, 'ports');
  c.executors?.forEach((e, i) => {
    if (e.ports) checkPortPool(e.ports, `executors.${i}.ports`);
  });
  if (c.limits.defaultCpu > c.limits.maxCpu)
    throw new ConfigError('config key "limits.defaultCpu" is larger than limits.maxCpu', 'limits.defaultCpu');
  if (c.limits.defaultRam > c.limits.maxRam)
    throw new ConfigError('config key "limits.defaultRam" is larger than limits.maxRam', 'limits.defaultRam');
}
