/**
 * Listing, reading and writing files in a job's directory on behalf of its user, through
 * safe-paths.ts: never a step out of the directory, and never a half-written file in it
 * (an upload goes to a fresh hidden name, then is renamed over the final one).
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lchown, lstat, mkdir, readdir, realpath, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ErrorCodes, GodockerError, type JobFileEntry, NotFoundError } from '@godocker/sdk';
import { isInside } from './job-dir.js';
import { openInside, PathRefusedError, pathOfDescriptor, pathSegments, resolveInside } from './safe-paths.js';

export interface Owner {
  uid: number;
  gid: number;
}

function notFound(path: string): NotFoundError {
  return new NotFoundError(`no such file or folder "${path}" in the job's directory: list it with \`godocker files ID\``);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Runs a lookup; a missing name is a 404 saying so. */
async function found<T>(path: string, look: () => Promise<T>): Promise<T> {
  try {
    return await look();
  } catch (error) {
    if (isMissing(error)) throw notFound(path);
    throw error;
  }
}

function typeOf(info: Stats): JobFileEntry['type'] {
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isDirectory()) return 'directory';
  if (info.isFile()) return 'file';
  return 'other';
}

/** The entries of a folder of the job's directory, by name; links are listed, not followed. */
export async function listFolder(dir: string, path: string): Promise<JobFileEntry[]> {
  return (await listFolderStats(dir, path)).map(({ name, info }) => ({
    name,
    type: typeOf(info),
    size: info.size,
    mtime: info.mtime.toISOString(),
  }));
}

