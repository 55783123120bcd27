/**
 * The `ldap` authenticator (ldapts): one connection per login. It binds as the service
 * account (or searches anonymously), finds the one entry whose login attributes match what
 * the person typed, binds as that entry with their password, then reads their groups.
 *
 * The order matters: nothing about the account (no uidNumber, its groups) is told before
 * its password was checked, so the answers never say which names exist.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import {
  type Authenticator,
  ConfigError,
  type DirectoryAccount,
  DirectoryUnavailableError,
  InvalidCredentialsError,
  type Logger,
  type PluginContext,
} from '@godocker/sdk';
import { Client, type Entry, Filter, InvalidCredentialsError as LdapInvalidCredentials, ResultCodeError } from 'ldapts';
import { accountOf, allValues, cnOfDn, DEFAULT_ATTRIBUTES, type LdapAttributeMap } from './ldap-account.js';

export interface LdapGroupOptions {
  /** Where groups are searched; absent: only the user entry's memberOf is read. */
  baseDn?: string;
  /** `{uid}` and `{dn}` are replaced by the user's, escaped. */
  filter?: string;
}

export interface LdapAuthenticatorOptions {
  url: string;
  startTls?: boolean;
  caFile?: string;
  bindDn?: string;
  bindPasswordFile?: string;
  bindPasswordEnv?: string;
  baseDn: string;
  userFilter?: string;
  loginAttributes?: string[];
  attributes?: Partial<LdapAttributeMap>;
  groups?: LdapGroupOptions;
  timeoutSeconds?: number;
}

const DEFAULT_GROUP_FILTER = '(|(memberUid={uid})(member={dn}))';

interface Resolved {
  url: string;
  startTls: boolean;
  tls: ConnectionOptions;
  bind: { dn: string; password: string } | null;
  baseDn: string;
  userFilter: string | null;
  loginAttributes: string[];
  attributes: LdapAttributeMap;
  groups: { baseDn: string; filter: string } | null;
  timeoutMs: number;
}

function readSecretFile(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n')[0] ?? '';
  } catch (e) {
    throw new ConfigError(`cannot read ${key} ${path}: ${(e as Error).message}`, key);
  }
}

function resolve(options: LdapAuthenticatorOptions, env: NodeJS.ProcessEnv): Resolved {
  let password: string | undefined;
  if (options.bindPasswordFile !== undefined) password = readSecretFile(options.bindPasswordFile, 'auth.ldap.bindPasswordFile');
  else if (options.bindPasswordEnv !== undefined) {
    password = env[options.bindPasswordEnv];
    if (password === undefined) {
      throw new ConfigError(
        `auth.ldap.bindPasswordEnv names ${options.bindPasswordEnv}, which the daemon's environment does not have`,
        'auth.ldap.bindPasswordEnv',
      );
    }
  }
  if (options.bindDn !== undefined && !password) {
    throw new ConfigError(
      'auth.ldap.bindDn needs a non-empty password (bindPasswordFile or bindPasswordEnv)',
      'auth.ldap.bindDn',
    );
  }
  const tls: ConnectionOptions = {};
  if (options.caFile !== undefined) {
    try {
      tls.ca = readFileSync(options.caFile);
    } catch (e) {
      throw new ConfigError(`cannot read auth.ldap.caFile ${options.caFile}: ${(e as Error).message}`, 'auth.ldap.caFile');
    }
  }
  return {
    url: options.url,
    startTls: options.startTls ?? false,
    tls,
    bind: options.bindDn !== undefined && password ? { dn: options.bindDn, password } : null,
    baseDn: options.baseDn,
    userFilter: options.userFilter ?? null,
    loginAttributes: options.loginAttributes ?? ['uid', 'sAMAccountName', 'mail'],
    attributes: { ...DEFAULT_ATTRIBUTES, ...options.attributes },
    groups:
      options.groups?.baseDn !== undefined
        ? { baseDn: options.groups.baseDn, filter: options.groups.filter ?? DEFAULT_GROUP_FILTER }
        : null,
    timeoutMs: (options.timeoutSeconds ?? 5) * 1000,
  };
}

/** A failure of the directory itself (network, TLS, a refused service account), not of the person's password. */
function unavailable(r: Resolved, e: unknown, logger: Logger, step: string): DirectoryUnavailableError {
  const reason = (e as Error).message || String(e);
  logger.warn({ directory: r.url, step, reason }, 'the LDAP directory did not answer a login');
  return new DirectoryUnavailableError(
    `the directory (${r.url}) is unreachable, so no password login can be checked now; tokens you already have keep working. Try again later`,
    e,
  );
}

