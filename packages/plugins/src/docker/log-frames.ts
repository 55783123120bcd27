/**
 * Docker multiplexes stdout and stderr of a non-TTY container on one HTTP body:
 * frames of an 8-byte header (stream type, 3 zero bytes, big-endian length) and
 * a payload. `docker.modem.demuxStream` parses this too, but it neither ends nor
 * errors its outputs and ignores back-pressure; an async generator gives all
 * three, so a slow reader (or a file on a slow disk) does not buffer whole logs
 * in memory, and a reader that stops early hangs up on the engine.
 * A frame of type 3 is the engine's own error (it answered 200, then could not go
 * on): it ends the frames with that error, as the docker CLI does.
 */
import type { LogStream } from '@godocker/sdk';

export interface LogFrame {
  stream: LogStream;
  data: Buffer;
}

const HEADER = 8;
/** Stream type 3: an error of the engine itself (moby's stdcopy "Systemerr"), never the task's output. */
const SYSTEM_ERROR = 3;

export async function* logFrames(source: AsyncIterable<Buffer | string>): AsyncGenerator<LogFrame> {
  let pending: Buffer = Buffer.alloc(0);
  let raw = false;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (raw) {
      yield { stream: 'stdout', data: bytes };
      continue;
    }
    pending = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
    while (pending.length >= HEADER) {
      const type = pending.readUInt8(0);
      if (type === SYSTEM_ERROR && pending.readUIntBE(1, 3) === 0) {
        // The engine's own error, in the stream after a 200 (a service log whose node is away).
        const length = pending.readUInt32BE(4);
        if (pending.length < HEADER + length) break;
        throw new Error(
          `error from daemon in stream: ${pending
            .subarray(HEADER, HEADER + length)
            .toString('utf8')
            .trim()}`,
        );
      }
      if (type > 2) {
        // Not multiplexed (a TTY container): the engine sends the bytes as they are.
        raw = true;
        yield { stream: 'stdout', data: pending };
        pending = Buffer.alloc(0);
        break;
      }
      const length = pending.readUInt32BE(4);
      if (pending.length < HEADER + length) break;
      const data = pending.subarray(HEADER, HEADER + length);
      pending = pending.subarray(HEADER + length);
      if (length > 0) yield { stream: type === 2 ? 'stderr' : 'stdout', data };
    }
  }
  // A frame cut short by a closed connection is dropped: its header promised bytes that never came.
}

/** The bytes of one stream, in order. */
export async function* streamBytes(source: AsyncIterable<Buffer | string>, stream: LogStream): AsyncGenerator<Buffer> {
  for await (const frame of logFrames(source)) {
    if (frame.stream === stream) yield frame.data;
  }
}
