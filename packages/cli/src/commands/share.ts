/** `godocker share`: the fair-share tree, like Slurm's `sshare`. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { formatTable } from '../table.js';

const num = (n: number, digits = 6) => (Number.isFinite(n) ? n.toFixed(digits).replace(/\.?0+$/, '') || '0' : '-');

export function registerShare(program: Command, ctx: Context): void {
  program
    .command('share')
    .description('fair share: projects and their users with shares, usage, effective usage and factor')
    .option('--json', 'the tree as JSON')
    .action(async (opts: { json?: boolean }) => {
      const tree = await ctx.client().share();
      if (opts.json) return ctx.json(tree);
      const rows = tree.rows.map((r) => [
        r.user === null ? r.project : '',
        r.user ?? '',
        String(r.rawShares),
        num(r.normShares),
        num(r.rawUsage, 0),
        num(r.normUsage),
        num(r.effectiveUsage),
        num(r.factor),
      ]);
      ctx.out(
        formatTable(
          ['project', 'user', 'raw shares', 'norm shares', 'raw usage', 'norm usage', 'effectv usage', 'fairshare'],
          rows,
        ),
      );
    });
}
