/** `godocker login`: checks a URL and token against the daemon, then saves them for later commands. */
import { DEFAULT_URL, GodockerClient, loadLogin, normalizeBaseUrl, type SavedLogin, saveLogin } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';

function savedOrNull(ctx: Context): SavedLogin | null {
  try {
    return loadLogin(ctx.io.env);
  } catch {
    return null; // a damaged file is what login is here to replace
  }
}

export function registerLogin(program: Command, ctx: Context): void {
  program
    .command('login')
    .description('check --url and --token (- reads it from stdin) and save them for later commands')
    .addHelpText('after', '\nSaved in $XDG_CONFIG_HOME/godocker/login.json (default ~/.config/godocker/login.json), mode 0600.')
    .option('--json', 'print the user as JSON')
    .action(async (opts: { json?: boolean }) => {
      const g = program.opts<GlobalOptions>();
      const env = ctx.io.env;
      const saved = savedOrNull(ctx);
      const url = normalizeBaseUrl(g.url ?? env.GODOCKER_URL ?? saved?.url ?? DEFAULT_URL);
      // `--token -` keeps the token out of the shell history and the process list.
      let token = g.token === '-' ? (await ctx.io.readStdin()).trim() : (g.token ?? env.GODOCKER_TOKEN);
      if (!token && saved && normalizeBaseUrl(saved.url) === url) token = saved.token;
      if (!token) {
        throw new UsageError(
          'no token: give one with --token TOKEN (or --token - to read it from stdin); an admin prints tokens with `godocker user create`',
        );
      }
      const user = await new GodockerClient({ url, token, fetch: ctx.io.fetch }).me();
      const path = saveLogin({ url, token }, env);
      if (opts.json) ctx.json(user);
      else ctx.out(`logged in to ${url} as ${user.name}${user.admin ? ' (admin)' : ''}; saved in ${path}\n`);
    });
}
