/**
 * dockerode rejects with plain Errors carrying the HTTP `statusCode` of the
 * engine's answer; these helpers read it without `any`.
 */
import { ExecutorError, ExecutorUnavailableError, GodockerError, portText, type RunSpec } from '@godocker/sdk';

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
 * A start the engine broke off while it stopped leaves things of the container behind, and every later
 * start of that container fails on them (seen on a private engine stopped under starts, and still so
 * after it started again): `endpoint with name godocker-x-8 already exists in network none` (403),
 * `task 10b0…: already exists` (500). They are named after the container (its name is the task key, its
 * id ours): nothing of the job's own makes a start fail with "already exists".
 */
export function isStartLeftover(error: unknown): boolean {
  const status = statusCodeOf(error);
  return status !== null && status >= 400 && /\balready exists\b/.test(messageOf(error));
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

/** `listen tcp4 0.0.0.0:20777: bind: address already in use`, `Bind for 0.0.0.0:20777 failed: port is already allocated`. */
const PORT_TAKEN =
  /(?:listen \w+ [^\s]*:(\d+): bind: address already in use|Bind for [^\s]*:(\d+) failed: port is already allocated)/;

/**
 * A host port of the job's that something outside GoDocker already uses on the node: the
 * engine cannot publish it. Says which port of the job it was, for the job's reason.
 */
export function hostPortTaken(error: unknown, spec: RunSpec): string | null {
  const m = PORT_TAKEN.exec(messageOf(error));
  if (!m) return null;
  const hostPort = Number(m[1] ?? m[2]);
  const mine = spec.ports?.find((p) => p.hostPort === hostPort);
  const what = mine ? `host port ${hostPort} (for container port ${portText(mine)})` : `host port ${hostPort}`;
  return `${what} is already in use on node ${spec.node} by a program outside GoDocker; free it or take it out of the port pool (ports.start, ports.range)`;
}
