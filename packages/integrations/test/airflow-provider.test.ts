/**
 * airflow-provider-godocker's pytest suite in Apache Airflow's own venv, against a live daemon:
 * a three-task DAG with a failure branch through dag.test(); then a running Airflow (API server,
 * scheduler with one LocalExecutor slot, DAG processor, triggerer) where marking a task failed
 * kills its GoDocker job and a deferrable task gives its slot back while its job runs.
 */
import { describe, expect, it } from 'vitest';
import { runPytest } from './helpers/pytest-run.js';

describe('Airflow provider', () => {
  it('passes its pytest suite in Airflow against a live daemon', async () => {
    const run = await runPytest({
      venv: 'airflow',
      packages: ['python-client', 'testing', 'airflow-provider'],
      testsOf: 'airflow-provider',
      timeoutMs: 1_200_000,
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/\d+ passed/);
  }, 1_500_000);
});
