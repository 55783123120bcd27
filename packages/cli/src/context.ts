/**
 * What every command gets: the io, the global options (--url, --token) and a client
 * built from them, plus the exit code the command wants once it returns.
 */
import { type Connection, GodockerClient, resolveConnection } from '@godocker/sdk/client';
import { httpFetch } from './http-fetch.js';
import type { CliIo } from './io.js';
import { toJson } from './output.js';

export interface GlobalOptions {
  url?: string;
  token?: string;
}

export class Context {
  /** Set by a command whose result is not plain success (a job's exit code, a timeout). */
  exitCode = 0;
  readonly io: CliIo;
  private readonly globals: () => GlobalOptions;

  constructor(io: CliIo, globals: () => GlobalOptions) {
    this.io = io;
    this.globals = globals;
  }

  /** URL and token: --url/--token, then GODOCKER_URL/GODOCKER_TOKEN, then the saved login. */
  connection(): Connection {
    const g = this.globals();
    return resolveConnection({ url: g.url, token: g.token, env: this.io.env });
  }

  client(connection: Connection = this.connection()): GodockerClient {
    return new GodockerClient({ url: connection.url, token: connection.token, fetch: this.io.fetch ?? httpFetch });
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  json(value: unknown): void {
    this.out(toJson(value));
  }
}
