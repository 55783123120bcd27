/** `godocker kill|suspend|resume|hold|release ID...`: one request per job; a failure does not stop the others. */
import { JOB_ACTIONS, type Job, type JobAction } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { formatError } from '../errors.js';
import { parseJobId } from '../options.js';

const HELP: Record<JobAction, string> = {
  kill: 'kill jobs (pending, held, running or suspended)',
  suspend: 'pause running jobs',
  resume: 'continue suspended jobs',
  hold: 'keep pending jobs from starting',
  release: 'let held jobs start',
};

const DONE: Record<JobAction, string> = {
  kill: 'kill requested',
  suspend: 'suspended',
  resume: 'resumed',
  hold: 'held',
  release: 'released',
};

export function registerActions(program: Command, ctx: Context): void {
  for (const action of JOB_ACTIONS) {
    program
      .command(action)
      .description(HELP[action])
      .argument('<ID...>', 'job ids')
      .option('--json', 'print the jobs as JSON')
      .action(async (idTexts: string[], opts: { json?: boolean }) => {
        const ids = idTexts.map(parseJobId);
        const client = ctx.client();
        const jobs: Job[] = [];
        for (const id of ids) {
          try {
            const job = await client.action(id, action);
            jobs.push(job);
            if (!opts.json) ctx.out(`job ${job.id}: ${DONE[action]} (state ${job.status.state})\n`);
          } catch (e) {
            ctx.err(formatError(e));
            ctx.exitCode = 1;
          }
        }
        if (opts.json) ctx.json(jobs);
      });
  }
}
