/**
 * DRMAA timeouts, in seconds: 0 only looks (DRMAA's NO_WAIT / ZERO_TIME), a
 * positive number waits that long, and -1 (DRMAA's WAIT_FOREVER / INFINITE_TIME)
 * or Infinity waits for ever, as a series of server long-polls.
 */
import { ValidationError } from './errors.js';

/** Wait for ever: DRMAA1's `TIMEOUT_WAIT_FOREVER`, DRMAA2's `INFINITE_TIME`. */
export const TIMEOUT_WAIT_FOREVER = -1;
/** Do not wait: DRMAA1's `TIMEOUT_NO_WAIT`, DRMAA2's `ZERO_TIME`. */
export const TIMEOUT_NO_WAIT = 0;

/** The timeout as the client's waits take it (Infinity for ever); any other negative number is refused. */
export function waitSeconds(timeout: number, field = 'timeout'): number {
  if (timeout === TIMEOUT_WAIT_FOREVER || timeout === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new ValidationError(
      `${field} must be a number of seconds ≥ 0, or -1 (TIMEOUT_WAIT_FOREVER) to wait for ever; got ${String(timeout)}`,
      field,
    );
  }
  return timeout;
}

/** How a timeout reads in a message. */
export function describeTimeout(seconds: number): string {
  return seconds === 0 ? 'at once (no wait)' : `within ${seconds} s`;
}
