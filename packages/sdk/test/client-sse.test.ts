import { readSse, type SseEvent, SseParser } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';

/** Feeds the text in the given pieces and returns every event, including those at end(). */
function parse(pieces: string[]): SseEvent[] {
  const p = new SseParser();
  return [...pieces.flatMap((c) => p.push(c)), ...p.end()];
}

/** Every way of cutting `text` in two. */
function allSplits(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

function bytesStream(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

const STREAM = ': connected\n\nevent: log\ndata: {"text":"a"}\n\n: ping\n\nevent: end\ndata: {"id":1}\n\n';
const EXPECTED = [
  { event: 'log', data: '{"text":"a"}', id: '' },
  { event: 'end', data: '{"id":1}', id: '' },
];

describe('SseParser', () => {
  it('parses events and skips comments', () => {
    expect(parse([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events however the stream is cut in two', () => {
    for (const pieces of allSplits(STREAM)) expect(parse(pieces)).toEqual(EXPECTED);
  });

  it('gives the same events one character at a time', () => {
    expect(parse([...STREAM])).toEqual(EXPECTED);
  });

  it('joins multi-line data with newlines', () => {
    expect(parse(['data: one\ndata: two\ndata:\ndata: four\n\n'])).toEqual([
      { event: 'message', data: 'one\ntwo\n\nfour', id: '' },
    ]);
  });

  it('accepts CRLF and CR line ends, also when a CRLF is split across chunks', () => {
    const crlf = 'event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r';
    const want = [
      { event: 'a', data: '1', id: '' },
      { event: 'b', data: '2', id: '' },
    ];
    for (const pieces of allSplits(crlf)) expect(parse(pieces)).toEqual(want);
    // a CR at the very end of a chunk, then LF: one line end, not two (not an empty line)
    expect(parse(['data: x\r', '\ndata: y\r', '\n\r', '\n'])).toEqual([{ event: 'message', data: 'x\ny', id: '' }]);
  });

  it('removes only one space after the colon, and takes a field with no colon as empty', () => {
    expect(parse(['data:  two spaces\ndata\n\n'])).toEqual([{ event: 'message', data: ' two spaces\n', id: '' }]);
  });

  it('does not dispatch an event without data, and resets its type', () => {
    expect(parse(['event: lonely\n\ndata: x\n\n'])).toEqual([{ event: 'message', data: 'x', id: '' }]);
  });

  it('drops an event cut off before its blank line', () => {
    expect(parse(['data: complete\n\ndata: cut off'])).toEqual([{ event: 'message', data: 'complete', id: '' }]);
  });

  it('keeps the last id for later events and reads retry', () => {
    const p = new SseParser();
    const events = [...p.push('id: 7\ndata: a\n\ndata: b\n\nretry: 1500\nretry: soon\nid: 8\0\ndata: c\n\n'), ...p.end()];
    expect(events.map((e) => e.id)).toEqual(['7', '7', '7']);
    expect(p.retryMs).toBe(1500);
  });

  it('ignores unknown fields and a leading BOM', () => {
    expect(parse(['\uFEFFfoo: bar\ndata: x\n\n'])).toEqual([{ event: 'message', data: 'x', id: '' }]);
  });

  it('handles a long line that arrives in many chunks', () => {
    const long = 'x'.repeat(100_000);
    const text = `data: ${long}\n\n`;
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 997) pieces.push(text.slice(i, i + 997));
    expect(parse(pieces)).toEqual([{ event: 'message', data: long, id: '' }]);
  });
});

describe('readSse', () => {
  it('decodes a multi-byte character split across byte chunks', async () => {
    const bytes = new TextEncoder().encode('event: log\ndata: {"text":"héllo €"}\n\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of €
    const events: SseEvent[] = [];
    for await (const ev of readSse(bytesStream([bytes.slice(0, cut), bytes.slice(cut)]))) events.push(ev);
    expect(events).toEqual([{ event: 'log', data: '{"text":"héllo €"}', id: '' }]);
  });

  it('cancels the stream when the reader stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    let n = 0;
    for await (const _ of readSse(body)) if (++n === 3) break;
    expect(n).toBe(3);
    expect(cancelled).toBe(true);
  });
});
