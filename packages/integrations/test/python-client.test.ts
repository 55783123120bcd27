/**
 * The `godocker` Python client's own pytest suite, against a live daemon with the docker
 * executor (started by the godocker_testing fixtures): jobs, logs, waits, actions, sessions,
 * the asyncio client, and typed errors for a bad token and bad jobs.
 */
import { describe, expect, it } from 'vitest';
import { runPytest } from './helpers/pytest-run.js';

describe('godocker Python client', () => {
  it('passes its pytest suite against a live daemon', async () => {
    const run = await runPytest({
      venv: 'client',
      packages: ['python-client', 'testing'],
      testsOf: 'python-client',
      timeoutMs: 600_000,
    });
    // pytest's own report is the failure message: which test, which assertion.
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/\d+ passed/);
  }, 900_000);
});
