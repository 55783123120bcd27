/**
 * `godocker admin migrate --to mongodb://...`: moves a SQLite site to a MongoDB-wire server
 * (run with the daemon stopped), then prints what it counted on both sides.
 */
import { join } from 'node:path';
import { GodockerError } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { importScheduler } from '../dynamic-imports.js';
import { durationOption } from '../options.js';
import { formatTable } from '../table.js';

interface MigrateOptions {
  to: string;
  database: string;
  from?: string;
  config?: string;
}

export function registerAdmin(program: Command, ctx: Context): void {
  const admin = program.command('admin').description("operate on the site's data: migrate (the daemon stopped), archive");
  admin
    .command('archive')
    .description(
      "archive now the jobs ended more than --older-than ago (default: the daemon's archive.afterDays): their directories go, records and usage stay",
    )
    .option('--older-than <duration>', 'e.g. 7d, 12h, 90m', durationOption)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { olderThan?: number; json?: boolean }) => {
      const result = await ctx.client().archive(opts.olderThan === undefined ? {} : { olderThanSeconds: opts.olderThan });
      if (opts.json) {
        ctx.json(result);
        return;
      }
      ctx.out(`archived ${result.archived.length} job(s)${result.archived.length > 0 ? `: ${result.archived.join(' ')}` : ''}\n`);
      for (const f of result.failed) ctx.err(`job ${f.id} not archived: ${f.error}\n`);
      if (result.failed.length > 0) ctx.exitCode = 1;
    });
  admin
    .command('migrate')
    .description('copy the SQLite store to a MongoDB-wire server, every job with its id, then count both sides')
    .requiredOption('--to <url>', 'mongodb://HOST:PORT/ of the target server')
    .option('--database <name>', 'the database to fill (it must hold no GoDocker data yet)', 'godocker')
    .option('--from <file>', "the SQLite file (default: godocker.db in the config's data folder)")
    .option('--config <file>', 'YAML config file that names the data folder (default: $GODOCKER_CONFIG)')
    .action(async (opts: MigrateOptions) => {
      if (!/^mongodb(\+srv)?:\/\//.test(opts.to)) {
        throw new GodockerError('GOD_INVALID_REQUEST', `--to must be a mongodb:// URL, not "${opts.to}"`, { field: 'to' });
      }
      const { loadConfig, migrateSqliteToMongo } = await importScheduler();
      const from =
        opts.from ??
        join(loadConfig({ env: ctx.io.env, ...(opts.config !== undefined ? { path: opts.config } : {}) }).dataDir, 'godocker.db');
      ctx.err(`copying ${from} to database ${opts.database}...\n`);
      const counts = await migrateSqliteToMongo(from, { url: opts.to, database: opts.database }, (line) =>
        ctx.err(`  ${line}\n`),
      );
      ctx.out(
        formatTable(
          ['what', 'sqlite', 'mongodb', ''],
          counts.map((c) => [c.what, String(c.sqlite), String(c.mongodb), c.sqlite === c.mongodb ? 'ok' : 'DIFFERS']),
        ),
      );
      const differ = counts.filter((c) => c.sqlite !== c.mongodb);
      if (differ.length > 0) {
        throw new GodockerError('GOD_INTERNAL', `the copy differs from the source in: ${differ.map((c) => c.what).join(', ')}`);
      }
      ctx.out(
        `done: set store: { type: mongodb, url: ${opts.to}, database: ${opts.database} } (or GODOCKER_MONGO_URL) and start the daemons\n`,
      );
    });
}
