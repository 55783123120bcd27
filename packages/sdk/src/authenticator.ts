/**
 * The Authenticator plugin interface: what the daemon asks of a password directory
 * (LDAP, Active Directory) when someone logs in with a user name and a password.
 * The daemon keeps the users, their tokens and their projects; an authenticator only
 * says who the person is, as the directory knows them, or why they may not log in.
 *
 * ```ts
 * const auth = await createLdapAuthenticator(options, context);
 * try {
 *   const account = await auth.authenticate('alice', password);
 *   console.log(account.name, account.uid, account.groups);
 * } catch (e) {
 *   if (e instanceof InvalidCredentialsError) ... // wrong password or unknown user: one answer for both
 * }
 * ```
 */
import { AuthenticationError, ErrorCodes, ForbiddenError, GodockerError } from './errors.js';
import type { PluginContext } from './executor.js';

/** A person as the directory knows them, after their password was checked. */
export interface DirectoryAccount {
  /** The GoDocker user name (the directory's login name, lower case). */
  name: string;
  /** Jobs run as this uid and gid: the directory's own, never one GoDocker picks. */
  uid: number;
  gid: number;
  home: string;
  mail: string | null;
  /** Names (cn) of the directory groups the person is a member of. */
  groups: string[];
}

export interface Authenticator {
  /** Shown in logs: `ldap`. */
  readonly name: string;
  /**
   * Checks the password and reads the account. Throws InvalidCredentialsError for a wrong
   * password and for an unknown user alike (an answer must not tell which names exist),
   * AccountNotUsableError when the password is right but the account cannot run jobs (no
   * uidNumber), DirectoryUnavailableError when the directory does not answer.
   */
  authenticate(user: string, password: string): Promise<DirectoryAccount>;
  close(): Promise<void>;
}

export type AuthenticatorFactory = (options: Record<string, unknown>, context: PluginContext) => Promise<Authenticator>;

/** The one answer to a wrong password and to an unknown user. */
export const INVALID_CREDENTIALS_MESSAGE = 'wrong user name or password';

/** Wrong password or unknown user (401); `reason` is for the daemon's log only, never for the answer. */
export class InvalidCredentialsError extends AuthenticationError {
  readonly reason: 'wrong password' | 'unknown user' | 'ambiguous user' | 'empty password';
  constructor(reason: InvalidCredentialsError['reason']) {
    super(INVALID_CREDENTIALS_MESSAGE);
    this.name = 'InvalidCredentialsError';
    this.reason = reason;
  }
}

/** The password was right but the account cannot be used to run jobs (403): the message says why and who can fix it. */
export class AccountNotUsableError extends ForbiddenError {
  constructor(message: string) {
    super(message);
    this.name = 'AccountNotUsableError';
  }
}

/** The directory did not answer (503): tokens already given keep working; a login may be tried again later. */
export class DirectoryUnavailableError extends GodockerError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.UNAVAILABLE, message, { retryAfterSeconds: 30, ...(cause === undefined ? {} : { cause }) });
    this.name = 'DirectoryUnavailableError';
  }
}

/** Too many failed logins for a user or from an address (429): `retryAfterSeconds` says when to try again. */
export class RateLimitedError extends GodockerError {
  constructor(message: string, retryAfterSeconds: number) {
    super(ErrorCodes.RATE_LIMITED, message, { retryAfterSeconds });
    this.name = 'RateLimitedError';
  }
}
