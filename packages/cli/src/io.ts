/**
 * Everything a command touches outside itself. `run` takes it as a parameter so the
 * whole command tree runs in-process in tests, with captured output and no exits.
 */
import type { FetchFn } from '@godocker/sdk/client';
import { importRead } from './dynamic-imports.js';

export interface Output {
  /** Text, or the bytes of a downloaded file (`godocker get ID PATH -o -`). */
  write(text: string | Uint8Array): unknown;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  /** The whole of standard input (`submit -`, `login --token -`). */
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  /** Folder relative paths (a script file) are read from. */
  cwd: string;
  /**
   * A signal that aborts when the user asks to stop (Ctrl-C, SIGTERM). Only commands
   * that run until stopped ask for it, so the others keep the default Ctrl-C behaviour.
   */
  interrupted(): AbortSignal;
  fetch?: FetchFn;
  /**
   * A password: asked on the terminal without echo when stdin is one, else the first line of
   * stdin (scripts). Absent (tests): the first line of readStdin().
   */
  readPassword?(prompt: string): Promise<string>;
}

/** The first line, without its end: a password piped in with `echo` keeps no newline. */
export function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** The real process: stdio, environment, SIGINT and SIGTERM. */
export function processIo(): CliIo {
  let controller: AbortController | undefined;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: () => readAll(process.stdin),
    async readPassword(prompt) {
      if (!process.stdin.isTTY) return firstLine(await readAll(process.stdin));
      // Loaded only here: the prompt is on the terminal (stderr), so stdout stays for the command's output.
      const { read } = await importRead();
      return read({ prompt, silent: true, replace: '', output: process.stderr });
    },
    env: process.env,
    cwd: process.cwd(),
    interrupted() {
      if (!controller) {
        const c = new AbortController();
        controller = c;
        const onSignal = (signal: NodeJS.Signals) => {
          // A second Ctrl-C gets the default behaviour: the process ends at once.
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          c.abort(signal);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }
      return controller.signal;
    },
  };
}
