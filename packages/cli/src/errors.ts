/**
 * How failures reach the user: `error: MESSAGE (CODE)` on stderr, exit code 1 for
 * failures and 2 for mistakes in the command line itself.
 */
import { GodockerError } from '@godocker/sdk/client';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** `wait` ran out of time (the convention of GNU `timeout`). */
export const EXIT_TIMEOUT = 124;
/** Stopped by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** A mistake in the command line that commander itself cannot see (a missing script, a bad ID). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One line for stderr, ending with a newline. */
export function formatError(e: unknown): string {
  if (GodockerError.is(e)) {
    const field = e.field && !e.message.includes(e.field) ? `${e.field}: ` : '';
    return `error: ${field}${e.message} (${e.code})\n`;
  }
  if (e instanceof Error) return `error: ${e.message}\n`;
  return `error: ${String(e)}\n`;
}

export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}
