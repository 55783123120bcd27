/**
 * A warning that can repeat thousands of times a second (garbage flooding a channel, every
 * publish failing while Redis is away) must not flood the log in turn: one line per
 * interval, with how many were left out.
 */
import type { Logger } from '@godocker/sdk';

export class RateLimitedWarning {
  readonly #logger: Logger;
  readonly #everyMs: number;
  readonly #now: () => number;
  #lastAt = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(logger: Logger, everyMs = 10_000, now: () => number = () => performance.now()) {
    this.#logger = logger;
    this.#everyMs = everyMs;
    this.#now = now;
  }

  warn(fields: object, message: string): void {
    const now = this.#now();
    if (now - this.#lastAt < this.#everyMs) {
      this.#suppressed++;
      return;
    }
    this.#logger.warn({ ...fields, suppressedSinceLast: this.#suppressed }, message);
    this.#lastAt = now;
    this.#suppressed = 0;
  }
}

/** For options that leave the logger out: coordination must work without one. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
