/**
 * The two long-lived streams of the API: followed logs and job events. Both are
 * server-sent events and both survive a dropped connection by reconnecting, so a
 * daemon restart or an idle proxy does not end a `godocker logs -f`.
 */
import type { JobEvent } from './api.js';
import type { HttpTransport } from './client-http.js';
import { ErrorCodes, GodockerError } from './errors.js';
import type { LogStream } from './executor.js';
import type { Job } from './job.js';
import { sleep } from './portable-runtime.js';
import { readSse, SseParser } from './sse.js';

/** Reconnect after a network failure or a 502/503/504, never after a 4xx (it would fail again). */
export function isRetryable(e: unknown): boolean {
  if (GodockerError.is(e))
    return e.code === ErrorCodes.CONNECTION || e.code === ErrorCodes.UNAVAILABLE || [502, 503, 504].includes(e.status);
  // undici reports a connection cut while reading a body as a TypeError ("terminated").
  return e instanceof TypeError;
}

/** Exponential backoff with jitter, capped; the server's `retry:` wins when it sent one. */
export function backoffMs(failures: number, serverRetryMs?: number): number {
  if (serverRetryMs !== undefined) return serverRetryMs;
  const base = Math.min(10_000, 250 * 2 ** Math.min(failures, 10));
  return base / 2 + Math.random() * (base / 2);
}

/** Sleeps; false when the signal aborted first. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}

function linked(outer: AbortSignal | undefined): { controller: AbortController; signal: AbortSignal } {
  const controller = new AbortController();
  return { controller, signal: outer ? AbortSignal.any([outer, controller.signal]) : controller.signal };
}

function parseData<T>(data: string, what: string): T {
  try {
    return JSON.parse(data) as T;
  } catch (e) {
    throw new GodockerError(ErrorCodes.INTERNAL, `the daemon sent a malformed ${what} event: ${data.slice(0, 200)}`, {
      cause: e,
    });
  }
}

function bodyOf(res: Response): ReadableStream<Uint8Array> {
  if (!res.body) throw new GodockerError(ErrorCodes.INTERNAL, `${res.url} answered an event stream without a body`);
  return res.body;
}

/** How many times a followed log reconnects in a row before it gives up. */
const MAX_LOG_RECONNECTS = 5;

/**
 * Yields the output of a job as it arrives, until the job ends; returns the final job
 * (null when the signal aborted first). On reconnection the server sends the log again
 * from its start, so the characters already yielded are skipped.
 */
export async function* followLog(
  http: HttpTransport,
  id: number | string,
  stream: LogStream,
  outer: AbortSignal | undefined,
): AsyncGenerator<string, Job | null, undefined> {
  const { controller, signal } = linked(outer);
  let emitted = 0;
  let failures = 0;
  try {
    for (;;) {
      let retryMs: number | undefined;
      try {
        const res = await http.send({
          method: 'GET',
          path: `/jobs/${encodeURIComponent(String(id))}/logs/${stream}`,
          query: { follow: true },
          accept: 'text/event-stream',
          signal,
        });
        const parser = new SseParser();
        let seen = 0;
        for await (const ev of readSse(bodyOf(res), parser)) {
          if (ev.event === 'end') {
            const job = parseData<Job>(ev.data, 'log end');
            // A stream that ended without any output may have been opened in the instant between the
            // job's start and its task's creation, and missed everything: the stored log settles it.
            if (emitted === 0) {
              const whole = await http.text({
                method: 'GET',
                path: `/jobs/${encodeURIComponent(String(id))}/logs/${stream}`,
                signal,
              });
              if (whole) yield whole;
            }
            return job;
          }
          if (ev.event !== 'log') continue;
          const text = parseData<{ text: string }>(ev.data, 'log').text;
          const skip = Math.max(0, emitted - seen);
          seen += text.length;
          if (skip >= text.length) continue;
          const fresh = skip > 0 ? text.slice(skip) : text;
          emitted += fresh.length;
          failures = 0;
          yield fresh;
        }
        retryMs = parser.retryMs;
        failures++; // closed without `end`: the daemon went away mid-stream
      } catch (e) {
        if (signal.aborted) return null;
        if (!isRetryable(e)) throw e;
        failures++;
        if (failures > MAX_LOG_RECONNECTS) throw e;
      }
      if (failures > MAX_LOG_RECONNECTS) {
        throw new GodockerError(ErrorCodes.UNAVAILABLE, `the log stream of job ${id} kept closing before the job ended`);
      }
      if (!(await pause(backoffMs(failures, retryMs), signal))) return null;
    }
  } finally {
    controller.abort();
  }
}

/**
 * Yields job state changes for as long as the caller iterates, reconnecting (with
 * backoff) when the connection drops. Changes that happen while disconnected are
 * not replayed: a caller that must not miss one re-reads the jobs it cares about
 * after a gap. Ends quietly when the signal aborts.
 */
export async function* jobEvents(
  http: HttpTransport,
  outer: AbortSignal | undefined,
  options: { session?: string | undefined; onConnect?: (() => void) | undefined } = {},
): AsyncGenerator<JobEvent, void, undefined> {
  const { controller, signal } = linked(outer);
  let failures = 0;
  let lastId = '';
  try {
    while (!signal.aborted) {
      let retryMs: number | undefined;
      try {
        const res = await http.send({
          method: 'GET',
          path: '/events',
          query: { session: options.session },
          accept: 'text/event-stream',
          headers: lastId ? { 'last-event-id': lastId } : undefined,
          signal,
        });
        // The server subscribes before it answers: from here on no change is missed.
        options.onConnect?.();
        const parser = new SseParser();
        for await (const ev of readSse(bodyOf(res), parser)) {
          lastId = ev.id;
          if (ev.event !== 'job') continue;
          failures = 0;
          yield parseData<JobEvent>(ev.data, 'job');
        }
        retryMs = parser.retryMs;
        failures++;
      } catch (e) {
        if (signal.aborted) return;
        if (!isRetryable(e)) throw e;
        failures++;
      }
      if (!(await pause(backoffMs(failures, retryMs), signal))) return;
    }
  } finally {
    controller.abort();
  }
}
