/** `godocker usage`: what jobs used since a time, per user or per project (Slurm's sreport, in short). */
import type { UsageGrouping } from '@godocker/sdk/client';
import { type Command, Option } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { csvRecord } from '../output.js';
import { formatTable } from '../table.js';

interface UsageOptions {
  by: UsageGrouping;
  since: string;
  json?: boolean;
  csv?: boolean;
}

const HEADERS = ['name', 'jobs', 'cpuSeconds', 'cpuUsedSeconds', 'ramMbSeconds', 'gpuSeconds', 'wallSeconds'] as const;

export function registerUsage(program: Command, ctx: Context): void {
  program
    .command('usage')
    .description(
      'jobs, cpu-seconds reserved and used, ram- and gpu-seconds and wall time since a time, per user or per project (yours unless admin)',
    )
    .addOption(new Option('--by <grouping>', 'one row per user or per project').choices(['user', 'project']).default('user'))
    .option('--since <time>', 'start of the window: 30d, 12h (back from now), now-1w, or an ISO 8601 time', '30d')
    .option('--json', 'print the report as JSON')
    .option('--csv', 'print CSV (RFC 4180)')
    .action(async (opts: UsageOptions) => {
      if (opts.json && opts.csv) throw new UsageError('give --json or --csv, not both');
      const report = await ctx.client().usage({ by: opts.by, since: opts.since });
      if (opts.json) return ctx.json(report);
      const rows = report.rows.map((r) => HEADERS.map((h) => (h === 'name' ? r.name : Math.round(r[h] * 100) / 100)));
      if (opts.csv) {
        ctx.out(csvRecord([opts.by, ...HEADERS.slice(1)]) + rows.map((r) => csvRecord(r)).join(''));
        return;
      }
      if (rows.length === 0) {
        ctx.err(`no job ran since ${report.since}\n`);
        return;
      }
      ctx.err(`since ${report.since} until ${report.until}\n`);
      ctx.out(
        formatTable(
          [opts.by, 'jobs', 'cpu-s', 'cpu-used-s', 'ram-MiB-s', 'gpu-s', 'wall-s'],
          rows.map((r) => r.map(String)),
        ),
      );
    });
}