/** listFolder with each entry's whole lstat (for sftp, which shows modes and owners). */
export async function listFolderStats(dir: string, path: string): Promise<{ name: string; info: Stats }[]> {
  const segments = pathSegments(path);
  const root = await found(path, () => realpath(dir));
  const real = await found(path, () => resolveInside(root, path, segments));
  if (!(await stat(real)).isDirectory()) {
    throw new GodockerError(ErrorCodes.INVALID_REQUEST, `"${path}" is a file, not a folder: download it with \`godocker get\``, {
      field: 'path',
    });
  }
  const handle = await found(path, () => openInside(root, path, real, constants.O_RDONLY | constants.O_DIRECTORY));
  try {
    // Read through the descriptor checked above: the folder opened, not whatever has its name now.
    const at = `/proc/self/fd/${handle.fd}`;
    const names = (await readdir(at)).sort();
    const entries: { name: string; info: Stats }[] = [];
    for (const name of names) {
      const info = await lstat(join(at, name)).catch(() => null);
      if (info) entries.push({ name, info });
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/** The real folder holding the last name of `path` (checked inside), and that name; null name: the root. */
async function parentInside(dir: string, path: string): Promise<{ root: string; parent: string; name: string | null }> {
  const segments = pathSegments(path);
  const root = await found(path, () => realpath(dir));
  const name = segments.at(-1) ?? null;
  const parent = await found(path, () => resolveInside(root, path, segments.slice(0, -1)));
  return { root, parent, name };
}

/** What `path` names: followed through links (staying inside) or, with `follow` false, the link itself. */
export async function statInside(dir: string, path: string, follow: boolean): Promise<Stats> {
  const { root, parent, name } = await parentInside(dir, path);
  if (name === null) return stat(root);
  if (!follow) return found(path, () => lstat(join(parent, name)));
  return found(path, async () => stat(await resolveInside(root, path, pathSegments(path))));
}

/** Makes one folder (its parent must exist), owned by `owner`. */
export async function makeFolder(dir: string, path: string, owner: Owner | null): Promise<void> {
  const { parent, name } = await parentInside(dir, path);
  if (name === null) throw new GodockerError(ErrorCodes.CONFLICT, "the job's directory exists already");
  const at = join(parent, name);
  await mkdir(at, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new GodockerError(ErrorCodes.CONFLICT, `"${path}" exists already`, { field: 'path' });
    throw error;
  });
  if (owner) await lchown(at, owner.uid, owner.gid);
}

/** Removes a file or a link (never what it points to); `folder`: removes an empty folder instead. */
export async function removeInside(dir: string, path: string, folder: boolean): Promise<void> {
  const { parent, name } = await parentInside(dir, path);
  if (name === null) throw new PathRefusedError(path, "the job's directory itself cannot be removed");
  const at = join(parent, name);
  const info = await found(path, () => lstat(at));
  if (folder !== info.isDirectory()) {
    throw new GodockerError(ErrorCodes.INVALID_REQUEST, `"${path}" is ${info.isDirectory() ? 'a folder' : 'not a folder'}`, {
      field: 'path',
    });
  }
  await found(path, () => (folder ? rmdir(at) : unlink(at)));
}

/** Renames within the job's directory; links are moved as links, an existing target is refused. */
export async function renameInside(dir: string, from: string, to: string): Promise<void> {
  const a = await parentInside(dir, from);
  const b = await parentInside(dir, to);
  if (a.name === null || b.name === null)
    throw new PathRefusedError(a.name === null ? from : to, "it is the job's directory itself");
  const target = join(b.parent, b.name);
  if (await lstat(target).catch(() => null))
    throw new GodockerError(ErrorCodes.CONFLICT, `"${to}" exists already`, { field: 'path' });
  await found(from, () => rename(join(a.parent, a.name as string), target));
}

export interface OpenedFile {
  handle: FileHandle;
  size: number;
}

/** A regular file of the job's directory, opened for reading; a folder or a device is refused. */
export async function openFile(dir: string, path: string): Promise<OpenedFile> {
  const segments = pathSegments(path);
  if (segments.length === 0) throw folderRefused(path);
  const root = await found(path, () => realpath(dir));
  const real = await found(path, () => resolveInside(root, path, segments));
  const handle = await found(path, () => openInside(root, path, real, constants.O_RDONLY | constants.O_NONBLOCK));
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    if (info.isDirectory()) throw folderRefused(path);
    throw new GodockerError(ErrorCodes.INVALID_REQUEST, `"${path}" is not a regular file`, { field: 'path' });
  }
  return { handle, size: info.size };
}

function folderRefused(path: string): GodockerError {
  return new GodockerError(
    ErrorCodes.INVALID_REQUEST,
    `"${path || '.'}" is a folder, not a file: list it with \`godocker files ID ${path}\``,
    { field: 'path' },
  );
}

/** Bytes in the job's directory: every file under it, links counted as themselves, never followed. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    if (isMissing(error)) return [];
    throw error;
  });
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(path);
    else total += (await lstat(path).catch(() => null))?.size ?? 0;
  }
  return total;
}

export interface UploadLimits {
  /** Largest file. */
  maxBytes: number;
  /** What the directory may hold in all, this upload included. */
  maxTotalBytes: number;
}

export class UploadTooLargeError extends GodockerError {
  constructor(message: string) {
    super(ErrorCodes.PAYLOAD_TOO_LARGE, message);
    this.name = 'UploadTooLargeError';
  }
}

/**
 * Makes the missing folders of `segments` (owned by `owner`) and returns the real path of the
 * last; a link among them must stay inside `root`. A folder swapped for a link between two
 * steps is caught by the check of the descriptor opened in it (openInside).
 */
async function makeFolders(root: string, path: string, segments: readonly string[], owner: Owner | null): Promise<string> {
  let at = root;
  for (const name of segments) {
    const next = join(at, name);
    const info = await lstat(next).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw error;
    });
    if (info === null) {
      await mkdir(next, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      if (owner) await lchown(next, owner.uid, owner.gid);
    }
    at = await realpath(next).catch((error: unknown) => {
      // A link to nothing: it leads nowhere the daemon may make a folder.
      if (isMissing(error)) throw new PathRefusedError(path, `${name} is a symbolic link that points nowhere`);
      throw error;
    });
    if (!isInside(root, at)) throw new PathRefusedError(path, "it leads out of the job's directory through a symbolic link");
    if (!(await lstat(at)).isDirectory()) {
      throw new GodockerError(ErrorCodes.INVALID_REQUEST, `"${path}": ${name} is a file, not a folder`, { field: 'path' });
    }
  }
  return at;
}

