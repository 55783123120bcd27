/**
 * Server-sent events on a hijacked reply: one writer, keepalive comments so
 * proxies do not drop quiet streams, and a close hook for cleanup.
 */
import type { FastifyReply } from 'fastify';

export interface SseStream {
  send(event: string, data: unknown): boolean;
  close(): void;
  readonly closed: boolean;
  /** Resolves when the client goes away or close() is called. */
  readonly done: Promise<void>;
}

export function openSse(reply: FastifyReply, shutdown: AbortSignal, keepaliveMs = 15_000): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  let closed = false;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const timer = setInterval(() => res.write(': ping\n\n'), keepaliveMs);
  timer.unref();
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    // The daemon's shutdown signal lives as long as the daemon: a listener left on it would keep
    // every closed stream (and its socket) in memory.
    shutdown.removeEventListener('abort', close);
    res.end();
    finish();
  };
  res.on('close', close);
  if (shutdown.aborted) close();
  else shutdown.addEventListener('abort', close, { once: true });
  return {
    send(event, data) {
      if (closed) return false;
      return res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close,
    get closed() {
      return closed;
    },
    done,
  };
}
