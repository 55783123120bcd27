/**
 * snakemake-executor-plugin-godocker's pytest suite: `snakemake --executor godocker` runs a
 * three-rule workflow as GoDocker jobs with its threads, mem_mb and runtime mapped, and a failing
 * rule fails the run with its job's reason. A live daemon with the docker executor.
 */
import { describe, expect, it } from 'vitest';
import { runPytest } from './helpers/pytest-run.js';
import { pythonImage } from './helpers/python-image.js';

describe('Snakemake executor plugin for GoDocker', () => {
  it('passes its pytest suite against a live daemon', async () => {
    // The jobs run `python -m snakemake` of the tests' venv; the plugin itself runs on the host only.
    const image = await pythonImage('snakemake', 'local/godocker-snakemake:test');
    const run = await runPytest({
      venv: 'snakemake',
      packages: ['python-client', 'testing', 'snakemake-executor-plugin-godocker'],
      testsOf: 'snakemake-executor-plugin-godocker',
      env: { GODOCKER_SNAKEMAKE_IMAGE: image },
      timeoutMs: 900_000,
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/\d+ passed/);
  }, 1_800_000);
});
