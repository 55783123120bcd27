/**
 * sftp into a job's directory: the session's `/` is `jobsDir/ID`. Every request goes through
 * job-files/job-file-io.ts, as the REST file routes do: no `..`, no absolute path of the
 * daemon's, no link leading out; files and folders made are owned by the job's uid/gid, and
 * an upload is visible under its name only once whole, within limits.maxUploadBytes and
 * limits.maxJobDirBytes.
 */
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ErrorCodes, GodockerError, type Logger } from '@godocker/sdk';
import ssh2 from 'ssh2';
import {
  listFolderStats,
  makeFolder,
  type Owner,
  openFile,
  removeInside,
  renameInside,
  startUpload,
  statInside,
  type Upload,
  type UploadLimits,
} from '../job-files/job-file-io.js';
import { PathRefusedError } from '../job-files/safe-paths.js';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

/** Where a session writes, and as whom: known once the job was checked. */
export interface SftpTarget {
  jobId: number;
  dir: string;
  owner: Owner | null;
  limits: UploadLimits;
}

type Open =
  | { kind: 'file'; path: string; handle: FileHandle }
  | { kind: 'upload'; path: string; upload: Upload; failed: Error | null }
  | { kind: 'folder'; path: string; sent: boolean };

/** The sftp path (absolute from the job's directory, or relative to it) as the file functions take it. */
export function jobPath(sftpPath: string): string {
  return sftpPath.replace(/^\/+/, '');
}

/** `.`, `/a/b/..`: the canonical absolute form, never above `/` (the client's `cd ..` at the top is refused). */
export function canonical(sftpPath: string): string {
  const out: string[] = [];
  for (const s of sftpPath.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (out.length === 0) throw new PathRefusedError(sftpPath, "it leads above the job's directory");
      out.pop();
    } else out.push(s);
  }
  return `/${out.join('/')}`;
}

function attrsOf(info: Stats): ssh2.Attributes {
  return {
    mode: info.mode,
    uid: info.uid,
    gid: info.gid,
    size: info.size,
    atime: Math.floor(info.atimeMs / 1000),
    mtime: Math.floor(info.mtimeMs / 1000),
  };
}

function longname(name: string, info: Stats): string {
  const kind = info.isDirectory() ? 'd' : info.isSymbolicLink() ? 'l' : info.isFile() ? '-' : '?';
  let perms = '';
  for (let bit = 8; bit >= 0; bit--) perms += info.mode & (1 << bit) ? 'rwx'[(8 - bit) % 3] : '-';
  const date = info.mtime.toISOString().slice(0, 16).replace('T', ' ');
  return `${kind}${perms} 1 ${info.uid} ${info.gid} ${String(info.size).padStart(10)} ${date} ${name}`;
}

/** The sftp status for an error, with the message the REST routes would give. */
function statusOf(error: unknown): { code: number; message: string } {
  if (GodockerError.is(error)) {
    if (error.code === ErrorCodes.NOT_FOUND) return { code: STATUS_CODE.NO_SUCH_FILE, message: error.message };
    if (error.code === ErrorCodes.PATH_REFUSED) return { code: STATUS_CODE.PERMISSION_DENIED, message: error.message };
    return { code: STATUS_CODE.FAILURE, message: error.message };
  }
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return { code: STATUS_CODE.NO_SUCH_FILE, message: e.message };
  if (e.code === 'EACCES' || e.code === 'EPERM') return { code: STATUS_CODE.PERMISSION_DENIED, message: e.message };
  return { code: STATUS_CODE.FAILURE, message: e.message ?? String(error) };
}

/**
 * Serves `sftp` once `target` is known; a string target is the reason the session is refused,
 * given on the channel's stderr (which the OpenSSH client prints) and to every request.
 */
