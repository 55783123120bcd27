/**
 * Paths a user gives inside a job's directory. Everything in that directory may have been
 * made by the job (it is mounted read-write in its container), so no name in it is trusted:
 * a path is refused when it is absolute, has a `..` segment or a NUL byte, or leads out of the
 * directory through a symbolic link (`ln -s /etc/shadow x`, a linked parent folder).
 *
 * The check is made twice: on the path (realpath must stay inside), and on what was actually
 * opened, whose true path the kernel gives in /proc/self/fd (the job may swap a folder for a
 * link between the two). The daemon reads and writes only through the descriptor it checked.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, readlink, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes, GodockerError } from '@godocker/sdk';
import { isInside } from './job-dir.js';

export class PathRefusedError extends GodockerError {
  constructor(path: string, why: string) {
    super(ErrorCodes.PATH_REFUSED, `path "${printable(path)}" is refused: ${why}`, { field: 'path' });
    this.name = 'PathRefusedError';
  }
}

function printable(path: string): string {
  return path.replaceAll('\0', '\\0').slice(0, 300);
}

/** The segments of a relative path, or PathRefusedError saying what is wrong with it. */
export function pathSegments(path: string): string[] {
  if (path.includes('\0')) throw new PathRefusedError(path, 'it contains a NUL byte');
  if (path.startsWith('/')) {
    throw new PathRefusedError(path, "it is absolute: give it relative to the job's directory (out/result.txt)");
  }
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new PathRefusedError(path, "it has a `..` segment: paths stay inside the job's directory");
  }
  return segments;
}

/**
 * `root` joined with the segments, resolved through links one step at a time, and refused as
 * soon as a step leaves `root`: a path through a link out is refused whether or not what it
 * names exists out there (a 404 would tell the user what exists outside).
 */
export async function resolveInside(root: string, path: string, segments: readonly string[]): Promise<string> {
  let at = root;
  for (const name of segments) {
    at = await realpath(join(at, name));
    if (!isInside(root, at)) throw outside(path);
  }
  return at;
}

function outside(path: string): PathRefusedError {
  return new PathRefusedError(path, "it leads out of the job's directory through a symbolic link");
}

/** The true path of an open descriptor, as the kernel has it. */
export async function pathOfDescriptor(handle: FileHandle): Promise<string> {
  return readlink(`/proc/self/fd/${handle.fd}`);
}

/**
 * Opens `real` (a path resolveInside gave) without following a link at its end, and checks
 * that what was opened is still inside `root`: a link swapped in for a parent since the
 * realpath is caught here, before anything is read or written.
 */
export async function openInside(root: string, path: string, real: string, flags: number, mode?: number): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(real, flags | constants.O_NOFOLLOW, mode);
  } catch (error) {
    // ELOOP: the last name became a link since the realpath.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw outside(path);
    throw error;
  }
  const opened = await pathOfDescriptor(handle).catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (!isInside(root, opened)) {
    await handle.close();
    throw outside(path);
  }
  return handle;
}
