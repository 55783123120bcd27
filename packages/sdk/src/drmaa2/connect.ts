/**
 * `connect()`: the way in for a Node application. It finds the daemon and the
 * token (options, then GODOCKER_URL / GODOCKER_TOKEN, then the CLI's saved login),
 * checks them with one request, and returns the DRMAA2 session manager.
 *
 * ```ts
 * import { connect } from '@godocker/sdk';
 * const manager = await connect({ url: 'http://127.0.0.1:6543', token: process.env.TOKEN });
 * const session = await manager.createJobSession();
 * ```
 */
import { type FetchFn, GodockerClient } from '../client.js';
import { AuthenticationError } from '../errors.js';
import { resolveConnection } from '../login-file.js';
import { SessionManager } from './session-manager.js';

export interface ConnectOptions {
  /** The daemon, e.g. `http://127.0.0.1:6543`. */
  url?: string;
  token?: string;
  /** Where GODOCKER_URL, GODOCKER_TOKEN and the saved login are read; process.env when not given. */
  env?: Record<string, string | undefined>;
  /** Replaces the global fetch (proxies, tests). */
  fetch?: FetchFn;
  /** A client to use as it is, instead of one made from the options above. */
  client?: GodockerClient;
  /** Run by `close()`: an embedded scheduler stops its daemon there. */
  onClose?: () => Promise<void>;
}

export async function connect(options: ConnectOptions = {}): Promise<SessionManager> {
  let client = options.client;
  if (!client) {
    const c = resolveConnection({ url: options.url, token: options.token, ...(options.env ? { env: options.env } : {}) });
    if (!c.token) {
      throw new AuthenticationError(
        `no token for ${c.url}: pass { token }, set GODOCKER_TOKEN, or run \`godocker login --url ${c.url} --token TOKEN\``,
      );
    }
    client = new GodockerClient({ url: c.url, token: c.token, fetch: options.fetch });
  }
  // One request now, so a wrong URL or token fails here with a clear error rather than at the first submit.
  const user = await client.me();
  return new SessionManager(client, user, options.onClose);
}
