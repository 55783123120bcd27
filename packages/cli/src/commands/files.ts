/**
 * The job's directory: `godocker files ID [DIR]` lists it, `godocker get ID PATH` downloads a
 * file, `godocker put ID LOCAL [REMOTE]` uploads one. Before the start (uploads are the job's
 * input), while it runs, and after its end until it is archived.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GodockerClient, JobFileWritten } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { parseJobId } from '../options.js';
import { formatTable } from '../table.js';

/** Uploads a local file (streamed) to `remote` in the job's directory (default: its own name, at the top). */
export async function uploadLocalFile(
  client: GodockerClient,
  ctx: Context,
  id: number,
  local: string,
  remote?: string,
): Promise<JobFileWritten> {
  const path = resolve(ctx.io.cwd, local);
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(path);
  } catch {
    throw new UsageError(`cannot read ${local}: no such file`);
  }
  if (!info.isFile()) throw new UsageError(`${local} is not a regular file: upload files one at a time`);
  return client.uploadFile(id, remote ?? basename(path), createReadStream(path));
}

function humanSize(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n}` : `${n < 10 ? n.toFixed(1) : Math.round(n)}${units[u]}`;
}

interface FilesOptions {
  json?: boolean;
}

export function registerFiles(program: Command, ctx: Context): void {
  program
    .command('files')
    .description("list the job's directory ($GODOCKER_JOB_DIR, where its stdout and stderr land), or a folder of it")
    .argument('<ID>', 'job id')
    .argument('[DIR]', 'folder inside the job directory', '')
    .option('--json', 'print the listing as JSON')
    .action(async (idText: string, dir: string, opts: FilesOptions) => {
      const list = await ctx.client().listFiles(parseJobId(idText), dir);
      if (opts.json) {
        ctx.json(list);
        return;
      }
      ctx.out(
        formatTable(
          ['name', 'type', 'size', 'modified'],
          list.entries.map((e) => [
            e.type === 'directory' ? `${e.name}/` : e.name,
            e.type,
            e.type === 'directory' ? '' : humanSize(e.size),
            e.mtime.replace(/\.\d+Z$/, 'Z'),
          ]),
        ),
      );
    });

  program
    .command('get')
    .description("download a file of the job's directory")
    .argument('<ID>', 'job id')
    .argument('<PATH>', 'file inside the job directory, e.g. out/result.txt')
    .option('-o, --output <dest>', 'where to write it (a file or a folder; - for stdout); default: its name, here')
    .action(async (idText: string, path: string, opts: { output?: string }) => {
      const id = parseJobId(idText);
      const file = await ctx.client().downloadFile(id, path);
      const source = Readable.fromWeb(file.body as import('node:stream/web').ReadableStream<Uint8Array>);
      if (opts.output === '-') {
        const out = ctx.io.stdout;
        await pipeline(
          source,
          new Writable({
            write(chunk: Buffer, _encoding, done) {
              out.write(chunk);
              done();
            },
          }),
        );
        return;
      }
      let dest = resolve(ctx.io.cwd, opts.output ?? basename(path));
      if (opts.output !== undefined && statSync(dest, { throwIfNoEntry: false })?.isDirectory())
        dest = join(dest, basename(path));
      // Whole or not at all: a download cut short leaves no truncated file under the name.
      const part = join(dirname(dest), `.${basename(dest)}.${process.pid}.part`);
      try {
        await pipeline(source, createWriteStream(part, { flags: 'wx' }));
        await rename(part, dest);
      } catch (error) {
        await rm(part, { force: true });
        throw error;
      }
      ctx.err(`${path} -> ${dest} (${file.size ?? '?'} bytes)\n`);
    });

  program
    .command('put')
    .description("upload a local file into the job's directory (before it starts, while it runs, or after)")
    .argument('<ID>', 'job id')
    .argument('<LOCAL>', 'local file')
    .argument('[REMOTE]', 'path inside the job directory; default: the file name, at the top')
    .action(async (idText: string, local: string, remote: string | undefined) => {
      const id = parseJobId(idText);
      const written = await uploadLocalFile(ctx.client(), ctx, id, local, remote);
      ctx.out(`${local} -> job ${id}: ${written.path} (${written.size} bytes)\n`);
    });
}
