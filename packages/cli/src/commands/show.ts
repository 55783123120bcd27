/** `godocker show ID`: everything about one job, described for a person or dumped for a script. */
import { type Command, Option } from 'commander';
import type { Context } from '../context.js';
import { describeJob } from '../job-view.js';
import { parseJobId } from '../options.js';
import { toYaml } from '../output.js';

interface ShowOptions {
  json?: boolean;
  output?: 'text' | 'json' | 'yaml';
}

export function registerShow(program: Command, ctx: Context): void {
  program
    .command('show')
    .alias('describe')
    .description('describe one job: state and reason, requirements, container, usage, script, history')
    .argument('<ID>', 'job id')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
    .option('--json', 'same as -o json')
    .action(async (idText: string, opts: ShowOptions) => {
      const job = await ctx.client().getJob(parseJobId(idText));
      const format = opts.json ? 'json' : opts.output;
      if (format === 'json') ctx.json(job);
      else if (format === 'yaml') ctx.out(toYaml(job));
      else ctx.out(describeJob(job, Date.now()));
    });
}
