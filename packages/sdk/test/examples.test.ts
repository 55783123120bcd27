/**
 * Every example under examples/node runs, as a user would run it (node, the
 * built packages, GODOCKER_URL and GODOCKER_TOKEN), against a live daemon with
 * the Docker executor, and says what it should.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, REPO } from './helpers/built.js';
import { type RunningDaemon, startDockerDaemon } from './helpers/docker-daemon.js';

const exec = promisify(execFile);
let daemon: RunningDaemon;

beforeAll(async () => {
  assertBuilt('sdk');
  daemon = await startDockerDaemon();
});
afterAll(async () => {
  await daemon?.stop();
});

async function runExample(name: string): Promise<string> {
  const { stdout } = await exec(process.execPath, [join(REPO, 'examples', 'node', name)], {
    // HOME elsewhere: the saved login of whoever runs the tests must not be used.
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', GODOCKER_URL: daemon.url, GODOCKER_TOKEN: daemon.token },
    timeout: 60_000,
  });
  return stdout;
}

describe('examples/node', () => {
  it('submit-and-wait.mjs: submits one job and prints its end and output', async () => {
    const out = await runExample('submit-and-wait.mjs');
    expect(out).toMatch(/^submitted job \d+ in session session-\w+$/m);
    expect(out).toMatch(/^job \d+ is DONE, exit status 0$/m);
    expect(out).toContain('output: hello from GoDocker');
  });

  it('bulk-synchronize.mjs: five tasks, synchronize, then every exit status once', async () => {
    const out = await runExample('bulk-synchronize.mjs');
    expect(out).toMatch(/^session contact: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/sessions\/session-\w+$/m);
    expect(out).toContain('all tasks have ended');
    expect(out.match(/exit status 1 \(FAILED\)/g)).toHaveLength(3);
    expect(out.match(/exit status 0 \(DONE\)/g)).toHaveLength(2);
    expect(out).toContain('no job left in the session');
  });

  it('pipeline.mjs: three steps, each started after the one before it ended', async () => {
    const out = await runExample('pipeline.mjs');
    expect(out).toMatch(/submitted align as job \d+ \(after job \d+\)/);
    expect(out).toContain('fetch: DONE, the first step');
    for (const step of ['align', 'report']) expect(out).toContain(`${step}: DONE, started after the step before it ended`);
    for (const step of ['fetch', 'align', 'report']) expect(out).toContain(`${step} starts\n${step} ends\n`);
  });

  it('watch-events.mjs: prints the state changes of its jobs until both have ended', async () => {
    const out = await runExample('watch-events.mjs');
    expect(out).toMatch(/-> running \(RUNNING\)/);
    expect(out).toMatch(/-> done \(DONE\): exited with code 0/);
    expect(out).toMatch(/-> failed \(FAILED\): exited with code 2/);
    expect(out).toContain('both jobs have ended');
  });
});
