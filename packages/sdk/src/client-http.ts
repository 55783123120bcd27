/**
 * The HTTP layer under `GodockerClient`: builds URLs, sends the token, and turns
 * every failure into a typed error (API errors from their body, network failures
 * into a ConnectionError that says how to fix them).
 */

import { ConnectionError, type ErrorBody, ErrorCodes, errorFromBody, GodockerError } from './errors.js';
import { API_PREFIX } from './wire-constants.js';

export type FetchFn = typeof globalThis.fetch;

export type QueryValue = string | number | boolean | undefined | null;

/** Bytes to upload: whole, or streamed as they are read (a file's ReadStream is an AsyncIterable). */
export type RawBody = Uint8Array | string | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Below API_PREFIX, e.g. `/jobs/12`. */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
  /** Sent as it is (a file's bytes, streamed), as application/octet-stream, instead of `body` as JSON. */
  rawBody?: RawBody | undefined;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  accept?: string;
}

/** `http://host:6543/`, `http://host:6543/api/v1` -> `http://host:6543`. */
export function normalizeBaseUrl(url: string): string {
  let u = url.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `http://${u}`;
  u = u.replace(/\/+$/, '');
  if (u.endsWith(API_PREFIX)) u = u.slice(0, -API_PREFIX.length);
  return u;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

/** The innermost system error code of a fetch failure (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET...). */
function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  let code: string | undefined;
  for (let depth = 0; cur && depth < 5; depth++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') code = c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return code;
}

/** A network failure, phrased so a person knows what to try next. */
export function connectionError(baseUrl: string, cause: unknown): ConnectionError {
  const code = causeCode(cause);
  const why = code ?? (cause instanceof Error ? cause.message : String(cause));
  return new ConnectionError(
    `cannot reach the GoDocker daemon at ${baseUrl} (${why}): is it running? ` +
      'Start one with `godocker server`, or point to the right one with `godocker login --url URL` (or GODOCKER_URL)',
    cause,
  );
}

const CODE_BY_STATUS: Record<number, string> = {
  401: ErrorCodes.UNAUTHENTICATED,
  403: ErrorCodes.FORBIDDEN,
  404: ErrorCodes.NOT_FOUND,
  409: ErrorCodes.CONFLICT,
  413: ErrorCodes.PAYLOAD_TOO_LARGE,
  422: ErrorCodes.IDEMPOTENCY_KEY_REUSED,
  429: ErrorCodes.RATE_LIMITED,
  503: ErrorCodes.UNAVAILABLE,
};

function isErrorBody(v: unknown): v is ErrorBody {
  const e = (v as { error?: unknown } | null)?.error;
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string';
}

/**
 * Typed error of a non-2xx answer. Bodies that are not ours (a proxy's HTML page,
 * a framework's default 404) still get a code from the status and a message that
 * names the request, so nothing surfaces as a bare "HTTP 502".
 */
export function apiError(status: number, text: string, method: string, url: string): GodockerError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (isErrorBody(parsed)) return errorFromBody(status, parsed);
  const code = CODE_BY_STATUS[status] ?? (status >= 500 ? ErrorCodes.INTERNAL : ErrorCodes.INVALID_REQUEST);
  const detail = text.trim().replace(/\s+/g, ' ').slice(0, 200);
  const message = `${method} ${url} answered HTTP ${status}${detail ? `: ${detail}` : ''}`;
  return errorFromBody(status, { error: { code, message } });
}

export class HttpTransport {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchFn: FetchFn;

  constructor(url: string, token: string | undefined, fetchFn: FetchFn | undefined) {
    this.baseUrl = normalizeBaseUrl(url);
    this.token = token;
    // Late-bound so a test (or an app) may replace globalThis.fetch after the client is made.
    this.fetchFn = fetchFn ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) qs.set(k, String(v));
    const q = qs.toString();
    return `${this.baseUrl}${API_PREFIX}${path}${q ? `?${q}` : ''}`;
  }

  /** Sends the request; resolves with a 2xx response, throws a typed error otherwise. */
  async send(spec: RequestSpec): Promise<Response> {
    const url = this.url(spec.path, spec.query);
    const headers: Record<string, string> = { accept: spec.accept ?? 'application/json', ...spec.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | RawBody | undefined;
    if (spec.rawBody !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = spec.rawBody;
    } else if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.body);
    }
    // A streamed body needs half duplex (Node's fetch): the answer may come before the body is all sent (a 413).
    const streamed = body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array);
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method: spec.method,
        headers,
        body: body as RequestInit['body'],
        signal: spec.signal ?? null,
        ...(streamed ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (e) {
      if (isAbort(e) || spec.signal?.aborted) throw e;
      throw connectionError(this.baseUrl, e);
    }
    if (!res.ok) {
      let text = '';
      try {
        text = await res.text();
      } catch {
        // the status alone is still worth reporting
      }
      throw apiError(res.status, text, spec.method, url);
    }
    return res;
  }

  async json<T>(spec: RequestSpec): Promise<{ status: number; body: T }> {
    const res = await this.send(spec);
    const text = await this.readText(res, spec.signal);
    try {
      return { status: res.status, body: JSON.parse(text) as T };
    } catch (e) {
      const url = this.url(spec.path, spec.query);
      throw new GodockerError(
        ErrorCodes.INTERNAL,
        `${spec.method} ${url} answered HTTP ${res.status} with a body that is not JSON`,
        {
          cause: e,
          status: res.status,
        },
      );
    }
  }

  async text(spec: RequestSpec): Promise<string> {
    const res = await this.send({ accept: 'text/plain', ...spec });
    return this.readText(res, spec.signal);
  }

  // The body can fail after the headers arrived (the daemon stopped mid-answer).
  private async readText(res: Response, signal: AbortSignal | undefined): Promise<string> {
    try {
      return await res.text();
    } catch (e) {
      if (isAbort(e) || signal?.aborted) throw e;
      throw connectionError(this.baseUrl, e);
    }
  }
}
