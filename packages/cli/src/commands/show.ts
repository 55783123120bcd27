/** `godocker show ID`: everything about one job, described for a person or dumped for a script. */
import { type Command, Option } from 'commander';
import type { Context } from '../context.js';
import { describeJob, describeNotifications } from '../job-view.js';
import { parseJobId } from '../options.js';
import { toYaml } from '../output.js';
import { describeUsage } from '../usage-view.js';

interface ShowOptions {
  json?: boolean;
  usage?: boolean;
  output?: 'text' | 'json' | 'yaml';
}

export function registerShow(program: Command, ctx: Context): void {
  program
    .command('show')
    .alias('describe')
    .description(
      'describe one job: state and reason, requirements, container, usage (with --usage: its series), script, history, notification deliveries',
    )
    .argument('<ID>', 'job id')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
    .option('--json', 'same as -o json')
    .option('--usage', 'what it used, sampled while it ran: totals (cpu time, peak memory, io, network) and the series')
    .action(async (idText: string, opts: ShowOptions) => {
      const client = ctx.client();
      const id = parseJobId(idText);
      const format = opts.json ? 'json' : opts.output;
      if (opts.usage) {
        const [job, usage] = await Promise.all([client.getJob(id), client.jobUsage(id)]);
        if (format === 'json') ctx.json(usage);
        else if (format === 'yaml') ctx.out(toYaml(usage));
        else ctx.out(describeUsage(usage, job));
        return;
      }
      const job = await client.getJob(id);
      if (format === 'json') ctx.json(job);
      else if (format === 'yaml') ctx.out(toYaml(job));
      else {
        const deliveries = job.notify ? (await client.jobNotifications(job.id)).deliveries : [];
        ctx.out(describeJob(job, Date.now()) + describeNotifications(job, deliveries));
      }
    });
}
