/**
 * Where `godocker login` keeps the daemon URL and token, and how a command picks
 * the connection to use: explicit options, then GODOCKER_URL / GODOCKER_TOKEN,
 * then the saved login, then the default local daemon.
 *
 * ```ts
 * const { url, token } = resolveConnection({ env: process.env });
 * const client = new GodockerClient({ url, token });
 * ```
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { normalizeBaseUrl } from './client-http.js';
import { ConfigError } from './errors.js';
import { DEFAULT_PORT } from './wire-constants.js';

/** What `godocker login` saves. */
export interface SavedLogin {
  url: string;
  token: string;
}

/** The daemon a client talks to when nothing else is said. */
export const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

type Env = Record<string, string | undefined>;

/** `${XDG_CONFIG_HOME or ~/.config}/godocker/login.json` */
export function loginFilePath(env: Env = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'godocker', 'login.json');
}

/** The saved login, or null when there is none; a damaged file is an error naming it. */
export function loadLogin(env: Env = process.env): SavedLogin | null {
  const path = loginFilePath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read the saved login ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const d = doc as Partial<SavedLogin> | undefined;
  if (typeof d?.url !== 'string' || typeof d.token !== 'string') {
    throw new ConfigError(`the saved login ${path} is damaged: run \`godocker login\` again (or delete the file)`);
  }
  return { url: d.url, token: d.token };
}

/**
 * Saves the login readable by its owner only (0600, in a 0700 folder). The file is
 * written beside and renamed over the old one, so a crash never leaves half a token
 * and an old file with looser permissions is replaced, not reused.
 */
export function saveLogin(login: SavedLogin, env: Env = process.env): string {
  const path = loginFilePath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ url: normalizeBaseUrl(login.url), token: login.token }, null, 2)}\n`, { mode: 0o600 });
  // mode in writeFileSync is filtered by the umask and ignored if tmp existed.
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}

export interface ResolveConnectionOptions {
  url?: string | undefined;
  token?: string | undefined;
  /** GODOCKER_URL, GODOCKER_TOKEN, XDG_CONFIG_HOME, HOME; process.env when not given. */
  env?: Env;
}

export interface Connection {
  url: string;
  token: string | undefined;
  /** Where the URL came from, for messages. */
  urlFrom: 'option' | 'env' | 'login' | 'default';
  tokenFrom: 'option' | 'env' | 'login' | 'none';
}

/**
 * Picks the URL and the token, each from the first of: explicit value, environment,
 * saved login; the URL falls back to the default local daemon. The saved token is
 * only used for the saved URL, so pointing a command at another daemon never sends
 * it a token that belongs elsewhere.
 */
export function resolveConnection(options: ResolveConnectionOptions = {}): Connection {
  const env = options.env ?? process.env;
  const needsSaved = !options.url || !options.token;
  const saved = needsSaved ? loadLogin(env) : null;

  let url: string;
  let urlFrom: Connection['urlFrom'];
  if (options.url) [url, urlFrom] = [options.url, 'option'];
  else if (env.GODOCKER_URL) [url, urlFrom] = [env.GODOCKER_URL, 'env'];
  else if (saved) [url, urlFrom] = [saved.url, 'login'];
  else [url, urlFrom] = [DEFAULT_URL, 'default'];
  url = normalizeBaseUrl(url);

  let token: string | undefined;
  let tokenFrom: Connection['tokenFrom'] = 'none';
  if (options.token) [token, tokenFrom] = [options.token, 'option'];
  else if (env.GODOCKER_TOKEN) [token, tokenFrom] = [env.GODOCKER_TOKEN, 'env'];
  else if (saved && normalizeBaseUrl(saved.url) === url) [token, tokenFrom] = [saved.token, 'login'];
  return { url, token, urlFrom, tokenFrom };
}
