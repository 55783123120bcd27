/**
 * Where the leader can be reached, for a follower that forwards what only the leader does:
 * the lease's holder is the address the leader advertises (`<epoch>|<nonce>:<holder>`).
 */
import type { Redis } from 'ioredis';
import { parseLeaseValue } from './lease-scripts.js';

/** Read at most this often: a request burst on a follower costs Redis one read. */
const CACHE_MS = 250;

export class LeaderAddress {
  #cached: { url: string | null; at: number } | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  /** The leader's URL, or null while none leads (an election is under way). */
  async url(): Promise<string | null> {
    const now = Date.now();
    if (this.#cached && now - this.#cached.at < CACHE_MS) return this.#cached.url;
    const parsed = parseLeaseValue(await this.redis.get(this.key));
    const token = parsed?.token ?? '';
    const colon = token.indexOf(':');
    const url = colon >= 0 && /^https?:\/\//.test(token.slice(colon + 1)) ? token.slice(colon + 1) : null;
    this.#cached = { url, at: now };
    return url;
  }

  forget(): void {
    this.#cached = null;
  }
}