/**
 * A file being written into the job's directory: under a fresh hidden name until finish()
 * renames it over its own, removed by abort(). Every write is counted against the limits:
 * over one, it throws UploadTooLargeError (413) and the caller aborts.
 */
export interface Upload {
  /** Writes at `position` (the end when omitted); the file's size so far is its highest end. */
  write(data: Buffer, position?: number): Promise<void>;
  /** The bytes the file holds. */
  readonly size: number;
  finish(): Promise<number>;
  abort(): Promise<void>;
}

/**
 * Starts writing `path` in the job's directory: parents made, the file owned by `owner`,
 * visible under its name only once finished. A declared size over a limit is refused at once.
 */
export async function startUpload(
  dir: string,
  path: string,
  owner: Owner | null,
  limits: UploadLimits,
  declaredBytes: number | null,
): Promise<Upload> {
  const segments = pathSegments(path);
  const name = segments.at(-1);
  if (name === undefined) throw folderRefused(path);
  const root = await realpath(dir);
  const used = await folderBytes(root);
  const room = Math.min(limits.maxBytes, limits.maxTotalBytes - used);
  const tooLarge = (bytes: number | null) =>
    new UploadTooLargeError(
      bytes !== null && bytes > limits.maxBytes
        ? `the upload (${bytes} bytes) is larger than the ${limits.maxBytes} bytes one file may have (limits.maxUploadBytes)`
        : `the job's directory holds ${used} bytes and may hold ${limits.maxTotalBytes} (limits.maxJobDirBytes): this upload${bytes === null ? '' : ` of ${bytes} bytes`} does not fit; remove files or ask the admin`,
    );
  if (declaredBytes !== null && declaredBytes > room) throw tooLarge(declaredBytes);
  const parent = await makeFolders(root, path, segments.slice(0, -1), owner);
  const target = join(parent, name);
  const existing = await lstat(target).catch(() => null);
  if (existing?.isDirectory()) throw folderRefused(path);
  const part = join(parent, `.${name}.${randomBytes(6).toString('hex')}.upload`);
  const handle = await openInside(root, path, part, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644).catch(
    async (error: unknown) => {
      // Created outside through a swapped folder, then refused: it must not stay there.
      if (error instanceof PathRefusedError) await unlink(part).catch(() => undefined);
      throw error;
    },
  );
  let size = 0;
  let closed = false;
  const abort = async () => {
    if (closed) return;
    closed = true;
    const real = await pathOfDescriptor(handle).catch(() => part);
    await handle.close().catch(() => undefined);
    await rm(real, { force: true });
  };
  try {
    if (owner) await handle.chown(owner.uid, owner.gid);
  } catch (error) {
    await abort();
    throw error;
  }
  return {
    get size() {
      return size;
    },
    async write(data, position) {
      const at = position ?? size;
      const end = at + data.length;
      if (end > room) throw tooLarge(declaredBytes ?? end);
      await handle.write(data, 0, data.length, at);
      size = Math.max(size, end);
    },
    async finish() {
      if (closed) throw new Error(`the upload of "${path}" was already closed`);
      try {
        await handle.sync();
        // The descriptor's true path: where the file really is, which the rename must name.
        const real = await pathOfDescriptor(handle);
        closed = true;
        await handle.close();
        await rename(real, target);
        return size;
      } catch (error) {
        closed = false;
        await abort();
        throw error;
      }
    },
    abort,
  };
}

/**
 * Writes `body` to `path` in the job's directory (startUpload). Over a limit, it stops, removes
 * what it wrote and throws UploadTooLargeError (413). Returns the bytes written.
 */
export async function writeFile(
  dir: string,
  path: string,
  body: Readable,
  owner: Owner | null,
  limits: UploadLimits,
  declaredBytes: number | null,
): Promise<number> {
  const upload = await startUpload(dir, path, owner, limits, declaredBytes);
  try {
    for await (const chunk of body) await upload.write(chunk as Buffer);
  } catch (error) {
    await upload.abort();
    throw error;
  }
  return upload.finish();
}
