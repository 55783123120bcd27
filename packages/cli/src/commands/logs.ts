/** `godocker logs ID`: a job's output so far, or (with -f) as it is written until the job ends. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseJobId } from '../options.js';

interface LogsOptions {
  stderr?: boolean;
  follow?: boolean;
}

export function registerLogs(program: Command, ctx: Context): void {
  program
    .command('logs')
    .description("print a job's stdout (or --stderr)")
    .argument('<ID>', 'job id')
    .option('--stderr', 'the error stream instead of stdout')
    .option('-f, --follow', 'keep printing as the job writes, until it ends (or Ctrl-C)')
    .action(async (idText: string, opts: LogsOptions) => {
      const id = parseJobId(idText);
      const stream = opts.stderr ? 'stderr' : 'stdout';
      const client = ctx.client();
      if (!opts.follow) {
        ctx.out(await client.logs(id, stream));
        return;
      }
      for await (const text of client.followLogs(id, stream, { signal: ctx.io.interrupted() })) ctx.out(text);
    });
}
