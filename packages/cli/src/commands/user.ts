/** `godocker user create|list|token|update` (admin) and `user show` (admin, or yourself). */
import type { CreatedToken, Project, Quota, UpdateUserBody, User } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { integerOption } from '../options.js';
import { formatTable } from '../table.js';
import { PRIORITY_HELP, priorityOption, QUOTA_HELP } from './project.js';
import { formatQuota, quotaOption } from './quota.js';

interface CreateOptions {
  uid: number;
  gid: number;
  home?: string;
  admin?: boolean;
  json?: boolean;
}

interface UpdateOptions {
  priority?: number;
  quota?: Quota;
  admin?: boolean;
  json?: boolean;
}

function describeUser(u: User, projects: readonly Project[]): string {
  const field = (label: string, value: string) => `${`${label}:`.padEnd(14)}${value}\n`;
  let out = '';
  out += field('Name', u.name);
  out += field('Uid/gid', `${u.uid}/${u.gid}`);
  out += field('Home', u.home);
  out += field('Admin', u.admin ? 'yes' : 'no');
  out += field('Priority', String(u.priority));
  out += field('Quota', formatQuota(u.quota) || 'none');
  out += field('Created', u.createdAt);
  out += `Projects (${projects.length}):\n`;
  const rows = projects.map((p) => [p.name, String(p.members.find((m) => m.user === u.name)?.shares ?? '-'), String(p.shares)]);
  if (rows.length > 0) {
    out += formatTable(['project', 'shares', 'project shares'], rows)
      .split('\n')
      .map((line) => (line ? `  ${line}` : line))
      .join('\n');
  }
  return out;
}

function printToken(ctx: Context, created: CreatedToken, what: string): void {
  ctx.out(`${what}\ntoken: ${created.token}\n`);
  ctx.err(
    `(the token is shown only now; give it to ${created.user.name} for \`godocker login --url ${ctx.connection().url} --token TOKEN\`)\n`,
  );
}

export function registerUser(program: Command, ctx: Context): void {
  const user = program.command('user').description('manage users (admin)');

  user
    .command('create')
    .description('create a user and print its first token (once)')
    .argument('<NAME>', 'user name, e.g. alice')
    .requiredOption('--uid <uid>', 'uid jobs run as', integerOption(1, 4294967294))
    .requiredOption('--gid <gid>', 'gid jobs run as', integerOption(1, 4294967294))
    .option('--home <path>', 'home folder (for $HOME in volume paths)')
    .option('--admin', 'make the user an admin')
    .option('--json', 'print the user and token as JSON')
    .action(async (name: string, opts: CreateOptions) => {
      const created = await ctx.client().createUser({
        name,
        uid: opts.uid,
        gid: opts.gid,
        ...(opts.home !== undefined ? { home: opts.home } : {}),
        ...(opts.admin ? { admin: true } : {}),
      });
      if (opts.json) ctx.json(created);
      else
        printToken(
          ctx,
          created,
          `user ${created.user.name} created (uid ${created.user.uid}, gid ${created.user.gid}${created.user.admin ? ', admin' : ''})`,
        );
    });

  user
    .command('list')
    .description('list users')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const users = await ctx.client().listUsers();
      if (opts.json) ctx.json(users);
      else
        ctx.out(
          formatTable(
            ['name', 'uid', 'gid', 'home', 'admin', 'created'],
            users.map((u) => [u.name, String(u.uid), String(u.gid), u.home, u.admin ? 'yes' : 'no', u.createdAt]),
          ),
        );
    });

  user
    .command('show')
    .description('show a user: uid/gid, priority, quota and projects (admin, or yourself)')
    .argument('<NAME>', 'user name')
    .option('--json', 'print as JSON (the user and their projects)')
    .action(async (name: string, opts: { json?: boolean }) => {
      const client = ctx.client();
      const [u, projects] = await Promise.all([client.getUser(name), client.listProjects({ user: name })]);
      if (opts.json) ctx.json({ user: u, projects });
      else ctx.out(describeUser(u, projects));
    });

  user
    .command('update')
    .description("change a user's priority, quota or admin right (admin); quota keys not given keep their limit")
    .argument('<NAME>', 'user name')
    .option('--priority <n>', PRIORITY_HELP, priorityOption)
    .option('--quota <spec>', QUOTA_HELP, quotaOption)
    .option('--admin', 'make the user an admin')
    .option('--no-admin', 'take the admin right away')
    .option('--json', 'print the user as JSON')
    .action(async (name: string, opts: UpdateOptions) => {
      const patch: UpdateUserBody = {
        ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
        ...(opts.quota !== undefined ? { quota: opts.quota } : {}),
        ...(opts.admin !== undefined ? { admin: opts.admin } : {}),
      };
      if (Object.keys(patch).length === 0)
        throw new UsageError('nothing to change: give --priority, --quota, --admin or --no-admin');
      const u = await ctx.client().updateUser(name, patch);
      if (opts.json) ctx.json(u);
      else
        ctx.out(
          `user ${u.name} updated (priority ${u.priority}, quota ${formatQuota(u.quota) || 'none'}${u.admin ? ', admin' : ''})\n`,
        );
    });

  user
    .command('token')
    .description('create another token for a user (print it once)')
    .argument('<NAME>', 'user name')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const created = await ctx.client().createToken(name);
      if (opts.json) ctx.json(created);
      else printToken(ctx, created, `new token for ${created.user.name}`);
    });
}
