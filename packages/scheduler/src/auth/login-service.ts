/**
 * Password logins: the rate limits, the directory's answer, the GoDocker user made or
 * refreshed from it (uid, gid, home, mail, admin, mapped projects), and a token that expires.
 * Every refused login is logged with the user, the address and the reason; never a password.
 */
import {
  AccountNotUsableError,
  type Authenticator,
  DEFAULT_PROJECT,
  type DirectoryAccount,
  ErrorCodes,
  GodockerError,
  InvalidCredentialsError,
  type Logger,
  type LoginResult,
  parseDuration,
  RateLimitedError,
} from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import type { Store, StoredUser } from '../store/store.js';
import { LoginRateLimit } from './login-rate-limit.js';
import { generateToken, hashToken } from './tokens.js';

export interface LoginRequest {
  user: string;
  password: string;
  /** The client's address, as the API sees it. */
  address: string;
  label?: string | undefined;
}

export interface LoginServiceOptions {
  store: Store;
  authenticator: Authenticator;
  auth: GodockerConfig['auth'];
  logger: Logger;
  now?: () => Date;
}

export class LoginService {
  readonly #o: LoginServiceOptions;
  readonly #now: () => Date;
  readonly #perUser: LoginRateLimit;
  readonly #perAddress: LoginRateLimit;
  readonly #ttlMs: number;

  constructor(options: LoginServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#perUser = new LoginRateLimit(options.auth.loginLimits.perUser);
    this.#perAddress = new LoginRateLimit(options.auth.loginLimits.perAddress);
    this.#ttlMs = parseDuration(options.auth.tokenTtl, 'auth.tokenTtl') * 1000;
  }

  async login(request: LoginRequest): Promise<LoginResult> {
    const now = this.#now();
    const userKey = request.user.trim().toLowerCase();
    const addressKey = request.address;
    const log = { user: userKey, address: addressKey };
    const forUser = this.#perUser.retryAfter(userKey, now.getTime());
    const forAddress = this.#perAddress.retryAfter(addressKey, now.getTime());
    if (forUser > 0 || forAddress > 0) {
      this.#o.logger.warn({ ...log, reason: 'rate limited' }, 'failed login');
      const who = forUser > 0 ? `for user ${userKey}` : 'from your address';
      throw new RateLimitedError(
        `too many failed logins ${who}: try again in ${Math.max(forUser, forAddress)} s`,
        Math.max(forUser, forAddress),
      );
    }
    let account: DirectoryAccount;
    try {
      account = await this.#o.authenticator.authenticate(userKey, request.password);
    } catch (e) {
      if (e instanceof InvalidCredentialsError) {
        this.#perUser.fail(userKey, now.getTime());
        this.#perAddress.fail(addressKey, now.getTime());
        this.#o.logger.warn({ ...log, reason: e.reason }, 'failed login');
      } else if (GodockerError.is(e)) {
        // The right password on an account that cannot be used, or the directory away: not guessing.
        this.#o.logger.warn({ ...log, reason: e.message }, 'failed login');
      }
      throw e;
    }
    const user = await this.#sync(account);
    this.#perUser.forget(userKey);
    const token = generateToken();
    const expiresAt = new Date(now.getTime() + this.#ttlMs).toISOString();
    const stored = await this.#o.store.addToken(user.name, hashToken(token), request.label ?? `login from ${request.address}`, {
      expiresAt,
    });
    this.#o.logger.info({ user: user.name, address: addressKey, token: stored.id }, 'login');
    return { token, expiresAt, tokenId: stored.id, user: (await this.#o.store.getUser(user.name)) ?? user };
  }

  /** Makes or refreshes the GoDocker user from the directory's account. */
  async #sync(account: DirectoryAccount): Promise<StoredUser> {
    const { store } = this.#o;
    const groups = this.#o.auth.ldap?.groups;
    const admin = groups?.admin !== undefined ? account.groups.includes(groups.admin) : undefined;
    const existing = await store.getUser(account.name);
    if (existing && !existing.fromDirectory) {
      // A local user of that name (the admin, say) must not be taken over by whoever holds the directory's.
      throw new AccountNotUsableError(
        `a local GoDocker user named ${account.name} exists, so the directory's ${account.name} cannot log in as it: ask your GoDocker admin`,
      );
    }
    const fields = { uid: account.uid, gid: account.gid, home: account.home, mail: account.mail };
    if (!existing) {
      try {
        await store.createUser({
          name: account.name,
          uid: account.uid,
          gid: account.gid,
          home: account.home,
          ...(account.mail !== null ? { mail: account.mail } : {}),
          admin: admin ?? false,
          fromDirectory: true,
          createdAt: new Date().toISOString(),
        });
      } catch (e) {
        // Two first logins at once: the other made it; refresh it below.
        if (!(GodockerError.is(e) && e.code === ErrorCodes.CONFLICT)) throw e;
      }
    }
    const user = await store.updateUser(account.name, { ...fields, ...(admin !== undefined ? { admin } : {}) });
    await this.#syncProjects(account);
    return user;
  }

  /** Joins the mapped projects of the groups the user is in, and leaves the mapped ones of groups they left. */
  async #syncProjects(account: DirectoryAccount): Promise<void> {
    const { store, logger } = this.#o;
    const mapping = this.#o.auth.ldap?.groups?.projects ?? {};
    const wanted = new Set<string>();
    const mapped = new Set<string>();
    for (const [group, project] of Object.entries(mapping)) {
      if (project === DEFAULT_PROJECT) continue; // every user is in it already
      mapped.add(project);
      if (account.groups.includes(group)) wanted.add(project);
    }
    for (const project of mapped) {
      const member = await store.isMember(project, account.name);
      if (wanted.has(project) && !member) {
        if (!(await store.getProject(project))) {
          await ignoreConflict(
            store.createProject({
              name: project,
              description: 'made for a directory group (auth.ldap.groups.projects)',
              shares: 1,
              priority: 0,
              quota: {},
              createdAt: new Date().toISOString(),
            }),
          );
        }
        await ignoreConflict(store.addMember(project, account.name, 1));
        logger.info({ user: account.name, project }, 'joined a project of a directory group');
      } else if (!wanted.has(project) && member) {
        await store.removeMember(project, account.name);
        logger.info({ user: account.name, project }, 'left a project: no longer in its directory group');
      }
    }
  }
}

async function ignoreConflict(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(GodockerError.is(e) && e.code === ErrorCodes.CONFLICT)) throw e;
  }
}
