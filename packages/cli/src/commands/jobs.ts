/** `godocker jobs`: the job table (newest first), `--json` for scripts, `--watch` for changes. */
import { type Job, jobMatchesSearch, type ListJobsQuery } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { JOB_HEADERS, jobRow, jobTable } from '../job-view.js';
import { integerOption, searchOption, stateListOption } from '../options.js';
import { formatTable } from '../table.js';

interface JobsOptions {
  state?: string;
  user?: string;
  project?: string;
  name?: string;
  tag?: string;
  search?: string;
  parent?: number;
  limit: number;
  all?: boolean;
  json?: boolean;
  watch?: boolean;
}

/** The filters the server applies, repeated here for events, which are not filtered server-side. */
function matches(job: Job, q: ListJobsQuery): boolean {
  if (q.state && !q.state.split(',').includes(job.status.state)) return false;
  if (q.user && job.user.name !== q.user) return false;
  if (q.project && job.project !== q.project) return false;
  if (q.name && job.meta.name !== q.name) return false;
  if (q.tag && !job.meta.tags.includes(q.tag)) return false;
  if (q.parent !== undefined && job.parentId !== q.parent) return false;
  if (q.q !== undefined && !jobMatchesSearch(job, q.q)) return false;
  return true;
}

export function registerJobs(program: Command, ctx: Context): void {
  program
    .command('jobs')
    .description('list jobs, newest first')
    .option('--state <states>', 'only these states, comma-separated: pending,held,running,suspended,done,failed', stateListOption)
    .option('--user <user>', "only this user's jobs")
    .option('--project <project>', 'only this project')
    .option('--name <name>', 'only jobs with this name')
    .option('--tag <tag>', 'only jobs with this tag')
    .option(
      '--search <text>',
      'only jobs whose name, image, a tag, project or user holds this text (any case), or whose id it is',
      searchOption,
    )
    .option('--parent <id>', 'only the tasks of this array job', integerOption(1))
    .option('--limit <n>', 'at most this many jobs (a page)', integerOption(1, 1000), 50)
    .option('--all', 'every matching job, following pages past --limit')
    .option('--json', 'print a JSON array of jobs')
    .option('-w, --watch', 'after the list, print a row for each change, until Ctrl-C')
    .action(async (opts: JobsOptions) => {
      const client = ctx.client();
      const query: ListJobsQuery = { limit: opts.limit };
      for (const k of ['state', 'user', 'project', 'name', 'tag', 'parent'] as const) {
        if (opts[k] !== undefined) Object.assign(query, { [k]: opts[k] });
      }
      if (opts.search !== undefined) query.q = opts.search;
      let jobs: Job[];
      let more = false;
      if (opts.all) {
        jobs = [];
        for await (const job of client.jobs({ ...query, limit: Math.max(opts.limit, 200) })) jobs.push(job);
      } else {
        const page = await client.listJobs(query);
        jobs = page.jobs;
        more = page.nextCursor !== null;
      }

      if (opts.json && !opts.watch) {
        ctx.json(jobs);
        return;
      }
      if (opts.json) for (const j of jobs) ctx.out(`${JSON.stringify(j)}\n`);
      else if (jobs.length === 0) ctx.err('no jobs\n');
      else ctx.out(jobTable(jobs, Date.now()));
      if (more && !opts.json) ctx.err(`(more jobs: use --all, or a larger --limit)\n`);
      if (!opts.watch) return;

      // Watch: one line per change, JSON lines with --json (kubectl get -w style).
      const signal = ctx.io.interrupted();
      for await (const ev of client.events({ signal })) {
        if (!matches(ev.job, query)) continue;
        if (opts.json) ctx.out(`${JSON.stringify(ev.job)}\n`);
        else ctx.out(formatTable(JOB_HEADERS, [jobRow(ev.job, Date.now())], { header: false }));
      }
    });
}
