/**
 * Actions an executor cannot do are refused, 409 GOD_NOT_SUPPORTED naming the executor and
 * the action, before anything is done. Swarm cannot pause a service and no Swarm executor
 * runs here yet, so the executor that lacks suspend is a TEST DOUBLE: the real local executor
 * with `suspend` taken out of its features (every call still goes to the real one). The
 * local executor itself hands out no GPUs: a GPU job is refused at submit on it as it is.
 */

import { createLocalExecutor } from '@godocker/plugins';
import type { Executor, ExecutorFeatures, Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

type ErrorReply = { error: { code: string; message: string } };

/** TEST DOUBLE: the local executor, saying it cannot suspend (as Swarm will). */
function withoutSuspend(real: Executor): Executor {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'features') return (): ExecutorFeatures => ({ ...target.features(), suspend: false });
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('executor features', () => {
  let t: TestDaemon;
  let alice: Caller;
  beforeAll(async () => {
    t = await startTestDaemon('local', {}, undefined, async (context) =>
      withoutSuspend(await createLocalExecutor({ capacity: { cpu: 8, ram: 8192, gpus: 2 } }, context)),
    );
    alice = await t.addUser('alice', 2001);
  });
  afterAll(async () => t?.stop());

  it('refuses suspend and resume on an executor without them, before anything is done', async () => {
    const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 2' } });
    await waitJob(alice, s.body.id, 'started');
    for (const action of ['suspend', 'resume'] as const) {
      const r = await alice.call<ErrorReply>('POST', `/api/v1/jobs/${s.body.id}/actions`, { action });
      expect([r.status, r.body.error.code]).toEqual([409, 'GOD_NOT_SUPPORTED']);
      expect(r.body.error.message).toBe(`the local executor cannot ${action} jobs`);
    }
    // Nothing was done: the job ran on and ended by itself.
    const done = await waitJob(alice, s.body.id);
    expect([done.status.state, done.status.history.map((h) => h.state)]).toEqual(['done', ['pending', 'running', 'done']]);
  });

  it('refuses a GPU job at submit on an executor that hands out no GPUs, even with GPUs in its capacity', async () => {
    const r = await alice.call<ErrorReply>('POST', '/api/v1/jobs', { command: { script: 'true' }, requirements: { gpus: 1 } });
    expect([r.status, r.body.error.code, r.body.error.message]).toEqual([
      409,
      'GOD_NOT_SUPPORTED',
      'the local executor cannot give jobs GPUs',
    ]);
    const jobs = await alice.call<{ jobs: Job[] }>('GET', '/api/v1/jobs');
    expect(jobs.body.jobs.filter((j) => j.requirements.gpus > 0)).toEqual([]);
  });
});
