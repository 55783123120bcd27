/**
 * Write errors of a data folder that say "this storage cannot be used right now" (remounted
 * read-only, full, an I/O error, permissions changed under the daemon): a fault of the place,
 * not of a job. They become ExecutorUnavailableError, so the work is retried instead of failed.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ExecutorUnavailableError, GodockerError } from './errors.js';

const STORAGE_FAULTS = new Set(['EROFS', 'EACCES', 'EPERM', 'EIO', 'ENOSPC', 'EDQUOT', 'ESTALE', 'ENOTCONN', 'EBUSY']);

const DESCRIPTIONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ESTALE: 'stale file handle',
  ENOTCONN: 'transport endpoint is not connected',
  EBUSY: 'device or resource busy',
};

function codeOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The errno that explains a failed write under `path`. A recursive mkdir on a read-only file
 * system answers ENOENT (the folder it would make does not exist), which hides the cause: the
 * nearest folder that exists is asked whether it can be written.
 */
async function realCode(path: string, error: unknown): Promise<string | undefined> {
  const code = codeOf(error);
  if (code !== 'ENOENT') return code;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      await access(dir, constants.W_OK);
      return code;
    } catch (e) {
      const c = codeOf(e);
      if (c !== 'ENOENT' && c !== 'ENOTDIR') return c;
    }
    if (dir === dirname(dir)) return code;
  }
}

/**
 * `error` from writing `path` as an ExecutorUnavailableError when it is a storage fault, with
 * the real cause (`cannot write /var/lib/godocker/logs/7: read-only file system (EROFS)`);
 * anything else comes back as it was.
 */
export async function asStorageFault(doing: string, path: string, error: unknown): Promise<unknown> {
  if (error instanceof GodockerError) return error;
  const code = await realCode(path, error);
  if (code === undefined || !STORAGE_FAULTS.has(code)) return error;
  return new ExecutorUnavailableError(`${doing}: cannot write ${path}: ${DESCRIPTIONS[code] ?? code} (${code})`, error);
}

/**
 * Runs a read of `path` (a file the daemon itself wrote); a storage fault (an I/O error, a
 * stale NFS handle) is thrown as ExecutorUnavailableError: what the file says is unknown for
 * now, not absent. A missing file is the caller's business and comes back as it was.
 */
export async function readingFrom<T>(doing: string, path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const code = codeOf(error);
    if (error instanceof GodockerError || code === undefined || !STORAGE_FAULTS.has(code)) throw error;
    throw new ExecutorUnavailableError(`${doing}: cannot read ${path}: ${DESCRIPTIONS[code] ?? code} (${code})`, error);
  }
}

/** Runs a write under `path`; a storage fault is thrown as ExecutorUnavailableError. */
export async function writingTo<T>(doing: string, path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw await asStorageFault(doing, path, error);
  }
}
