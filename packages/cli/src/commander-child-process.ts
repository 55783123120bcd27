/**
 * What the bundled commander gets for `require('node:child_process')`. It needs the
 * module only to run executable subcommands (git-style), which godocker has none of,
 * yet loading it when commander loads puts child_process, dgram and their bindings
 * on the start of every command.
 */
import type * as ChildProcess from 'node:child_process';

export const spawn = ((...args: Parameters<typeof ChildProcess.spawn>) =>
  (require('node:child_process') as typeof ChildProcess).spawn(...args)) as typeof ChildProcess.spawn;