export function serveSftp(sftp: ssh2.SFTPWrapper, target: Promise<SftpTarget | string>, logger: Logger): void {
  const opened = new Map<string, Open>();
  let next = 0;
  const handleOf = (open: Open): Buffer => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(next++);
    opened.set(id.toString('hex'), open);
    return id;
  };

  /** Runs a request once the job is known; any error becomes its status. */
  const serve = (reqid: number, what: string, work: (t: SftpTarget) => Promise<void>) => {
    void target
      .then(async (t) => {
        if (typeof t === 'string') {
          sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, t);
          return;
        }
        await work(t);
      })
      .catch((error: unknown) => {
        const { code, message } = statusOf(error);
        logger.debug({ request: what, err: message }, 'sftp: request refused');
        try {
          sftp.status(reqid, code, message);
        } catch {
          // The client is gone.
        }
      });
  };
  const ok = (reqid: number) => sftp.status(reqid, STATUS_CODE.OK);
  const get = (handle: Buffer): Open => {
    const open = opened.get(handle.toString('hex'));
    if (!open) throw new GodockerError(ErrorCodes.INVALID_REQUEST, 'no such open file (an unknown sftp handle)');
    return open;
  };

  sftp.on('REALPATH', (reqid, path) =>
    serve(reqid, 'realpath', async () => {
      const name = canonical(path);
      sftp.name(reqid, [{ filename: name, longname: name, attrs: {} as ssh2.Attributes }]);
    }),
  );
  for (const [event, follow] of [
    ['STAT', true],
    ['LSTAT', false],
  ] as const) {
    sftp.on(event, (reqid: number, path: string) =>
      serve(reqid, event, async (t) => {
        sftp.attrs(reqid, attrsOf(await statInside(t.dir, jobPath(path), follow)));
      }),
    );
  }
  sftp.on('OPEN', (reqid, path, flags) =>
    serve(reqid, 'open', async (t) => {
      const p = jobPath(path);
      if (flags & OPEN_MODE.WRITE) {
        if (flags & OPEN_MODE.READ || flags & OPEN_MODE.APPEND || !(flags & OPEN_MODE.TRUNC) || !(flags & OPEN_MODE.CREAT)) {
          throw new GodockerError(
            ErrorCodes.INVALID_REQUEST,
            'files are written whole through sftp (put): appending, resuming and writing in place are not supported',
          );
        }
        if (flags & OPEN_MODE.EXCL && (await statInside(t.dir, p, false).catch(() => null))) {
          throw new GodockerError(ErrorCodes.CONFLICT, `"${p}" exists already`);
        }
        const upload = await startUpload(t.dir, p, t.owner, t.limits, null);
        sftp.handle(reqid, handleOf({ kind: 'upload', path: p, upload, failed: null }));
        return;
      }
      const { handle } = await openFile(t.dir, p);
      sftp.handle(reqid, handleOf({ kind: 'file', path: p, handle }));
    }),
  );
  sftp.on('READ', (reqid, handle, offset, length) =>
    serve(reqid, 'read', async () => {
      const open = get(handle);
      if (open.kind !== 'file') throw new GodockerError(ErrorCodes.INVALID_REQUEST, `"${open.path}" is not open for reading`);
      const buffer = Buffer.alloc(Math.min(length, 256 * 1024));
      const { bytesRead } = await open.handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) sftp.status(reqid, STATUS_CODE.EOF);
      else sftp.data(reqid, buffer.subarray(0, bytesRead));
    }),
  );
  sftp.on('WRITE', (reqid, handle, offset, data) =>
    serve(reqid, 'write', async (t) => {
      const open = get(handle);
      if (open.kind !== 'upload') throw new GodockerError(ErrorCodes.INVALID_REQUEST, `"${open.path}" is not open for writing`);
      if (open.failed) throw open.failed;
      try {
        await open.upload.write(data, offset);
      } catch (error) {
        // Kept so that the close says it too: the file is not made.
        open.failed = error as Error;
        await open.upload.abort();
        logger.info({ job: t.jobId, path: open.path, err: open.failed.message }, 'sftp: upload refused');
        throw error;
      }
      ok(reqid);
    }),
  );
  sftp.on('FSTAT', (reqid, handle) =>
    serve(reqid, 'fstat', async (t) => {
      const open = get(handle);
      if (open.kind === 'file') sftp.attrs(reqid, attrsOf(await open.handle.stat()));
      else if (open.kind === 'upload') {
        const now = Math.floor(Date.now() / 1000);
        const owner = t.owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
        sftp.attrs(reqid, { mode: 0o100644, size: open.upload.size, ...owner, atime: now, mtime: now });
      } else sftp.attrs(reqid, attrsOf(await statInside(t.dir, open.path, true)));
    }),
  );
  sftp.on('CLOSE', (reqid, handle) =>
    serve(reqid, 'close', async (t) => {
      const open = get(handle);
      opened.delete(handle.toString('hex'));
      if (open.kind === 'file') await open.handle.close();
      if (open.kind === 'upload') {
        if (open.failed) throw open.failed;
        const size = await open.upload.finish();
        logger.info({ job: t.jobId, path: open.path, size }, 'sftp: file uploaded');
      }
      ok(reqid);
    }),
  );
  sftp.on('OPENDIR', (reqid, path) =>
    serve(reqid, 'opendir', async (t) => {
      const p = jobPath(path);
      if (!(await statInside(t.dir, p, true)).isDirectory()) {
        throw new GodockerError(ErrorCodes.INVALID_REQUEST, `"${path}" is not a folder`);
      }
      sftp.handle(reqid, handleOf({ kind: 'folder', path: p, sent: false }));
    }),
  );
  sftp.on('READDIR', (reqid, handle) =>
    serve(reqid, 'readdir', async (t) => {
      const open = get(handle);
      if (open.kind !== 'folder') throw new GodockerError(ErrorCodes.INVALID_REQUEST, `"${open.path}" is not a folder`);
      if (open.sent) {
        sftp.status(reqid, STATUS_CODE.EOF);
        return;
      }
      open.sent = true;
      const entries = await listFolderStats(t.dir, open.path);
      sftp.name(
        reqid,
        entries.map(({ name, info }) => ({ filename: name, longname: longname(name, info), attrs: attrsOf(info) })),
      );
    }),
  );
  sftp.on('MKDIR', (reqid, path) =>
    serve(reqid, 'mkdir', async (t) => makeFolder(t.dir, jobPath(path), t.owner).then(() => ok(reqid))),
  );
  sftp.on('REMOVE', (reqid, path) =>
    serve(reqid, 'remove', async (t) => removeInside(t.dir, jobPath(path), false).then(() => ok(reqid))),
  );
  sftp.on('RMDIR', (reqid, path) =>
    serve(reqid, 'rmdir', async (t) => removeInside(t.dir, jobPath(path), true).then(() => ok(reqid))),
  );
  sftp.on('RENAME', (reqid, from, to) =>
    serve(reqid, 'rename', async (t) => renameInside(t.dir, jobPath(from), jobPath(to)).then(() => ok(reqid))),
  );
  // Modes, owners and times stay the daemon's to set (a setuid bit or a chown must never come from here).
  for (const event of ['SETSTAT', 'FSETSTAT', 'SYMLINK', 'READLINK'] as const) {
    sftp.on(event, (reqid: number) =>
      sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED, `${event.toLowerCase()} is not supported in a job's directory`),
    );
  }

  const cleanUp = () => {
    for (const open of opened.values()) {
      if (open.kind === 'file') void open.handle.close().catch(() => undefined);
      if (open.kind === 'upload') void open.upload.abort().catch(() => undefined);
    }
    opened.clear();
  };
  sftp.on('end', () => {
    cleanUp();
    // The client is done (its end of file): close the channel, or it waits for the server's close forever.
    sftp.end();
  });
  sftp.on('close', cleanUp);
}
