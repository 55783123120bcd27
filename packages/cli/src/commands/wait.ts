/**
 * `godocker wait ID...`: block until jobs start or end. For one job the exit code is
 * the job's; for several, 0 when every awaited job ended with 0. 124 on timeout.
 */
import type { Job } from '@godocker/sdk/client';
import { type Command, Option } from 'commander';
import type { Context } from '../context.js';
import { EXIT_INTERRUPTED, EXIT_TIMEOUT } from '../errors.js';
import { jobExitCode, reasonWorthShowing } from '../job-view.js';
import { parseJobId, timeoutOption } from '../options.js';

interface WaitOptions {
  for: 'started' | 'terminated';
  timeout?: number;
  any?: boolean;
  json?: boolean;
}

function summary(job: Job): string {
  const s = job.status;
  const exit = s.exitCode === null ? '' : `, exit ${s.exitCode}`;
  return `job ${job.id}: ${s.state}${exit}${reasonWorthShowing(job) ? ` (${s.reason})` : ''}\n`;
}

export function registerWait(program: Command, ctx: Context): void {
  program
    .command('wait')
    .description("wait for jobs to end (or start); exit code: the job's for one job, 124 on timeout")
    .argument('<ID...>', 'job ids')
    .addOption(new Option('--for <event>', 'what to wait for').choices(['started', 'terminated']).default('terminated'))
    .option('--timeout <seconds>', 'give up after this long (seconds, or e.g. 10m); default: forever', timeoutOption)
    .option('--any', 'return as soon as one of the jobs gets there (default: all)')
    .option('--json', 'print the result as JSON')
    .action(async (idTexts: string[], opts: WaitOptions) => {
      const ids = idTexts.map(parseJobId);
      const client = ctx.client();
      const signal = ctx.io.interrupted();
      const common = { for: opts.for, signal, ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}) };
      try {
        if (ids.length === 1) {
          const r = await client.wait(ids[0] as number, common);
          if (opts.json) ctx.json(r);
          else if (!r.timedOut) ctx.out(summary(r.job));
          if (r.timedOut) {
            ctx.err(`timed out waiting for job ${r.job.id} (state ${r.job.status.state}: ${r.job.status.reason})\n`);
            ctx.exitCode = EXIT_TIMEOUT;
          } else ctx.exitCode = opts.for === 'terminated' ? jobExitCode(r.job) : 0;
          return;
        }
        const r = await client.waitMany(ids, { ...common, mode: opts.any ? 'any' : 'all' });
        if (opts.json) ctx.json(r);
        else for (const job of r.ready) ctx.out(summary(job));
        if (r.timedOut) {
          ctx.err(`timed out: ${r.ready.length} of ${ids.length} jobs got there\n`);
          ctx.exitCode = EXIT_TIMEOUT;
        } else if (opts.for === 'terminated') ctx.exitCode = r.ready.some((j) => jobExitCode(j) !== 0) ? 1 : 0;
      } catch (e) {
        if (!signal.aborted) throw e;
        ctx.err('interrupted\n');
        ctx.exitCode = EXIT_INTERRUPTED;
      }
    });
}
