/**
 * The frames between the daemon and its launcher (native/godocker-launch.c): a 32-bit
 * little-endian length, then that many bytes of fields, each a 32-bit little-endian
 * length and its bytes. Lengths, not separators, so a script may hold any byte.
 */

/** What the launcher takes at most in one frame (FRAME_MAX in the C file). */
export const FRAME_MAX = 256 * 1024 * 1024;

export function encodeFrame(fields: ReadonlyArray<string | Buffer>): Buffer {
  const parts = fields.map((field) => (typeof field === 'string' ? Buffer.from(field, 'utf8') : field));
  const payload = parts.reduce((sum, part) => sum + 4 + part.length, 0);
  const frame = Buffer.allocUnsafe(4 + payload);
  frame.writeUInt32LE(payload, 0);
  let at = 4;
  for (const part of parts) {
    frame.writeUInt32LE(part.length, at);
    part.copy(frame, at + 4);
    at += 4 + part.length;
  }
  return frame;
}

/** Splits a payload into its fields as text; null when they do not fill it exactly. */
function fieldsOf(payload: Buffer): string[] | null {
  const fields: string[] = [];
  let at = 0;
  while (at < payload.length) {
    if (payload.length - at < 4) return null;
    const length = payload.readUInt32LE(at);
    at += 4;
    if (length > payload.length - at) return null;
    fields.push(payload.toString('utf8', at, at + length));
    at += length;
  }
  return fields;
}

/** Gathers chunks of a stream into whole frames. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** The whole frames completed by `chunk`; a frame whose fields do not fit is null. */
  push(chunk: Buffer): Array<string[] | null> {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Array<string[] | null> = [];
    let at = 0;
    while (this.buffered.length - at >= 4) {
      const length = this.buffered.readUInt32LE(at);
      if (this.buffered.length - at - 4 < length) break;
      frames.push(fieldsOf(this.buffered.subarray(at + 4, at + 4 + length)));
      at += 4 + length;
    }
    this.buffered = this.buffered.subarray(at);
    return frames;
  }
}
