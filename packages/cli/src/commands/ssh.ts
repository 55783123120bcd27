/**
 * `godocker ssh ID [-- CMD...]`: the system's OpenSSH client (`ssh`) to the daemon's SSH
 * gateway, with its port (from GET /api/v1/info) and the caller's name filled in: a shell
 * with a terminal, or one command. Keys come from `godocker key add`; without one, ssh
 * asks for a password: the API token.
 */
import { spawn } from 'node:child_process';
import { ErrorCodes, GodockerError } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseJobId } from '../options.js';

/** The ssh arguments; the host from the API's URL when the gateway listens on every address. */
export function sshArgs(
  apiUrl: string,
  gateway: { host: string; port: number },
  user: string,
  jobId: number,
  command: readonly string[],
): string[] {
  const wildcard = gateway.host === '0.0.0.0' || gateway.host === '::';
  const host = wildcard ? new URL(apiUrl).hostname : gateway.host;
  const shell = command.length === 0;
  return [
    '-p',
    String(gateway.port),
    ...(shell ? ['-t'] : []),
    `${user}@${host}`,
    String(jobId),
    ...(shell ? [] : ['--', ...command]),
  ];
}

export async function runSsh(ctx: Context, jobId: number, command: readonly string[]): Promise<number> {
  const connection = ctx.connection();
  const info = await ctx.client(connection).info();
  if (!info.ssh) {
    throw new GodockerError(
      ErrorCodes.NOT_SUPPORTED,
      'the daemon runs no SSH gateway: an admin turns it on with ssh.enabled: true (or GODOCKER_SSH_PORT)',
    );
  }
  if (!info.user) throw new GodockerError(ErrorCodes.UNAUTHENTICATED, 'log in first: godocker login --url URL --token TOKEN');
  const args = sshArgs(connection.url, info.ssh, info.user.name, jobId, command);
  const child = spawn('ssh', args, { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new GodockerError(ErrorCodes.NOT_FOUND, 'no `ssh` command here: install an OpenSSH client (Debian: openssh-client)')
          : e,
      ),
    );
    child.once('close', (code) => resolve(code ?? 255));
  });
}

export function registerSsh(program: Command, ctx: Context): void {
  program
    .command('ssh')
    .description('a shell (or one command after --) inside a running job, through the SSH gateway')
    .argument('<ID>', 'job id')
    .argument('[CMD...]', 'a command to run instead of a shell')
    .action(async (idText: string, command: string[]) => {
      ctx.exitCode = await runSsh(ctx, parseJobId(idText), command);
    });
}
