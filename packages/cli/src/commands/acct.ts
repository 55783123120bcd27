/**
 * `godocker acct`: job history, as Slurm's `sacct` shows it: every job that ran in a
 * window (-S/-E), filtered by user, project and state, in chosen columns, as a table,
 * JSON or CSV (RFC 4180). What it lists survives a daemon restart: it reads the store.
 */
import type { Job, ListJobsQuery } from '@godocker/sdk/client';
import type { Command } from 'commander';
import { ACCT_COLUMNS, DEFAULT_ACCT_COLUMNS, pickColumns } from '../acct-columns.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { integerOption, stateListOption } from '../options.js';
import { csvRecord } from '../output.js';
import { formatTable } from '../table.js';

interface AcctOptions {
  user?: string;
  project?: string;
  state?: string;
  starttime?: string;
  endtime?: string;
  parent?: number;
  format?: string;
  json?: boolean;
  csv?: boolean;
}

export function registerAcct(program: Command, ctx: Context): void {
  program
    .command('acct')
    .description("job history, as Slurm's sacct: every job that ran in a window, newest first")
    .option('-u, --user <user>', "only this user's jobs (yours unless you are an admin)")
    .option('-p, --project <project>', 'only this project')
    .option(
      '-s, --state <states>',
      'only these states, comma-separated: pending,held,running,suspended,done,failed',
      stateListOption,
    )
    .option(
      '-S, --starttime <time>',
      'only jobs not ended before TIME: ISO 8601 (2026-03-01, 2026-03-01T14:00:00Z) or now-1d, now-12h',
    )
    .option('-E, --endtime <time>', 'only jobs submitted by TIME (same forms)')
    .option('--parent <id>', 'only the tasks of this array job', integerOption(1))
    .option('-o, --format <columns>', `columns, comma-separated (-o help lists them); default ${DEFAULT_ACCT_COLUMNS.join(',')}`)
    .option('--json', 'print a JSON array, one object per job with the chosen columns')
    .option('--csv', 'print CSV (RFC 4180), a header line then one line per job')
    .action(async (opts: AcctOptions) => {
      if (opts.format?.trim().toLowerCase() === 'help') {
        ctx.out(
          formatTable(
            ['column', 'what'],
            ACCT_COLUMNS.map((c) => [c.name, c.help]),
          ),
        );
        return;
      }
      if (opts.json && opts.csv) throw new UsageError('give --json or --csv, not both');
      const { columns, unknown } = pickColumns((opts.format ?? DEFAULT_ACCT_COLUMNS.join(',')).split(','));
      if (unknown.length > 0) throw new UsageError(`unknown column ${unknown.join(', ')}: \`godocker acct -o help\` lists them`);
      const query: ListJobsQuery = { limit: 500 };
      for (const k of ['user', 'project', 'state', 'starttime', 'endtime', 'parent'] as const) {
        if (opts[k] !== undefined) Object.assign(query, { [k]: opts[k] });
      }
      const jobs: Job[] = [];
      for await (const job of ctx.client().jobs(query)) jobs.push(job);
      const now = Date.now();
      const rows = jobs.map((j) => columns.map((c) => c.value(j, now)));
      if (opts.json) {
        ctx.json(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i] ?? null]))));
      } else if (opts.csv) {
        ctx.out(csvRecord(columns.map((c) => c.name)) + rows.map((r) => csvRecord(r)).join(''));
      } else if (rows.length === 0) {
        ctx.err('no jobs\n');
      } else {
        ctx.out(
          formatTable(
            columns.map((c) => c.name),
            rows.map((r) => r.map((v) => (v === null ? '' : String(v)))),
          ),
        );
      }
    });
}
