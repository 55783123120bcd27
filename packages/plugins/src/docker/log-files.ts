/**
 * Where `collect` puts a task's output: `stdout` and `stderr` in the job's log folder.
 * Shared by the executors that read multiplexed logs from a Docker engine (docker, swarm).
 */
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogStream } from '@godocker/sdk';

/** Log bytes gathered per stream before a file write: fewer syscalls for chatty jobs. */
const COLLECT_BATCH_BYTES = 64 * 1024;

/** Writes stdout and stderr beside each other, via temporary names so a crash never truncates a kept log. */
export async function writeLogFiles(frames: AsyncIterable<{ stream: LogStream; data: Buffer }>, logDir: string): Promise<void> {
  const paths = { stdout: join(logDir, 'stdout'), stderr: join(logDir, 'stderr') };
  const parts = { stdout: `${paths.stdout}.part`, stderr: `${paths.stderr}.part` };
  const stdout = await open(parts.stdout, 'w');
  const stderr = await open(parts.stderr, 'w').catch(async (error: unknown) => {
    await stdout.close();
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
  await rename(parts.stdout, paths.stdout);
  await rename(parts.stderr, paths.stderr);
}
