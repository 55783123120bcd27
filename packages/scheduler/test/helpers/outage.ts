/**
 * What a user relies on when an executor's backend does not answer for a while under a queue of
 * jobs: no job fails for it, the jobs that were running end as they really ended, the queue runs
 * once the backend is back, and none runs twice. Shared by the outage tests of each executor; the
 * caller cuts and restores the path to the backend (plugins/test/helpers/tcp-cut.ts).
 */
import { readdirSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Job } from '@godocker/sdk';
import { expect } from 'vitest';
import type { Caller } from './api-caller.js';
import { tasksOf, until, waitJob } from './test-daemon.js';

export interface Outage {
  alice: Caller;
  /** A host folder mounted rw at /runs through the volume catalogue entry `runs`. */
  runs: string;
  tasks: number;
  seconds: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** What the wait reason of a job that could not start says of the backend. */
  unavailable: RegExp;
}

export async function expectOutageLosesNothing(o: Outage): Promise<void> {
  const { alice } = o;
  // mkdir fails on a second run of the same task, so a task run twice would end failed.
  const s = await alice.call<Job>('POST', '/api/v1/jobs', {
    command: { script: 'mkdir /runs/$GODOCKER_TASK_ID && sleep 3' },
    container: { volumes: [{ name: 'runs' }] },
    array: `1-${o.tasks}`,
  });
  expect(s.status, s.text).toBe(201);
  const parent = s.body.id;
  await until('some tasks running', 60, async () =>
    (await tasksOf(alice, parent)).some((j) => j.status.state === 'running') ? true : undefined,
  );

  const cutAt = Date.now();
  await o.cut();
  const waiting = await until('a task waiting for the executor', 20, async () => {
    const j = (await tasksOf(alice, parent)).find((x) => x.status.state === 'pending');
    if (!j) return undefined;
    const why = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${j.id}/explain`);
    return why.body.code === 'ExecutorUnavailable' ? why.body : undefined;
  });
  expect(waiting.message).toMatch(o.unavailable);
  while (Date.now() - cutAt < o.seconds * 1000) {
    const failed = (await tasksOf(alice, parent)).filter((j) => j.status.state === 'failed');
    expect(failed.map((j) => `${j.id}: ${j.status.reason}`)).toEqual([]);
    await delay(2_000);
  }
  await o.restore();

  const end = await waitJob(alice, parent, 'terminated', 240);
  const tasks = await tasksOf(alice, parent);
  expect(tasks.filter((j) => j.status.state !== 'done').map((j) => [j.id, j.status.reason])).toEqual([]);
  expect(tasks).toHaveLength(o.tasks);
  expect(end.status.state).toBe('done');
  expect(readdirSync(o.runs)).toHaveLength(o.tasks);
}
