/** The real OpenSSH clients (ssh, sftp, ssh-keygen) as the ssh gateway's tests drive them. */
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Job, SshKey } from '@godocker/sdk';
import type { Caller } from './api-caller.js';
import { waitJob } from './test-daemon.js';

export const run = promisify(execFile);

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The OpenSSH client with the test's key, no known-hosts file, no prompt. */
export function openssh(
  port: number,
  key: string,
  login: string,
  args: string[],
  options: { tty?: boolean; input?: string } = {},
) {
  const child = spawn(
    'ssh',
    [
      '-p',
      String(port),
      '-i',
      key,
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'LogLevel=ERROR',
      ...(options.tty ? ['-tt'] : ['-T']),
      `${login}@127.0.0.1`,
      ...args,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  if (options.input !== undefined) child.stdin.end(options.input);
  const done = new Promise<SshResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout };
}

export async function sshOnce(port: number, key: string, login: string, args: string[], input = ''): Promise<SshResult> {
  return openssh(port, key, login, args, { input }).done;
}

export async function makeKey(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', path]);
  return path;
}

export async function addKey(who: Caller, keyPath: string): Promise<SshKey> {
  const r = await who.call<SshKey>('POST', '/api/v1/keys', { publicKey: await readFile(`${keyPath}.pub`, 'utf8') });
  if (r.status !== 201) throw new Error(`key add failed: ${r.status} ${r.text}`);
  return r.body;
}

export async function submitSleeper(who: Caller, seconds = 120): Promise<Job> {
  const s = await who.call<Job>('POST', '/api/v1/jobs', { command: { script: `sleep ${seconds}` } });
  if (s.status !== 201) throw new Error(`submit failed: ${s.text}`);
  return waitJob(who, s.body.id, 'started');
}

/**
 * OpenSSH's sftp in batch mode, reading its commands from a pipe the test keeps open: `send`
 * one at a time, `end` the input when done (a `-` before a command lets the batch go on when it fails).
 */
export function sftpSession(port: number, key: string, login: string) {
  const child = spawn(
    'sftp',
    [
      '-b',
      '-',
      '-P',
      String(port),
      '-i',
      key,
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'LogLevel=ERROR',
      `${login}@127.0.0.1`,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<SshResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    done,
    output: () => stdout,
    errors: () => stderr,
    send: (command: string) => child.stdin.write(`${command}\n`),
    end: () => child.stdin.end(),
  };
}

/** OpenSSH's sftp in batch mode: `commands` one a line; a `-` before one lets the batch go on when it fails. */
export async function sftpBatch(port: number, key: string, login: string, commands: string[]): Promise<SshResult> {
  const session = sftpSession(port, key, login);
  for (const c of commands) session.send(c);
  session.end();
  return session.done;
}
