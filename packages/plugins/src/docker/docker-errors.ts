/**
 * dockerode rejects with plain Errors carrying the HTTP `statusCode` of the
 * engine's answer; these helpers read it without `any`.
 */
import { ExecutorError, GodockerError } from '@godocker/sdk';

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

/** Keeps our typed errors as they are; wraps anything from the engine with what we were doing. */
export function executorError(doing: string, error: unknown): GodockerError {
  if (GodockerError.is(error)) return error;
  return new ExecutorError(`${doing}: ${messageOf(error)}`, error);
}
