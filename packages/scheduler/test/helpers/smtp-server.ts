/**
 * A real SMTP server that keeps what it receives: Debian's aiosmtpd (python3-aiosmtpd) with
 * its Mailbox handler, writing each message to a Maildir the test reads.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port.js';

export interface SmtpServer {
  port: number;
  /** Every message received so far, raw (headers and body). */
  messages(): string[];
  stop(): Promise<void>;
}

// Debian's interpreter: the one that has python3-aiosmtpd, whatever python3 comes first on PATH.
const PYTHON = '/usr/bin/python3';

/** On `port`, or a free one. */
export async function startSmtpServer(port?: number): Promise<SmtpServer> {
  port ??= await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'godocker-smtp-'));
  const maildir = join(dir, 'mail');
  const child: ChildProcess = spawn(
    PYTHON,
    ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-2000);
  });
  for (let i = 0; ; i++) {
    if (await answers(port)) break;
    if (child.exitCode !== null || i > 100) {
      child.kill('SIGKILL');
      throw new Error(`aiosmtpd did not start on port ${port}: ${err}`);
    }
    await delay(100);
  }
  return {
    port,
    messages() {
      const folder = join(maildir, 'new');
      return readdirSync(folder)
        .sort()
        .map((f) => readFileSync(join(folder, f), 'utf8'));
    },
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await Promise.race([gone, delay(3000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}
