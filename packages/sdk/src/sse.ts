/**
 * A small server-sent events parser (the WHATWG "event stream interpretation"),
 * used for `GET /api/v1/events` and followed logs. It takes text in chunks of any
 * size: a line, a CRLF pair or a multi-byte character may be split across chunks.
 *
 * ```ts
 * for await (const ev of readSse(response.body)) console.log(ev.event, ev.data);
 * ```
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, `message` when the server sent none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` the stream has set (it carries over to later events), '' if none. */
  id: string;
}

const LF = 10;
const CR = 13;

/** Incremental parser: feed it text with `push`, collect the events it returns. */
export class SseParser {
  /** Last valid `retry:` value in milliseconds; a client reconnects after this long. */
  retryMs: number | undefined;
  private buffer = '';
  // Where the next search for a line end starts, so a long line arriving in many chunks is scanned once.
  private scanned = 0;
  private started = false;
  private data: string[] = [];
  private type = '';
  private lastId = '';

  /** Parses one chunk of text; returns the events completed by it. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    return this.drain(false);
  }

  /**
   * Ends the stream. A last event that was not followed by a blank line is dropped,
   * as the standard says: the server may have been cut off in the middle of it.
   */
  end(): SseEvent[] {
    const events = this.drain(true);
    this.data = [];
    this.type = '';
    return events;
  }

  private drain(final: boolean): SseEvent[] {
    const out: SseEvent[] = [];
    const buf = this.buffer;
    let start = 0;
    let i = this.scanned;
    for (; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      // A CR at the end of a chunk may be the first half of a CRLF: wait for the next chunk.
      if (c === CR && i === buf.length - 1 && !final) break;
      const line = buf.slice(start, i);
      if (c === CR && buf.charCodeAt(i + 1) === LF) i++;
      start = i + 1;
      this.line(line, out);
    }
    if (final && start < buf.length) this.line(buf.slice(start), out);
    this.buffer = final ? '' : buf.slice(start);
    this.scanned = final ? 0 : i - start;
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return; // a comment, e.g. a keepalive `: ping`
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored, as the standard says
    }
  }

  private dispatch(out: SseEvent[]): void {
    // An event with no data line is not dispatched (the standard's rule), but its type is reset.
    if (this.data.length > 0) out.push({ event: this.type || 'message', data: this.data.join('\n'), id: this.lastId });
    this.data = [];
    this.type = '';
  }
}

/**
 * Reads a byte stream (a fetch `Response.body`) as server-sent events.
 * Breaking out of the loop cancels the stream.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  parser: SseParser = new SseParser(),
): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  // stream: true keeps a multi-byte character split across two chunks whole.
  const decoder = new TextDecoder('utf-8');
  let done = false;
  try {
    while (!done) {
      const r = await reader.read();
      done = r.done;
      const text = done ? decoder.decode() : decoder.decode(r.value, { stream: true });
      yield* done ? [...parser.push(text), ...parser.end()] : parser.push(text);
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
