/**
 * Where `collect` puts a task's output: `stdout` and `stderr` in the job's directory.
 * Shared by the executors that read multiplexed logs from a Docker engine (docker, swarm).
 *
 * The job could write that directory (it is mounted in its container): whatever it left under
 * any name there (a link to /etc/shadow named `stdout.part`) is never opened or followed. The
 * output goes to fresh names made here (O_EXCL and O_NOFOLLOW), then renamed over the final
 * names, which replaces a link there rather than writing through it.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogStream } from '@godocker/sdk';

const FRESH_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Log bytes gathered per stream before a file write: fewer syscalls for chatty jobs. */
const COLLECT_BATCH_BYTES = 64 * 1024;

/** Writes stdout and stderr beside each other, via temporary names so a crash never truncates a kept log. */
export async function writeLogFiles(frames: AsyncIterable<{ stream: LogStream; data: Buffer }>, logDir: string): Promise<void> {
  const paths = { stdout: join(logDir, 'stdout'), stderr: join(logDir, 'stderr') };
  const unique = randomBytes(6).toString('hex');
  const parts = { stdout: `${paths.stdout}.${unique}.part`, stderr: `${paths.stderr}.${unique}.part` };
  const stdout = await open(parts.stdout, FRESH_FILE, 0o644);
  const stderr = await open(parts.stderr, FRESH_FILE, 0o644).catch(async (error: unknown) => {
    await stdout.close();
    await rm(parts.stdout, { force: true });
    throw error;
  });
  const files = { stdout, stderr };
  const batches: Record<LogStream, { chunks: Buffer[]; size: number }> = {
    stdout: { chunks: [], size: 0 },
    stderr: { chunks: [], size: 0 },
  };
  const flush = async (stream: LogStream): Promise<void> => {
    const batch = batches[stream];
    if (batch.size === 0) return;
    const data = Buffer.concat(batch.chunks, batch.size);
    batch.chunks = [];
    batch.size = 0;
    await files[stream].write(data);
  };
  let written = false;
  try {
    for await (const frame of frames) {
      const batch = batches[frame.stream];
      batch.chunks.push(frame.data);
      batch.size += frame.data.length;
      if (batch.size >= COLLECT_BATCH_BYTES) await flush(frame.stream);
    }
    await flush('stdout');
    await flush('stderr');
    written = true;
  } finally {
    await Promise.allSettled([files.stdout.close(), files.stderr.close()]);
    if (!written) await Promise.allSettled([rm(parts.stdout, { force: true }), rm(parts.stderr, { force: true })]);
  }
  await replace(parts.stdout, paths.stdout);
  await replace(parts.stderr, paths.stderr);
}

/** A folder the job made under the name of a log would refuse the rename: the log wins. */
async function replace(part: string, target: string): Promise<void> {
  try {
    await rename(part, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    await rm(target, { recursive: true, force: true });
    await rename(part, target);
  }
}
