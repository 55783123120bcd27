/**
 * Raw HTTP calls for tests that must see status codes and bodies exactly as
 * sent (hostile inputs, visibility); other tests use the SDK client.
 */
export interface Reply<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface Caller {
  token: string;
  call<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  /** Sends `raw` as the body untouched (bad JSON, wrong content type). */
  raw<T = unknown>(method: string, path: string, raw: string | undefined, headers?: Record<string, string>): Promise<Reply<T>>;
}

export function caller(baseUrl: string, token: string): Caller {
  const raw = async <T>(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // text/plain answers (logs) stay text
    }
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  };
  return {
    token,
    raw,
    call: (method, path, body, headers = {}) =>
      raw(
        method,
        path,
        body === undefined ? undefined : JSON.stringify(body),
        body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ),
  };
}
