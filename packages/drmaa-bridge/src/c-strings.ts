/**
 * C strings in and out of a DRMAA library: out-buffers are Node Buffers the
 * library writes a NUL-terminated string into, never past the length it is given.
 */
import { ValidationError } from '@godocker/sdk';

/** DRMAA_ERROR_STRING_BUFFER and the other recommended sizes of drmaa.h. */
export const DRMAA_BUFFER = 1024;
/** DRMAA_SIGNAL_BUFFER */
export const SIGNAL_BUFFER = 32;
/** Attribute values are retried with bigger buffers up to this, so long values come back whole. */
export const MAX_VALUE_BUFFER = 16 * 1024 * 1024;

export function outBuffer(size = DRMAA_BUFFER): Buffer {
  return Buffer.alloc(size);
}

/** The string up to the first NUL (the whole buffer if the library wrote none). */
export function cString(buffer: Buffer): string {
  const end = buffer.indexOf(0);
  return buffer.toString('utf8', 0, end === -1 ? buffer.length : end);
}

/**
 * True when the string may have been cut to fit: it fills the buffer up to the
 * last byte before the terminator (truncation is the standard's rule, not an error).
 */
export function mayBeTruncated(buffer: Buffer): boolean {
  const end = buffer.indexOf(0);
  return end === -1 || end >= buffer.length - 1;
}

/** C strings end at NUL: a JavaScript string holding one cannot reach a library whole. */
export function checkCString(value: string, what: string): void {
  if (value.includes('\0')) {
    throw new ValidationError(`${what} contains a NUL character, which a C string cannot hold: remove it`, what);
  }
}
