/**
 * The command tree: global options, output wiring, and one module per command group.
 * A command group's module is imported only when the command line names it, so
 * `godocker submit` loads the submit module and nothing of `project`, `user` or `server`.
 */
import { JOB_ACTIONS, VERSION } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from './context.js';

type Register = (program: Command, ctx: Context) => void;

/** Command name -> the module that registers it, in the order `--help` lists them. */
const COMMANDS: ReadonlyArray<readonly [readonly string[], () => Promise<Register>]> = [
  [['server'], () => import('./commands/server.js').then((m) => m.registerServer)],
  [['login'], () => import('./commands/login.js').then((m) => m.registerLogin)],
  [['token'], () => import('./commands/token.js').then((m) => m.registerToken)],
  [['submit'], () => import('./commands/submit.js').then((m) => m.registerSubmit)],
  [['jobs'], () => import('./commands/jobs.js').then((m) => m.registerJobs)],
  [['acct'], () => import('./commands/acct.js').then((m) => m.registerAcct)],
  [['usage'], () => import('./commands/usage.js').then((m) => m.registerUsage)],
  [['show', 'describe'], () => import('./commands/show.js').then((m) => m.registerShow)],
  [['why'], () => import('./commands/why.js').then((m) => m.registerWhy)],
  [['share'], () => import('./commands/share.js').then((m) => m.registerShare)],
  [['logs'], () => import('./commands/logs.js').then((m) => m.registerLogs)],
  [['files', 'get', 'put'], () => import('./commands/files.js').then((m) => m.registerFiles)],
  [['wait'], () => import('./commands/wait.js').then((m) => m.registerWait)],
  [JOB_ACTIONS, () => import('./commands/actions.js').then((m) => m.registerActions)],
  [['user'], () => import('./commands/user.js').then((m) => m.registerUser)],
  [['project'], () => import('./commands/project.js').then((m) => m.registerProject)],
  [['nodes', 'node'], () => import('./commands/nodes.js').then((m) => m.registerNodes)],
  [['ssh'], () => import('./commands/ssh.js').then((m) => m.registerSsh)],
  [['key'], () => import('./commands/key.js').then((m) => m.registerKey)],
  [['info'], () => import('./commands/info.js').then((m) => m.registerInfo)],
  [['status'], () => import('./commands/status.js').then((m) => m.registerStatus)],
  [['admin'], () => import('./commands/admin.js').then((m) => m.registerAdmin)],
];

/** Global options that take a value, so the word after them is not the command. */
const VALUE_OPTIONS = new Set(['--url', '--token']);

/** The first word of the command line that is not a global option (or its value). */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * Sets up `program` for `argv`: the named command's module only, none for `--version`,
 * or every module when the line names none or an unknown one (help, the command
 * list, "did you mean").
 */
export async function buildProgram(program: Command, ctx: Context, argv: readonly string[]): Promise<Command> {
  // Settings made before .command() are inherited by every subcommand.
  program
    .name('godocker')
    .description('GoDocker: submit and manage containerised batch jobs')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--url <url>', 'daemon URL (default: $GODOCKER_URL, the saved login, then http://127.0.0.1:6543)')
    .option('--token <token>', 'API token (default: $GODOCKER_TOKEN, then the saved login)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    })
    .showSuggestionAfterError()
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true });

  const word = commandWord(argv);
  const named = COMMANDS.find(([names]) => word !== undefined && names.includes(word));
  const versionOnly = word === undefined && (argv.includes('-V') || argv.includes('--version'));
  const loaders = named ? [named[1]] : versionOnly ? [] : COMMANDS.map(([, load]) => load);
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program, ctx);
  return program;
}
