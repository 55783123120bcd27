/**
 * godocker-fireworks' pytest suite: qlaunch submits rocket launchers as GoDocker jobs (a
 * three-Firework workflow with dependencies ends COMPLETED; a launcher that dies is FIZZLED with
 * its job's exit code), and GoDockerTask runs a command as a job (a failure FIZZLES with the exit
 * code). A live daemon with the docker executor, the LaunchPad on FerretDB (127.0.0.1:27017).
 */
import { describe, expect, it } from 'vitest';
import { runPytest } from './helpers/pytest-run.js';
import { pythonImage } from './helpers/python-image.js';

describe('FireWorks on GoDocker', () => {
  it('passes its pytest suite against a live daemon and FerretDB', async () => {
    // rlaunch runs in the job: FireWorks from the tests' venv, and this checkout's packages.
    const image = await pythonImage('fireworks', 'local/godocker-fireworks:test', ['python-client', 'fireworks']);
    const run = await runPytest({
      venv: 'fireworks',
      packages: ['python-client', 'testing', 'fireworks'],
      testsOf: 'fireworks',
      env: { GODOCKER_FIREWORKS_IMAGE: image },
      timeoutMs: 900_000,
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/\d+ passed/);
  }, 1_800_000);
});
