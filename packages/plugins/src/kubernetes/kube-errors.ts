/**
 * What the API server's answers and the transport's failures mean to GoDocker. `@kubernetes/client-node`
 * rejects with an ApiException (the HTTP status in `code`, the server's Status object as JSON text in
 * `body`) when the server answered, and with node-fetch's FetchError (`type: 'system'`, a socket
 * `code`) when it did not.
 */
import { ExecutorError, ExecutorUnavailableError, GodockerError } from '@godocker/sdk';
import { ApiException } from '@kubernetes/client-node';

export function statusOf(error: unknown): number | null {
  return error instanceof ApiException ? error.code : null;
}

export const isNotFound = (error: unknown): boolean => statusOf(error) === 404;
export const isAlreadyExists = (error: unknown): boolean => statusOf(error) === 409;

/** The server's own sentence: the Status object's message. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    let status: unknown = body;
    if (typeof body === 'string') {
      try {
        status = JSON.parse(body);
      } catch {
        return body.trim() === '' ? `HTTP ${error.code}` : body.trim();
      }
    }
    if (typeof status === 'object' && status !== null && 'message' in status && typeof status.message === 'string') {
      return status.message;
    }
    return `HTTP ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** No answer from the API server, or an answer that says it cannot serve now (etcd away, overloaded). */
export function isUnreachable(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== null) return status === 429 || status === 502 || status === 503 || status === 504;
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
  const cause = (error as Error & { cause?: unknown }).cause;
  if (cause !== undefined && cause !== error && isUnreachable(cause)) return true;
  return /socket hang up|request to .* failed/i.test(error.message) && (error as Error & { type?: unknown }).type === 'system';
}

/** Keeps our typed errors; wraps the API's with what we were doing. A server that does not answer is a passing fault. */
export function kubeError(doing: string, error: unknown): GodockerError {
  if (GodockerError.is(error)) return error;
  if (isUnreachable(error)) {
    return new ExecutorUnavailableError(`${doing}: the Kubernetes API server does not answer (${messageOf(error)})`, error);
  }
  return new ExecutorError(`${doing}: ${messageOf(error)}`, error);
}
