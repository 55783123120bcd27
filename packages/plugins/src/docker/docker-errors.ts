/**
 * dockerode rejects with plain Errors carrying the HTTP `statusCode` of the
 * engine's answer; these helpers read it without `any`.
 */
import { ExecutorError, ExecutorUnavailableError, GodockerError } from '@godocker/sdk';

export function statusCodeOf(error: unknown): number | null {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return null;
  const code = (error as { statusCode: unknown }).statusCode;
  return typeof code === 'number' ? code : null;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    // The engine's own sentence sits in json.message; the Error message wraps it in HTTP noise.
    const json = (error as Error & { json?: unknown }).json;
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') return json.message;
    return error.message;
  }
  return String(error);
}

export const isNotFound = (error: unknown): boolean => statusCodeOf(error) === 404;
export const isConflict = (error: unknown): boolean => statusCodeOf(error) === 409;
export const isNotModified = (error: unknown): boolean => statusCodeOf(error) === 304;

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as Error & { code?: unknown }).code === 'ABORT_ERR');
}

/** Socket errors of a missing or restarting engine, as seen by dockerode (checked on a private engine stopped and started). */
const UNREACHABLE_CONNECT = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);
const BROKEN_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * The engine cannot be reached: its socket is gone (`connect ENOENT`) or refuses, or a
 * connection broke mid-answer (the engine stopped under an open request).
 */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error) || statusCodeOf(error) !== null) return false;
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (code && syscall === 'connect' && UNREACHABLE_CONNECT.has(code)) return true;
  if (code && BROKEN_CONNECTION.has(code)) return true;
  return /socket hang up/i.test(error.message);
}

/**
 * What an engine answers for a while after it (re)starts, before its network store is back:
 * `failed to update store for object type *libnetwork.endpoint: open : no such file or directory`.
 * Nothing of the job's own makes these.
 */
const ENGINE_NOT_READY =
  /libnetwork|failed to update store|daemon is shutting down|transport is closing|context canceled|: unavailable$/i;

/**
 * A start caught by an engine stopping leaves its network endpoint behind (answered 403):
 * the engine's state, never the job's, and gone once the engine has restarted.
 */
const STALE_ENDPOINT = /endpoint with name .* already exists in network/i;

export function isEngineNotReady(error: unknown): boolean {
  const status = statusCodeOf(error);
  if (status === null) return false;
  const message = messageOf(error);
  return (status >= 500 && ENGINE_NOT_READY.test(message)) || STALE_ENDPOINT.test(message);
}

/**
 * A start the engine broke off while it stopped leaves the container's network endpoint behind, and
 * the next start of that container fails with `endpoint with name godocker-x-8 already exists in network
 * none` (403; seen on a private engine stopped under starts) until the engine, restarted, cleans it up.
 * The endpoint is named after the container, whose name is the task key: nothing of the job's own makes it.
 */
export function isStaleEndpoint(error: unknown): boolean {
  return statusCodeOf(error) === 403 && /endpoint with name \S+ already exists in network/.test(messageOf(error));
}

/**
 * Keeps our typed errors as they are; wraps anything from the engine with what we were doing.
 * An engine that does not answer is a passing fault of the executor, not of the job.
 */
export function executorError(doing: string, error: unknown): GodockerError {
  if (GodockerError.is(error)) return error;
  if (isUnreachable(error) || isEngineNotReady(error)) {
    return new ExecutorUnavailableError(`${doing}: the Docker engine does not answer (${messageOf(error)})`, error);
  }
  return new ExecutorError(`${doing}: ${messageOf(error)}`, error);
}
