/**
 * API tokens: random, shown once, stored only as a SHA-256 hash (they carry
 * 256 bits of entropy, so a slow password hash would add nothing).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, ConfigError, type User } from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import type { Store } from '../store/store.js';

export function generateToken(): string {
  return `gdk_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A token's last use is written at most this often: a write per request would cost more than most requests. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Checks bearer tokens and records their use (in `lastUsedAt`, within a minute). One per
 * daemon: it remembers when it last wrote each token's use.
 */
export class TokenAuthenticator {
  readonly #store: Store;
  readonly #now: () => Date;
  readonly #touched = new Map<string, number>();

  constructor(store: Store, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#now = now;
  }

  /** Reads `Authorization: Bearer TOKEN`; throws AuthenticationError (401) otherwise. */
  async authenticate(header: string | undefined): Promise<User> {
    if (!header) throw new AuthenticationError();
    const m = /^Bearer\s+(\S{1,1024})\s*$/i.exec(header);
    if (!m?.[1]) throw new AuthenticationError('the Authorization header must be "Bearer TOKEN"');
    const found = await this.#store.findToken(hashToken(m[1]));
    if (!found) throw new AuthenticationError('unknown or revoked token: get a new one from your admin, then `godocker login`');
    const now = this.#now();
    const { token, user } = found;
    if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now.getTime()) {
      throw new AuthenticationError(
        `this token expired at ${token.expiresAt}: log in again with \`godocker login --user ${user.name}\``,
      );
    }
    this.#touch(token.id, now);
    return user;
  }

  #touch(id: string, now: Date): void {
    const last = this.#touched.get(id);
    if (last !== undefined && now.getTime() - last < TOUCH_EVERY_MS) return;
    // Bounded by the tokens in use; forgetting them all only costs one write each.
    if (this.#touched.size >= 10_000) this.#touched.clear();
    this.#touched.set(id, now.getTime());
    // The use is a note, not part of the answer: a store that cannot write it now does not fail the request.
    this.#store.touchToken(id, now.toISOString()).catch(() => this.#touched.delete(id));
  }
}

export interface AdminSeed {
  /** The admin token when it was created on this start (to be printed once), else null. */
  token: string | null;
  generated: boolean;
}

/**
 * On first start, creates the admin with GODOCKER_ADMIN_TOKEN (automation, CI)
 * or a fresh token printed once. Later starts change nothing.
 */
export async function ensureAdmin(store: Store, config: GodockerConfig, env: NodeJS.ProcessEnv, now: Date): Promise<AdminSeed> {
  const { name, uid, gid, home } = config.auth.admin;
  const existing = await store.getUser(name);
  const seeded = env.GODOCKER_ADMIN_TOKEN;
  if (existing) {
    // Automation restarting with the same token must keep working; a new token is added, never replaced.
    if (seeded && !(await store.findToken(hashToken(seeded)))) {
      await store.addToken(name, hashToken(seeded), 'GODOCKER_ADMIN_TOKEN');
    }
    return { token: null, generated: false };
  }
  if (seeded !== undefined && seeded.length < 16) {
    throw new ConfigError('GODOCKER_ADMIN_TOKEN must be at least 16 characters', 'GODOCKER_ADMIN_TOKEN');
  }
  const token = seeded ?? generateToken();
  await store.createUser({ name, uid, gid, home: home ?? `/home/${name}`, admin: true, createdAt: now.toISOString() });
  await store.addToken(name, hashToken(token), seeded ? 'GODOCKER_ADMIN_TOKEN' : 'first start');
  return { token, generated: seeded === undefined };
}
