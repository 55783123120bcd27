/**
 * `godocker login`: with `--user`, a password login against the daemon's directory that saves
 * the token it answers; otherwise checks a URL and token and saves them. Either way later
 * commands use the saved login.
 */
import {
  DEFAULT_URL,
  GodockerClient,
  type LoginResult,
  loadLogin,
  normalizeBaseUrl,
  type SavedLogin,
  saveLogin,
} from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { httpFetch } from '../http-fetch.js';
import { firstLine } from '../io.js';

interface LoginOptions {
  json?: boolean;
  user?: string;
  label?: string;
}

function savedOrNull(ctx: Context): SavedLogin | null {
  try {
    return loadLogin(ctx.io.env);
  } catch {
    return null; // a damaged file is what login is here to replace
  }
}

async function passwordLogin(ctx: Context, url: string, user: string, opts: LoginOptions): Promise<LoginResult> {
  const io = ctx.io;
  const password = io.readPassword ? await io.readPassword(`password for ${user} at ${url}: `) : firstLine(await io.readStdin());
  if (password === '') throw new UsageError('no password given: type it at the prompt, or pipe it on stdin for a script');
  const client = new GodockerClient({ url, fetch: io.fetch ?? httpFetch });
  return client.login({ user, password, ...(opts.label !== undefined ? { label: opts.label } : {}) });
}

export function registerLogin(program: Command, ctx: Context): void {
  program
    .command('login')
    .description(
      'log in: --user NAME asks your directory password (stdin in scripts) and saves the token it gets; else checks --url and --token (- reads it from stdin) and saves them',
    )
    .addHelpText('after', '\nSaved in $XDG_CONFIG_HOME/godocker/login.json (default ~/.config/godocker/login.json), mode 0600.')
    .option('--user <name>', 'log in with this user name (or mail) and its directory password')
    .option('--label <text>', 'name the token (shown by `godocker token list`)')
    .option('--json', 'print the user as JSON')
    .action(async (opts: LoginOptions) => {
      const g = program.opts<GlobalOptions>();
      const env = ctx.io.env;
      const saved = savedOrNull(ctx);
      const url = normalizeBaseUrl(g.url ?? env.GODOCKER_URL ?? saved?.url ?? DEFAULT_URL);
      if (opts.user !== undefined) {
        if (g.token !== undefined) throw new UsageError('give --user (a password login) or --token, not both');
        const result = await passwordLogin(ctx, url, opts.user, opts);
        const path = saveLogin({ url, token: result.token }, env);
        if (opts.json) ctx.json(result.user);
        else {
          const u = result.user;
          ctx.out(
            `logged in to ${url} as ${u.name}${u.admin ? ' (admin)' : ''} (uid ${u.uid}, gid ${u.gid}); the token expires at ${result.expiresAt}; saved in ${path}\n`,
          );
        }
        return;
      }
      // `--token -` keeps the token out of the shell history and the process list.
      let token = g.token === '-' ? (await ctx.io.readStdin()).trim() : (g.token ?? env.GODOCKER_TOKEN);
      if (!token && saved && normalizeBaseUrl(saved.url) === url) token = saved.token;
      if (!token) {
        throw new UsageError(
          'no token: log in with your directory account (--user NAME), or give a token with --token TOKEN (or --token - to read it from stdin); an admin prints tokens with `godocker user create`',
        );
      }
      const user = await new GodockerClient({ url, token, fetch: ctx.io.fetch }).me();
      const path = saveLogin({ url, token }, env);
      if (opts.json) ctx.json(user);
      else ctx.out(`logged in to ${url} as ${user.name}${user.admin ? ' (admin)' : ''}; saved in ${path}\n`);
    });
}
