/** TAP output of the C test programs, and running them. */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface TapLine {
  ok: boolean;
  number: number;
  description: string;
  /** The `#` lines the program printed after it: why it failed. */
  diagnostics: string[];
}

export interface Tap {
  plan: number | null;
  tests: TapLine[];
  bailOut: string | null;
}

export function parseTap(text: string): Tap {
  const tap: Tap = { plan: null, tests: [], bailOut: null };
  for (const line of text.split('\n')) {
    const plan = /^1\.\.(\d+)$/.exec(line);
    const test = /^(not )?ok (\d+)(?: - (.*))?$/.exec(line);
    if (plan) tap.plan = Number(plan[1]);
    else if (test) tap.tests.push({ ok: !test[1], number: Number(test[2]), description: test[3] ?? '', diagnostics: [] });
    else if (line.startsWith('#')) tap.tests.at(-1)?.diagnostics.push(line);
    else if (line.startsWith('Bail out!')) tap.bailOut = line;
  }
  return tap;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeout: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr: error && code === null ? `${stderr}\n${error.message}` : stderr });
    });
  });
}

/**
 * The environment of a DRMAA client of the daemon at URL as the user of TOKEN, with a
 * fresh HOME under WORK: no saved login of whoever runs the tests may answer instead.
 */
export async function clientEnv(work: string, url: string, token: string): Promise<NodeJS.ProcessEnv> {
  const home = join(work, 'home');
  await mkdir(join(home, 'config'), { recursive: true });
  return {
    PATH: process.env.PATH,
    LC_ALL: 'C.UTF-8',
    GODOCKER_URL: url,
    GODOCKER_TOKEN: token,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
  };
}
