/**
 * Failed password logins counted per key (a user name, a client address) over a sliding
 * window: past the limit, logins with that key are refused until the oldest failure in the
 * window ages out. Kept in this daemon's memory: each daemon of a site counts its own, so a
 * site of N daemons behind a balancer allows up to N times the limit (written in the README).
 */
export interface SlidingLimit {
  failures: number;
  windowSeconds: number;
}

export class LoginRateLimit {
  readonly #limit: SlidingLimit;
  /** Failure times (ms) per key, oldest first. */
  readonly #failures = new Map<string, number[]>();

  constructor(limit: SlidingLimit) {
    this.#limit = limit;
  }

  /** Seconds until a login with this key may be tried, or 0 when it may now. */
  retryAfter(key: string, now: number): number {
    const times = this.#recent(key, now);
    if (times.length < this.#limit.failures) return 0;
    const oldest = times[times.length - this.#limit.failures] as number;
    return Math.max(1, Math.ceil((oldest + this.#limit.windowSeconds * 1000 - now) / 1000));
  }

  fail(key: string, now: number): void {
    const times = this.#recent(key, now);
    times.push(now);
    // Only the last `failures` matter to the answer; a flood must not grow memory.
    if (times.length > this.#limit.failures) times.splice(0, times.length - this.#limit.failures);
    this.#failures.set(key, times);
    if (this.#failures.size > 100_000) this.#prune(now);
  }

  /** A successful login forgets the user's failures (not the address's: one good account must not unlock guessing others). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    const since = now - this.#limit.windowSeconds * 1000;
    const times = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.#failures.delete(key);
    return times;
  }

  #prune(now: number): void {
    for (const key of [...this.#failures.keys()]) this.#recent(key, now);
  }
}
