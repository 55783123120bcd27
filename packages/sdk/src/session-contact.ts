/**
 * A session's contact string: the URL of the session on its daemon, e.g.
 * `http://127.0.0.1:6543/api/v1/sessions/run-42`. It carries no token, so it can
 * be printed or stored; the token comes from the options, the environment or the
 * saved login, as for any other connection.
 *
 * ```ts
 * const contact = sessionContact('http://127.0.0.1:6543', 'run-42');
 * parseContact(contact); // { url: 'http://127.0.0.1:6543', session: 'run-42' }
 * ```
 */

import { normalizeBaseUrl } from './client-http.js';
import { InvalidContactStringError } from './drmaa-errors.js';
import { API_PREFIX } from './wire-constants.js';

export function sessionContact(baseUrl: string, session: string): string {
  return `${normalizeBaseUrl(baseUrl)}${API_PREFIX}/sessions/${encodeURIComponent(session)}`;
}

export interface ParsedContact {
  /** The daemon; undefined: the one the environment or the saved login names. */
  url: string | undefined;
  /** The session to reattach to; undefined: a new one. */
  session: string | undefined;
}

/**
 * Reads a contact: '' (a new session on the default daemon), `session=NAME` (as Grid
 * Engine writes it: that session on the default daemon), a daemon URL (a new session
 * there) or a session URL as `sessionContact` makes it.
 */
export function parseContact(contact: string | undefined | null): ParsedContact {
  const text = (contact ?? '').trim();
  if (text === '') return { url: undefined, session: undefined };
  const named = /^session=(.+)$/.exec(text);
  if (named?.[1]) return { url: undefined, session: named[1] };
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new InvalidContactStringError(
      `"${text}" is not a GoDocker contact: use a daemon URL, a session URL (http://HOST:PORT/api/v1/sessions/NAME) or session=NAME`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidContactStringError(`"${text}" is not a GoDocker contact: the daemon is reached over http or https`);
  }
  const m = new RegExp(`^(.*?)${API_PREFIX}/sessions/([^/]+)/?$`).exec(parsed.pathname);
  const base = `${parsed.protocol}//${parsed.host}`;
  if (m) return { url: normalizeBaseUrl(`${base}${m[1] ?? ''}`), session: decodeURIComponent(m[2] ?? '') };
  return { url: normalizeBaseUrl(`${base}${parsed.pathname}`), session: undefined };
}
