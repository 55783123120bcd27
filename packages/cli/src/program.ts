/** The command tree: global options, output wiring, and one module per command group. */
import { VERSION } from '@godocker/sdk';
import type { Command } from 'commander';
import { registerActions } from './commands/actions.js';
import { registerInfo } from './commands/info.js';
import { registerJobs } from './commands/jobs.js';
import { registerLogin } from './commands/login.js';
import { registerLogs } from './commands/logs.js';
import { registerProject } from './commands/project.js';
import { registerServer } from './commands/server.js';
import { registerShare } from './commands/share.js';
import { registerShow } from './commands/show.js';
import { registerSubmit } from './commands/submit.js';
import { registerUser } from './commands/user.js';
import { registerWait } from './commands/wait.js';
import { registerWhy } from './commands/why.js';
import type { Context } from './context.js';

export function buildProgram(program: Command, ctx: Context): Command {
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

  registerServer(program, ctx);
  registerLogin(program, ctx);
  registerSubmit(program, ctx);
  registerJobs(program, ctx);
  registerShow(program, ctx);
  registerWhy(program, ctx);
  registerShare(program, ctx);
  registerLogs(program, ctx);
  registerWait(program, ctx);
  registerActions(program, ctx);
  registerUser(program, ctx);
  registerProject(program, ctx);
  registerInfo(program, ctx);
  return program;
}
