/**
 * An array's parent, as clients follow it: the store moves its counts and state
 * with each task, and the daemon publishes it (once for the changes of one turn
 * of the event loop) with the state it was last published in, up to its end.
 */
import { GodockerClient, type Job, type JobEvent } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

describe('array parent events', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon('local');
  });
  afterAll(async () => t?.stop());

  /** The events of job `id` from subscription until it ends, and the job as stored then. */
  async function follow(submit: () => Promise<Job>): Promise<{ events: JobEvent[]; job: Job }> {
    const client = new GodockerClient({ url: t.url, token: ADMIN_TOKEN });
    const controller = new AbortController();
    let connected: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const seen: JobEvent[] = [];
    let id = -1;
    const reading = (async () => {
      for await (const event of client.events({ signal: controller.signal, onConnect: () => connected() })) {
        seen.push(event);
        if (event.job.id === id && (event.job.status.state === 'done' || event.job.status.state === 'failed')) return;
      }
    })().catch((e: unknown) => {
      if (!controller.signal.aborted) throw e;
    });
    await ready;
    const parent = await submit();
    id = parent.id;
    const job = await waitJob(t.admin, id, 'terminated', 60);
    await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    controller.abort();
    return { events: seen.filter((e) => e.job.id === id), job };
  }

  it('publishes the parent from submit to end, each event from the state the last one left', async () => {
    const { events, job } = await follow(async () => {
      const r = await t.admin.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, array: '1-5' });
      expect(r.status).toBe(201);
      return r.body;
    });
    expect(job.status).toMatchObject({ state: 'done', reason: 'all tasks done: 5 done' });
    expect(job.array?.tasks).toEqual({ done: 5 });
    expect(events[0]?.previousState).toBeNull();
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.previousState, `event ${i}`).toBe(events[i - 1]?.job.status.state);
    }
    const last = events.at(-1)?.job;
    expect(last?.status.state).toBe('done');
    expect(last?.array?.tasks).toEqual({ done: 5 });
    expect(last?.status.endedAt).toBe(job.status.endedAt);
    expect(job.status.startedAt).not.toBeNull();
    expect(job.status.history.at(-1)).toMatchObject({ state: 'done', reason: 'all tasks done: 5 done' });
  });

  it('ends a killed array failed, counting every task, when its tasks were held, released and killed', async () => {
    const { events, job } = await follow(async () => {
      const r = await t.admin.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 300' }, array: '1-4', hold: true });
      const held = await t.admin.call<Job>('POST', `/api/v1/jobs/${r.body.id}/actions`, { action: 'release' });
      // The parent answered is the one stored: it moved with its tasks already.
      expect(held.body.status.state).not.toBe('held');
      expect(held.body.array?.tasks).toEqual({ pending: 4 });
      await waitJob(t.admin, r.body.id, 'started');
      const killed = await t.admin.call<Job>('POST', `/api/v1/jobs/${r.body.id}/actions`, { action: 'kill' });
      expect(killed.status).toBe(200);
      return r.body;
    });
    expect(job.status).toMatchObject({ state: 'failed', reason: 'some tasks failed: 4 failed' });
    expect(job.array?.tasks).toEqual({ failed: 4 });
    expect(events.map((e) => e.job.status.state)).toContain('running');
    expect(events.at(-1)?.job.array?.tasks).toEqual({ failed: 4 });
  });
});
