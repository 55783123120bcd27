/** `godocker project create|show|list|update|delete|add-member|update-member|remove-member`. */
import { PRIORITY_LIMIT, type Project, type Quota } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { integerOption } from '../options.js';
import { formatTable } from '../table.js';
import { formatQuota, quotaOption } from './quota.js';

interface ProjectOptions {
  shares?: number;
  priority?: number;
  description?: string;
  quota?: Quota;
  json?: boolean;
}

const sharesOption = integerOption(0, 1_000_000);
export const priorityOption = integerOption(-PRIORITY_LIMIT, PRIORITY_LIMIT);
export const PRIORITY_HELP = `priority, ${-PRIORITY_LIMIT} to ${PRIORITY_LIMIT} (0 when created)`;
export const QUOTA_HELP = 'limits, e.g. cpu=32,ram=64G,gpus=2,running=10,pending=1000,cputime=1000h/30d (KEY=none removes one)';

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(14)}${value}\n`;
}

/** `project show`: the project, then its members as a table. */
export function describeProject(p: Project): string {
  let out = '';
  out += field('Name', p.name);
  out += field('Description', p.description || '-');
  out += field('Shares', String(p.shares));
  out += field('Priority', String(p.priority));
  out += field('Quota', formatQuota(p.quota) || 'none');
  out += field('Created', p.createdAt);
  out += `Members (${p.members.length}):\n`;
  if (p.members.length > 0) {
    out += formatTable(
      ['user', 'shares'],
      p.members.map((m) => [m.user, String(m.shares)]),
    )
      .split('\n')
      .map((line) => (line ? `  ${line}` : line))
      .join('\n');
  }
  return out;
}

export function projectTable(projects: readonly Project[]): string {
  return formatTable(
    ['name', 'shares', 'priority', 'members', 'quota', 'description'],
    projects.map((p) => [
      p.name,
      String(p.shares),
      String(p.priority),
      String(p.members.length),
      formatQuota(p.quota),
      p.description,
    ]),
  );
}

function withSettings(command: Command): Command {
  return command
    .option('--shares <n>', "the project's shares of the cluster (1 when created)", sharesOption)
    .option('--priority <n>', `project ${PRIORITY_HELP}`, priorityOption)
    .option('--description <text>', 'what the project is for')
    .option('--quota <spec>', QUOTA_HELP, quotaOption)
    .option('--json', 'print the project as JSON');
}

/** Only the options given, so an update leaves the rest alone. */
function settingsOf(opts: ProjectOptions): { shares?: number; priority?: number; description?: string; quota?: Quota } {
  return {
    ...(opts.shares !== undefined ? { shares: opts.shares } : {}),
    ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    ...(opts.quota !== undefined ? { quota: opts.quota } : {}),
  };
}

export function registerProject(program: Command, ctx: Context): void {
  const project = program.command('project').description('projects: members, shares, priority and quotas');

  const print = (p: Project, json: boolean | undefined, what: string) => {
    if (json) ctx.json(p);
    else ctx.out(`${what}\n`);
  };

  withSettings(project.command('create').description('create a project (admin)').argument('<NAME>', 'project name')).action(
    async (name: string, opts: ProjectOptions) => {
      const p = await ctx.client().createProject({ name, ...settingsOf(opts) });
      print(p, opts.json, `project ${p.name} created (shares ${p.shares}, quota ${formatQuota(p.quota) || 'none'})`);
    },
  );

  project
    .command('show')
    .description('show a project and its members')
    .argument('<NAME>', 'project name')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const p = await ctx.client().getProject(name);
      if (opts.json) ctx.json(p);
      else ctx.out(describeProject(p));
    });

  project
    .command('list')
    .description('list projects (yours; every project for an admin)')
    .option('--user <name>', 'only the projects of this user')
    .option('--json', 'print as JSON')
    .action(async (opts: { user?: string; json?: boolean }) => {
      const projects = await ctx.client().listProjects(opts.user !== undefined ? { user: opts.user } : {});
      if (opts.json) ctx.json(projects);
      else ctx.out(projectTable(projects));
    });

  withSettings(
    project
      .command('update')
      .description('change a project (admin); quota keys not given keep their limit')
      .argument('<NAME>', 'project name'),
  ).action(async (name: string, opts: ProjectOptions) => {
    const patch = settingsOf(opts);
    if (Object.keys(patch).length === 0) {
      throw new UsageError('nothing to change: give --shares, --priority, --description or --quota');
    }
    const p = await ctx.client().updateProject(name, patch);
    print(p, opts.json, `project ${p.name} updated (shares ${p.shares}, quota ${formatQuota(p.quota) || 'none'})`);
  });

  project
    .command('delete')
    .description('delete a project that no job names (admin)')
    .argument('<NAME>', 'project name')
    .action(async (name: string) => {
      await ctx.client().deleteProject(name);
      ctx.out(`project ${name} deleted\n`);
    });

  project
    .command('add-member')
    .description('add a user to a project (admin)')
    .argument('<NAME>', 'project name')
    .argument('<USER>', 'user name')
    .option('--shares <n>', "the user's shares in the project (default 1)", sharesOption)
    .option('--json', 'print the project as JSON')
    .action(async (name: string, user: string, opts: { shares?: number; json?: boolean }) => {
      const p = await ctx.client().addMember(name, { user, ...(opts.shares !== undefined ? { shares: opts.shares } : {}) });
      const shares = p.members.find((m) => m.user === user)?.shares;
      print(p, opts.json, `${user} added to project ${p.name} (shares ${shares})`);
    });

  project
    .command('update-member')
    .description("set a member's shares in a project (admin)")
    .argument('<NAME>', 'project name')
    .argument('<USER>', 'user name')
    .requiredOption('--shares <n>', "the user's shares in the project", sharesOption)
    .option('--json', 'print the project as JSON')
    .action(async (name: string, user: string, opts: { shares: number; json?: boolean }) => {
      const p = await ctx.client().updateMember(name, user, opts.shares);
      print(p, opts.json, `${user} has ${opts.shares} shares in project ${p.name}`);
    });

  project
    .command('remove-member')
    .description('remove a user from a project (admin); their past usage still counts')
    .argument('<NAME>', 'project name')
    .argument('<USER>', 'user name')
    .option('--json', 'print the project as JSON')
    .action(async (name: string, user: string, opts: { json?: boolean }) => {
      const p = await ctx.client().removeMember(name, user);
      print(p, opts.json, `${user} removed from project ${p.name}`);
    });

  project
    .command('reset-usage')
    .description('forget recorded cpu time, so an exhausted cpu-time quota applies afresh (admin)')
    .argument('[NAME]', 'only this project')
    .option('--user <name>', 'only this user')
    .option('--all', 'every project and user (needed when neither NAME nor --user is given)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string | undefined, opts: { user?: string; all?: boolean; json?: boolean }) => {
      // Resetting everyone by forgetting an argument would be a bad surprise.
      if (name === undefined && opts.user === undefined && !opts.all) {
        throw new UsageError('say whose cpu time to reset: a project NAME, --user USER, or --all');
      }
      const result = await ctx.client().resetUsage({
        ...(name !== undefined ? { project: name } : {}),
        ...(opts.user !== undefined ? { user: opts.user } : {}),
      });
      if (opts.json) ctx.json(result);
      else {
        const whose = [name && `project ${name}`, opts.user && `user ${opts.user}`].filter(Boolean).join(', ') || 'everyone';
        ctx.out(`cpu time of ${whose} reset (${result.buckets} hour buckets removed)\n`);
      }
    });
}
