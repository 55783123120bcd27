/**
 * Delayed start end to end on the real Docker engine: a job submitted to begin
 * in 2 s waits with a reason a person reads, then starts within about a second
 * of its time. The periodic tick is 30 s here, so only the runtime's begin-time
 * timer can start it that soon.
 */
import type { Explanation, Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { logsOf, startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

async function submit(who: Caller, body: Record<string, unknown>): Promise<Job> {
  const r = await who.call<Job>('POST', '/api/v1/jobs', body);
  if (r.status !== 201) throw new Error(`submit: ${r.status} ${r.text}`);
  return r.body;
}

/** The explanation once the engine has looked at the job (a pass follows the submit closely, not at once). */
async function explainOnceScheduled(who: Caller, id: number): Promise<Explanation> {
  for (;;) {
    const e = (await who.call<Explanation>('GET', `/api/v1/jobs/${id}/explain`)).body;
    if (e.code !== 'Pending') return e;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function placedAt(job: Job): number {
  const running = job.status.history.find((h) => h.state === 'running');
  return Date.parse(running?.at ?? '');
}

describe('begin time on the real Docker engine', () => {
  let t: TestDaemon;
  let alice: Caller;

  beforeAll(async () => {
    t = await startTestDaemon('docker', { scheduler: { tickSeconds: 30, reconcileSeconds: 30 } });
    alice = await t.addUser('alice', 2001);
  });
  afterAll(async () => t?.stop());

  it('keeps a job pending with its reason until its begin time, then starts it at once', async () => {
    const beginMs = Date.now() + 2000;
    const beginAt = new Date(beginMs).toISOString();
    const job = await submit(alice, { command: { script: 'echo began' }, beginAt });
    expect(job.beginAt).toBe(beginAt);

    const why = await explainOnceScheduled(alice, job.id);
    expect(why.code).toBe('BeginTime');
    const shownTime = beginAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    expect(why.message).toMatch(new RegExp(`^waits for its begin time ${shownTime}, in [12]s$`));
    const shown = (await alice.call<Job>('GET', `/api/v1/jobs/${job.id}`)).body;
    expect(shown.status.state).toBe('pending');
    expect(shown.status.reason).toBe(why.message);
    expect(shown.beginAt).toBe(beginAt);

    const done = await waitJob(alice, job.id, 'terminated', 10);
    expect(done.status.state).toBe('done');
    expect(await logsOf(alice, job.id)).toBe('began\n');
    const placed = placedAt(done);
    expect(placed).toBeGreaterThanOrEqual(beginMs);
    expect(placed - beginMs).toBeLessThan(1500);
  });

  it('starts a job whose begin time has passed as if it had none', async () => {
    const beginAt = '2020-01-01T00:00:00+01:00';
    const job = await submit(alice, { command: { script: 'true' }, beginAt });
    expect(job.beginAt).toBe('2019-12-31T23:00:00.000Z');
    const started = await waitJob(alice, job.id, 'started', 30);
    expect(placedAt(started) - Date.parse(job.status.submittedAt)).toBeLessThan(1500);
  });

  it.each(['tomorrow', '2030-01-01T10:00:00', '2030-02-30T10:00:00Z'])(
    'refuses beginAt %j, saying what it takes',
    async (beginAt) => {
      const r = await alice.call<{ error: { code: string; field: string; message: string } }>('POST', '/api/v1/jobs', {
        command: { script: 'true' },
        beginAt,
      });
      expect(r.status).toBe(400);
      expect(r.body.error.field).toBe('beginAt');
      expect(r.body.error.message).toContain('ISO 8601 timestamp with a zone');
    },
  );
});
