/** `godocker key add FILE | list | remove ID`: the SSH public keys that log the caller in to the SSH gateway. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { readTextFile } from '../submission.js';
import { formatTable } from '../table.js';

export function registerKey(program: Command, ctx: Context): void {
  const key = program.command('key').description('SSH public keys for `godocker ssh` (ssh -p PORT USER@HOST JOBID)');
  key
    .command('add')
    .description('register a public key (an OpenSSH .pub file; - reads stdin)')
    .argument('<FILE>', 'e.g. ~/.ssh/id_ed25519.pub')
    .option('--comment <TEXT>', 'a name for it instead of the comment of the key line')
    .option('--json', 'the key as JSON')
    .action(async (file: string, opts: { comment?: string; json?: boolean }) => {
      const text = file === '-' ? await ctx.io.readStdin() : readTextFile(file, ctx.io.cwd, 'public key file');
      const added = await ctx.client().addSshKey(text, opts.comment);
      if (opts.json) return ctx.json(added);
      ctx.out(`key ${added.id} added: ${added.type} ${added.fingerprint} ${added.comment}\n`);
    });
  key
    .command('list')
    .description('your SSH keys')
    .option('--json', 'as JSON')
    .action(async (opts: { json?: boolean }) => {
      const keys = await ctx.client().sshKeys();
      if (opts.json) return ctx.json(keys);
      ctx.out(
        formatTable(
          ['id', 'type', 'fingerprint', 'comment', 'added'],
          keys.map((k) => [k.id, k.type, k.fingerprint, k.comment, k.createdAt]),
        ),
      );
    });
  key
    .command('remove')
    .description('remove one of your SSH keys')
    .argument('<ID>', 'as `godocker key list` shows it')
    .action(async (id: string) => {
      await ctx.client().removeSshKey(id);
      ctx.out(`key ${id} removed\n`);
    });
}
