/**
 * The job script travels into the created container as a tar given to
 * `putArchive`, so images need nothing of ours (no bash, sshd or useradd):
 * busybox `sh` is enough. The script lives at /godocker/job.sh.
 */
import { buffer } from 'node:stream/consumers';
import { pack } from 'tar-stream';

export const SCRIPT_DIR = '/godocker';
export const SCRIPT_PATH = `${SCRIPT_DIR}/job.sh`;

/** A tar holding `godocker/` and `godocker/job.sh` (0755), owned by the job's uid:gid. */
export async function buildScriptArchive(script: string, uid: number, gid: number): Promise<Buffer> {
  const archive = pack();
  const mtime = new Date();
  // Owned by the job's user so a non-root job may read (and rewrite) its own script.
  archive.entry({ name: 'godocker/', type: 'directory', mode: 0o755, uid, gid, mtime });
  archive.entry({ name: 'godocker/job.sh', type: 'file', mode: 0o755, uid, gid, mtime }, script);
  archive.finalize();
  return buffer(archive);
}

/**
 * Below this size a plain shell script is passed as `sh -c SCRIPT` and no file is
 * copied (a copy costs a round trip per job); Linux caps one argument at 128 KiB.
 */
export const INLINE_SCRIPT_MAX_BYTES = 64 * 1024;

/** Whether the script must be copied into the container (a shebang needs a file; a long one cannot be an argument). */
export function needsScriptFile(script: string): boolean {
  return script.startsWith('#!') || Buffer.byteLength(script, 'utf8') > INLINE_SCRIPT_MAX_BYTES;
}

/** A shebang picks its own interpreter; anything else runs with /bin/sh, as the job document promises. */
export function scriptCommand(script: string, args: readonly string[]): string[] {
  if (script.startsWith('#!')) return [SCRIPT_PATH, ...args];
  // `sh -c SCRIPT NAME ARGS...`: $0 is NAME and "$@" the args, as for `sh FILE ARGS...`.
  return needsScriptFile(script) ? ['/bin/sh', SCRIPT_PATH, ...args] : ['/bin/sh', '-c', script, SCRIPT_PATH, ...args];
}
