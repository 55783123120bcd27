/** `godocker token list|revoke`: the caller's tokens (an admin: anyone's), never the tokens themselves. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { formatTable } from '../table.js';

export function registerToken(program: Command, ctx: Context): void {
  const token = program.command('token').description('list and revoke your tokens');

  token
    .command('list')
    .description('your tokens: id, label, made, expires, last used (within a minute)')
    .option('--user <name>', "another user's tokens (admin)")
    .option('--json', 'print the list as JSON')
    .action(async (opts: { user?: string; json?: boolean }) => {
      const tokens = await ctx.client().listTokens(opts.user !== undefined ? { user: opts.user } : {});
      if (opts.json) return ctx.json(tokens);
      const rows = tokens.map((t) => [t.id, t.label, t.createdAt, t.expiresAt ?? 'never', t.lastUsedAt ?? 'never']);
      ctx.out(formatTable(['id', 'label', 'created', 'expires', 'last used'], rows));
    });

  token
    .command('revoke')
    .description('revoke a token: it answers 401 from then on (yours; an admin: anyone’s)')
    .argument('<ID>', 'the id `godocker token list` shows, e.g. tok_3f9a...')
    .action(async (id: string) => {
      await ctx.client().revokeToken(id);
      ctx.out(`token ${id} revoked\n`);
    });
}