export class LdapAuthenticator implements Authenticator {
  readonly name = 'ldap';
  readonly #r: Resolved;
  readonly #logger: Logger;

  constructor(resolved: Resolved, logger: Logger) {
    this.#r = resolved;
    this.#logger = logger;
  }

  async authenticate(user: string, password: string): Promise<DirectoryAccount> {
    // An empty password makes an LDAP bind anonymous, which servers accept: it must never count as one.
    if (password === '') throw new InvalidCredentialsError('empty password');
    const r = this.#r;
    // ldapts speaks TLS from the first byte whenever it is given TLS options: with StartTLS they go to startTLS() only.
    const client = new Client({
      url: r.url,
      timeout: r.timeoutMs,
      connectTimeout: r.timeoutMs,
      ...(r.url.startsWith('ldaps:') ? { tlsOptions: r.tls } : {}),
    });
    try {
      await this.#step('connect', async () => {
        // The certificate is checked against the URL's host, as for ldaps.
        if (r.startTls) await client.startTLS({ ...r.tls, host: new URL(r.url).hostname.replace(/^\[|\]$/g, '') });
        if (r.bind) await client.bind(r.bind.dn, r.bind.password);
      });
      const entry = await this.#findUser(client, user);
      try {
        await client.bind(entry.dn, password);
      } catch (e) {
        if (e instanceof LdapInvalidCredentials) throw new InvalidCredentialsError('wrong password');
        throw unavailable(r, e, this.#logger, 'user bind');
      }
      // Groups are read as the service account when there is one: a user may not see them.
      if (r.bind) await this.#step('service bind', () => client.bind(r.bind?.dn ?? '', r.bind?.password ?? ''));
      const uid = allValues(entry, r.attributes.name[0] ?? 'uid')[0] ?? user;
      const groups = await this.#groups(client, entry, uid);
      return accountOf(entry, r.attributes, groups);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  async close(): Promise<void> {}

  async #step<T>(step: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw unavailable(this.#r, e, this.#logger, step);
    }
  }

  async #findUser(client: Client, user: string): Promise<Entry> {
    const r = this.#r;
    const typed = Filter.escape(user);
    const any = r.loginAttributes.map((a) => `(${a}=${typed})`).join('');
    const match = r.loginAttributes.length > 1 ? `(|${any})` : any;
    const filter = r.userFilter ? `(&${r.userFilter}${match})` : match;
    const wanted = [...new Set([...Object.values(r.attributes).flat(), ...r.loginAttributes, 'memberOf'])];
    const { searchEntries } = await this.#step('user search', () =>
      client.search(r.baseDn, { scope: 'sub', filter, attributes: wanted, sizeLimit: 2 }).catch((e: unknown) => {
        // Two entries or more: sizeLimit answers "size limit exceeded"; the name is ambiguous, not the directory away.
        if (e instanceof ResultCodeError && e.code === 4) return { searchEntries: [{ dn: '' }, { dn: '' }] as Entry[] };
        throw e;
      }),
    );
    if (searchEntries.length === 0) throw new InvalidCredentialsError('unknown user');
    if (searchEntries.length > 1) {
      this.#logger.warn(
        { user, filter },
        'a login name matches several directory entries: refused; make the login attributes unique',
      );
      throw new InvalidCredentialsError('ambiguous user');
    }
    return searchEntries[0] as Entry;
  }

  /** cn of the groups that list the user (posixGroup memberUid, groupOfNames member), and of AD's memberOf. */
  async #groups(client: Client, entry: Entry, uid: string): Promise<string[]> {
    const names = new Set<string>();
    for (const dn of allValues(entry, 'memberOf')) {
      const cn = cnOfDn(dn);
      if (cn) names.add(cn);
    }
    const g = this.#r.groups;
    if (g) {
      const filter = g.filter.replaceAll('{uid}', Filter.escape(uid)).replaceAll('{dn}', Filter.escape(entry.dn));
      const { searchEntries } = await this.#step('group search', () =>
        client.search(g.baseDn, { scope: 'sub', filter, attributes: ['cn'] }),
      );
      for (const group of searchEntries) for (const cn of allValues(group, 'cn').slice(0, 1)) names.add(cn);
    }
    return [...names].sort();
  }
}

/** The `ldap` AuthenticatorFactory: reads the bind password and CA file now, so a bad path fails the daemon's start. */
export async function createLdapAuthenticator(
  options: LdapAuthenticatorOptions,
  context: PluginContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LdapAuthenticator> {
  return new LdapAuthenticator(resolve(options, env), context.logger);
}
