/** `godocker show ID`: everything about one job, described for a person or dumped for a script. */
import { type Command, Option } from 'commander';
import type { Context } from '../context.js';
import { describeJob, describeNotifications } from '../job-view.js';
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
    .description('describe one job: state and reason, requirements, container, usage, script, history, notification deliveries')
    .argument('<ID>', 'job id')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
    .option('--json', 'same as -o json')
    .action(async (idText: string, opts: ShowOptions) => {
      const client = ctx.client();
      const job = await client.getJob(parseJobId(idText));
      const format = opts.json ? 'json' : opts.output;
      if (format === 'json') ctx.json(job);
      else if (format === 'yaml') ctx.out(toYaml(job));
      else {
        const deliveries = job.notify ? (await client.jobNotifications(job.id)).deliveries : [];
        ctx.out(describeJob(job, Date.now()) + describeNotifications(job, deliveries));
      }
    });
}
