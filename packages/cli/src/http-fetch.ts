/**
 * The `fetch` the command gives the SDK client, over node:http. Node 20's global
 * fetch loads undici on first use, about 100 ms of CPU: more than all the rest of
 * a `godocker submit`. The client needs little of fetch (a method, headers, a
 * string body or a file's bytes streamed, an abort signal; back a status, the text,
 * or the body as a stream for the event streams and downloads), and node:http is
 * already in Node's startup snapshot.
 */
import { Agent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Readable } from 'node:stream';
import type { FetchFn } from '@godocker/sdk/client';
import { importHttps } from './dynamic-imports.js';

// Keep-alive as fetch has it: `wait` and `logs -f` send request after request. Idle sockets are unref'd.
const agent = new Agent({ keepAlive: true });

/** What the SDK client reads of a response. */
type ResponsePart = Pick<Response, 'ok' | 'status' | 'url' | 'body' | 'text'> & { headers: Pick<Headers, 'get'> };

class HttpResponse implements ResponsePart {
  readonly ok: boolean;
  readonly status: number;
  readonly url: string;
  readonly #message: IncomingMessage;

  constructor(url: string, message: IncomingMessage) {
    this.url = url;
    this.status = message.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.#message = message;
    // A cut connection is reported to whoever reads the body; unread, it must not crash the process.
    message.on('error', () => undefined);
  }

  /** Only get(): the global Headers would load undici. */
  get headers(): Pick<Headers, 'get'> {
    const raw = this.#message.headers;
    return {
      get: (name: string) => {
        const v = raw[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    };
  }

  get body(): ReadableStream<Uint8Array> {
    return Readable.toWeb(this.#message) as ReadableStream<Uint8Array>;
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.#message) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

async function requestFn(url: URL): Promise<typeof httpRequest> {
  if (url.protocol === 'http:') return httpRequest;
  if (url.protocol === 'https:') return (await importHttps()).request;
  throw new TypeError(`unsupported protocol ${url.protocol} in ${url.href}: use http:// or https://`);
}

/** fetch(url, { method, headers, body, signal }) for the SDK's HttpTransport; nothing more of fetch. */
export const httpFetch: FetchFn = async (input, init = {}) => {
  const url = new URL(String(input));
  const signal = init.signal ?? undefined;
  if (signal?.aborted) throw abortReason(signal);
  const send = await requestFn(url);
  const raw: unknown = init.body;
  const body = typeof raw === 'string' ? Buffer.from(raw) : raw instanceof Uint8Array ? Buffer.from(raw) : undefined;
  // An upload: sent chunked as it is read, never held in memory whole.
  const stream =
    raw instanceof ReadableStream
      ? Readable.fromWeb(raw as import('node:stream/web').ReadableStream)
      : raw != null && body === undefined && typeof (raw as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function'
        ? Readable.from(raw as AsyncIterable<Uint8Array>)
        : undefined;
  if (raw != null && body === undefined && stream === undefined) {
    throw new TypeError('httpFetch sends strings, bytes and streams of bytes only');
  }
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (body) headers['content-length'] = String(body.length);
  const options: RequestOptions = { method: init.method ?? 'GET', headers, ...(url.protocol === 'http:' ? { agent } : {}) };

  const message = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(url, options, resolve);
    req.on('error', reject);
    if (signal) {
      const onAbort = () => req.destroy(abortReason(signal) as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      // The body may be read long after the headers (an event stream): stop listening only once the socket is done.
      req.on('close', () => signal.removeEventListener('abort', onAbort));
    }
    if (stream) {
      // The daemon may answer (413) before the whole body is sent: the answer counts, not the broken pipe.
      stream.on('error', (error) => req.destroy(error));
      stream.pipe(req);
    } else req.end(body);
  });
  return new HttpResponse(url.href, message) as unknown as Response;
};
