/** `godocker why ID`: why a job still waits (or how it ended), with the numbers. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseJobId } from '../options.js';

export function registerWhy(program: Command, ctx: Context): void {
  program
    .command('why')
    .description('why a job waits (reason, the numbers, its priority and their factors), or how it ended')
    .argument('<ID>', 'job id')
    .option('--json', 'the explanation as JSON')
    .action(async (idText: string, opts: { json?: boolean }) => {
      const e = await ctx.client().explain(parseJobId(idText));
      if (opts.json) return ctx.json(e);
      ctx.out(`job ${e.id} is ${e.state}: ${e.message} (${e.code})\n`);
      if (e.priority) ctx.out(`${e.priority.sentence}\n`);
    });
}
