/** `godocker user create|list|token` (admin). */
import type { CreatedToken } from '@godocker/sdk';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { integerOption } from '../options.js';
import { formatTable } from '../table.js';

interface CreateOptions {
  uid: number;
  gid: number;
  home?: string;
  admin?: boolean;
  json?: boolean;
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
