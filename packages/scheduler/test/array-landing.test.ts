import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Job, JobList } from '@godocker/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { type Caller, caller } from './helpers/api-caller.js';
import { daemonsOnOneFolder } from './helpers/child-daemon.js';
import { ADMIN_TOKEN, startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

const TASKS = 100_000;

/** Polls the parent until every task exists; `seen` collects the counts of tasks it saw on the way. */
async function untilLanded(who: Caller, id: number, timeoutMs: number, seen = new Set<number>()): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await who.call<Job>('GET', `/api/v1/jobs/${id}`);
    expect(r.status).toBe(200);
    const array = r.body.array;
    if (array?.created !== undefined) seen.add(array.created);
    if (array && array.created === array.count) return r.body;
    if (Date.now() > deadline) throw new Error(`array ${id} still has ${array?.created} of ${array?.count} tasks`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every task index of the array, read page by page (ids descending). */
async function taskIndexes(who: Caller, parent: number): Promise<number[]> {
  const indexes: number[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: JobList } = await who.call<JobList>(
      'GET',
      `/api/v1/jobs?parent=${parent}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
    );
    for (const j of page.body.jobs) indexes.push(j.taskIndex ?? -1);
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return indexes.sort((a, b) => a - b);
}

function expectEveryIndexOnce(indexes: number[]): void {
  expect(indexes.length).toBe(TASKS);
  expect(indexes[0]).toBe(1);
  expect(indexes.at(-1)).toBe(TASKS);
  expect(new Set(indexes).size).toBe(TASKS);
}

describe(`a ${TASKS.toLocaleString('en')}-task array`, () => {
  let t: TestDaemon | undefined;
  afterAll(async () => t?.stop());

  it('is answered with its parent while its tasks land, and never holds the event loop long', async () => {
    t = await startTestDaemon('local');
    const daemon = t;
    // The daemon runs in this process: the delay measured is the one its requests see.
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const started = Date.now();
    const r = await daemon.admin.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'echo $GODOCKER_TASK_ID' },
      array: `1-${TASKS}`,
      hold: true,
    });
    const answeredMs = Date.now() - started;
    expect(r.status).toBe(202);
    expect(r.body.array?.count).toBe(TASKS);
    expect(r.body.array?.created).toBeLessThan(TASKS);
    const seen = new Set<number>();
    const parent = await untilLanded(daemon.admin, r.body.id, 120_000, seen);
    loop.disable();
    const stallMs = loop.max / 1e6;
    // The daemon kept answering while the tasks landed: polls every 200 ms saw them come in.
    expect(seen.size).toBeGreaterThanOrEqual(5);
    // The goal is 50 ms, and bench/array-submit.ts measures it against plain HTTP in the same
    // run. Here, on a machine shared by test runs, being descheduled alone shows as stalls of
    // up to a second or more; storing the array in one transaction stalls for 4 s on a quiet
    // machine, several times that on a loaded one.
    expect(stallMs, `longest event-loop stall ${stallMs.toFixed(0)} ms`).toBeLessThan(2500);
    expect(answeredMs).toBeLessThan(2000);
    expect(parent.array?.tasks).toEqual({ held: TASKS });
    expect(parent.status.state).toBe('held');
    expectEveryIndexOnce(await taskIndexes(daemon.admin, parent.id));
  }, 180_000);
});

describe(`kill -9 while a ${TASKS.toLocaleString('en')}-task array lands`, () => {
  const daemons = daemonsOnOneFolder('godocker-landing-');

  it('finishes the array after the restart: every task once, none lost', async () => {
    const first = await daemons.start();
    const r = await caller(first.url, ADMIN_TOKEN).call<Job>(
      'POST',
      '/api/v1/jobs',
      { command: { script: 'true' }, array: `1-${TASKS}`, hold: true },
      { 'idempotency-key': 'big-array' },
    );
    expect(r.status).toBe(202);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await daemons.start();
    const admin = caller(second.url, ADMIN_TOKEN);
    const before = await admin.call<Job>('GET', `/api/v1/jobs/${r.body.id}`);
    // The crash came while tasks were landing: the parent says how many exist.
    expect(before.body.array?.created).toBeLessThan(TASKS);
    const parent = await untilLanded(admin, r.body.id, 120_000);
    expect(parent.array?.tasks).toEqual({ held: TASKS });
    expectEveryIndexOnce(await taskIndexes(admin, parent.id));
    // A retry of the submit gets the same array, not a second one.
    const retry = await admin.call<Job>(
      'POST',
      '/api/v1/jobs',
      { command: { script: 'true' }, array: `1-${TASKS}`, hold: true },
      { 'idempotency-key': 'big-array' },
    );
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(parent.id);
  }, 300_000);
});
