/**
 * A daemon in its own process (daemon-process.mjs, the built packages), so a test
 * can kill -9 it and start another on the same data folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { ADMIN_TOKEN, baseConfig } from './test-daemon.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Starts it with these config overrides; `children` collects it, for the test's clean-up to kill.
 * `as` runs it as another user (the tests run as root), `env` adds to its environment.
 */
export async function spawnDaemon(
  config: object,
  children: ChildProcess[],
  options: { as?: { uid: number; gid: number }; env?: Record<string, string> } = {},
): Promise<{ child: ChildProcess; url: string; clusterId: string }> {
  const child = spawn(process.execPath, [join(here, 'daemon-process.mjs'), JSON.stringify(config)], {
    env: { ...process.env, GODOCKER_ADMIN_TOKEN: ADMIN_TOKEN, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.as ? { uid: options.as.uid, gid: options.as.gid } : {}),
  });
  children.push(child);
  // Passed on as it comes, and its end kept for the error: a CI log shows only the failure.
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    process.stderr.write(d);
    err = (err + d.toString()).slice(-4000);
  });
  const first = await new Promise<{ url: string; clusterId: string }>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(JSON.parse(line) as { url: string; clusterId: string });
    });
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code} before listening; its stderr ends:\n${err}`)));
  });
  return { child, ...first };
}

/**
 * Daemons (local executor) on one data folder per test, for the tests of a describe
 * block that kill one and start another: each is killed, and the folder removed, after
 * each test.
 */
export function daemonsOnOneFolder(prefix: string): {
  start(): Promise<{ child: ChildProcess; url: string }>;
} {
  const children: ChildProcess[] = [];
  let root: string | undefined;
  let config: object | undefined;
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
    config = undefined;
  });
  return {
    start() {
      if (!config) {
        root = mkdtempSync(join(tmpdir(), prefix));
        chmodSync(root, 0o711);
        config = baseConfig('local', join(root, 'data'));
      }
      return spawnDaemon(config, children);
    },
  };
}
