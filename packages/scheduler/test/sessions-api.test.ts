/**
 * Job sessions through the REST API, as raw HTTP, against a daemon running its
 * jobs on the real Docker engine: the routes the SDK's DRMAA layers and
 * libdrmaa stand on.
 */
import type { Job, JobEvent, JobList, Session, SessionWaitResult } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller, Reply } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

let t: TestDaemon;
let alice: Caller;
let bob: Caller;

beforeAll(async () => {
  t = await startTestDaemon('docker', { scheduler: { tickSeconds: 0.5 } });
  alice = await t.addUser('alice', 2001, 2002);
  bob = await t.addUser('bob', 2003, 2003);
});

afterAll(async () => {
  await t?.stop();
});

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${Date.now() % 1e7}-${++counter}`;

async function newSession(who: Caller, name = uniqueName('s')): Promise<Session> {
  const r = await who.call<Session>('POST', '/api/v1/sessions', { name });
  expect(r.status).toBe(201);
  return r.body;
}

async function submit(who: Caller, body: Record<string, unknown>): Promise<Job> {
  const r = await who.call<Job>('POST', '/api/v1/jobs', body);
  if (r.status !== 201) throw new Error(`submit failed: ${r.status} ${r.text}`);
  return r.body;
}

function wait(who: Caller, session: string, body: Record<string, unknown>): Promise<Reply<SessionWaitResult>> {
  return who.call<SessionWaitResult>('POST', `/api/v1/sessions/${session}/wait`, body);
}

function errorOf(r: Reply): { code: string; message: string; field?: string } {
  return (r.body as { error: { code: string; message: string; field?: string } }).error;
}

describe('sessions API', () => {
  it('creates a session (a name is generated when none is given), refuses a taken name, lists and gets the caller’s own', async () => {
    const named = await newSession(alice, uniqueName('mine'));
    expect(named).toMatchObject({ user: 'alice', kind: 'drmaa2' });
    expect(Date.parse(named.createdAt)).not.toBeNaN();
    const generated = await alice.call<Session>('POST', '/api/v1/sessions', { kind: 'drmaa1' });
    expect(generated.status).toBe(201);
    expect(generated.body.name).toMatch(/^session-[0-9a-f]{12}$/);
    expect(generated.body.kind).toBe('drmaa1');

    const again = await alice.call('POST', '/api/v1/sessions', { name: named.name });
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: 'GOD_CONFLICT', field: 'name' });
    // Sessions are per user: bob may have one of the same name.
    expect((await bob.call('POST', '/api/v1/sessions', { name: named.name })).status).toBe(201);

    const list = await alice.call<{ sessions: Session[] }>('GET', '/api/v1/sessions');
    expect(list.body.sessions.map((s) => s.name)).toEqual(expect.arrayContaining([named.name, generated.body.name]));
    expect(list.body.sessions.every((s) => s.user === 'alice')).toBe(true);
    expect((await alice.call<Session>('GET', `/api/v1/sessions/${named.name}`)).body).toEqual(named);
    const missing = await alice.call('GET', '/api/v1/sessions/nope');
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe('GOD_SESSION_NOT_FOUND');
    expect((await alice.call('POST', '/api/v1/sessions', { name: 'bad name!' })).status).toBe(400);
  });

  it('refuses a submission naming a session the caller does not have, naming the field', async () => {
    const bobs = await newSession(bob);
    for (const session of ['nope', bobs.name]) {
      const r = await alice.call('POST', '/api/v1/jobs', { command: { script: 'true' }, session });
      expect(r.status).toBe(400);
      expect(errorOf(r)).toMatchObject({ code: 'GOD_INVALID_REQUEST', field: 'session' });
    }
  });

  it('waits on SESSION_ANY and reaps one job per wait; a second wait on it is 404; then "no job left"', async () => {
    const s = await newSession(alice);
    const quick = await submit(alice, { command: { script: 'exit 3' }, session: s.name });
    const slow = await submit(alice, { command: { script: 'sleep 60' }, session: s.name });

    const first = await wait(alice, s.name, { mode: 'any', reap: true, timeout: 60 });
    expect(first.status).toBe(200);
    expect(first.body.timedOut).toBe(false);
    expect(first.body.reaped).toEqual([quick.id]);
    expect(first.body.ready.find((j) => j.id === quick.id)?.status.exitCode).toBe(3);

    const twice = await wait(alice, s.name, { ids: [quick.id], mode: 'any', reap: true, timeout: 0 });
    expect(twice.status).toBe(404);
    expect(errorOf(twice).code).toBe('GOD_JOB_NOT_FOUND');
    // The record stays: a reaped job is still a job.
    expect((await alice.call<Job>('GET', `/api/v1/jobs/${quick.id}`)).body.status.state).toBe('failed');

    // Zero timeout: the slow job is not over; nothing is reaped.
    const none = await wait(alice, s.name, { mode: 'any', reap: true, timeout: 0 });
    expect(none.body).toMatchObject({ timedOut: true, reaped: [] });
    await waitJob(alice, slow.id, 'started');
    await alice.call('POST', `/api/v1/jobs/${slow.id}/actions`, { action: 'kill' });
    const second = await wait(alice, s.name, { mode: 'any', reap: true, timeout: 60 });
    expect(second.body.reaped).toEqual([slow.id]);

    const empty = await wait(alice, s.name, { mode: 'any', reap: true, timeout: 60 });
    expect(empty.status).toBe(404);
    expect(errorOf(empty).code).toBe('GOD_JOB_NOT_FOUND');
    expect(errorOf(empty).message).toMatch(/has no job left to wait for/);
    // Synchronize (mode all) on a session with nothing left succeeds at once.
    expect((await wait(alice, s.name, { mode: 'all', reap: true, timeout: 60 })).body).toEqual({
      ready: [],
      readyIds: [],
      timedOut: false,
      reaped: [],
      unknown: [],
      info: [],
    });
  });

  it('times out after the timeout given (an answer, not an error), and waits for started', async () => {
    const s = await newSession(alice);
    const held = await submit(alice, { command: { script: 'true' }, session: s.name, hold: true });
    const t0 = Date.now();
    const r = await wait(alice, s.name, { ids: [held.id], mode: 'all', timeout: 1 });
    expect(r.body.timedOut).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const bad = await wait(alice, s.name, { mode: 'any', for: 'started', reap: true });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).field).toBe('reap');
    await alice.call('POST', `/api/v1/jobs/${held.id}/actions`, { action: 'release' });
    const started = await wait(alice, s.name, { mode: 'any', for: 'started', timeout: 60 });
    expect(started.body.timedOut).toBe(false);
    expect(started.body.ready.map((j) => j.id)).toEqual([held.id]);
  });

  it('synchronizes on all, skipping unknown ids when asked, and reaps them all (dispose)', async () => {
    const s = await newSession(alice);
    const a = await submit(alice, { command: { script: 'true' }, session: s.name });
    const elsewhere = await submit(alice, { command: { script: 'true' } });
    const strict = await wait(alice, s.name, { ids: [a.id, elsewhere.id], mode: 'all', timeout: 60 });
    expect(strict.status).toBe(404);
    expect(errorOf(strict).message).toContain(`job ${elsewhere.id} is not a job of session`);
    const r = await wait(alice, s.name, {
      ids: [a.id, elsewhere.id, 999_999],
      mode: 'all',
      reap: true,
      skipUnknown: true,
      timeout: 60,
    });
    expect(r.body).toMatchObject({ timedOut: false, reaped: [a.id], unknown: [elsewhere.id, 999_999] });
    // A job submitted outside the session is still a job anyone may query by id.
    expect((await waitJob(alice, elsewhere.id)).status.state).toBe('done');
  });

  it('lists a session’s jobs by reaped mark, without array parents when asked', async () => {
    const s = await newSession(alice);
    const single = await submit(alice, { command: { script: 'true' }, session: s.name });
    const parent = await submit(alice, { command: { script: 'true' }, session: s.name, array: '1-2', hold: true });
    await waitJob(alice, single.id);
    await wait(alice, s.name, { ids: [single.id], mode: 'all', reap: true, timeout: 60 });
    const list = async (query: string) =>
      (await alice.call<JobList>('GET', `/api/v1/jobs?session=${s.name}&${query}`)).body.jobs.map((j) => j.id);
    expect(await list('reaped=true')).toEqual([single.id]);
    expect(await list('reaped=false')).toEqual([parent.id + 2, parent.id + 1, parent.id]);
    expect(await list('reaped=false&arrayParents=false')).toEqual([parent.id + 2, parent.id + 1]);
    await alice.call('POST', `/api/v1/jobs/${parent.id}/actions`, { action: 'kill' });
  });

  it('streams only the session’s job events with ?session=', async () => {
    const s = await newSession(alice);
    const controller = new AbortController();
    const seen: JobEvent[] = [];
    const res = await fetch(`${t.url}/api/v1/events?session=${s.name}`, {
      headers: { authorization: `Bearer ${alice.token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const outside = await submit(alice, { command: { script: 'true' } });
    const inside = await submit(alice, { command: { script: 'true' }, session: s.name });
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!seen.some((e) => e.job.id === inside.id && e.job.status.state === 'done')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      const blocks = text.split('\n\n');
      text = blocks.pop() ?? '';
      for (const block of blocks) {
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) seen.push(JSON.parse(data.slice(6)) as JobEvent);
      }
    }
    controller.abort();
    await reader.cancel().catch(() => undefined);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.job.session === s.name)).toBe(true);
    expect(seen.some((e) => e.job.id === outside.id)).toBe(false);
  });

  it("answers 404 for the events of another user's session, as for one that never was", async () => {
    const s = await newSession(alice);
    for (const [who, name] of [
      [bob, s.name],
      [alice, 'no-such-session'],
    ] as const) {
      const r = await who.call<{ error: { code: string } }>('GET', `/api/v1/events?session=${name}`);
      expect([r.status, r.body.error.code]).toEqual([404, 'GOD_SESSION_NOT_FOUND']);
    }
  });

  it('deletes a session: its running job keeps running, in no session, and waits on the session are 404', async () => {
    const s = await newSession(alice);
    const job = await submit(alice, { command: { script: 'sleep 2' }, session: s.name });
    await waitJob(alice, job.id, 'started');
    expect((await alice.call('DELETE', `/api/v1/sessions/${s.name}`)).status).toBe(204);
    expect((await alice.call('GET', `/api/v1/sessions/${s.name}`)).status).toBe(404);
    const running = (await alice.call<Job>('GET', `/api/v1/jobs/${job.id}`)).body;
    expect(running.status.state).toBe('running');
    expect(running.session).toBeNull();
    expect((await waitJob(alice, job.id)).status.state).toBe('done');
    const gone = await wait(alice, s.name, { mode: 'any', timeout: 0 });
    expect(errorOf(gone).code).toBe('GOD_SESSION_NOT_FOUND');
    expect((await alice.call('DELETE', `/api/v1/sessions/${s.name}`)).status).toBe(404);
    // A new session of the same name starts empty.
    await newSession(alice, s.name);
    expect((await wait(alice, s.name, { mode: 'any', timeout: 0 })).status).toBe(404);
  });

  it('documents the session routes in the OpenAPI document', async () => {
    const doc = (await alice.call<{ paths: Record<string, Record<string, { summary?: string }>> }>('GET', '/api/v1/openapi.json'))
      .body;
    expect(doc.paths['/api/v1/sessions']?.post?.summary).toMatch(/session/i);
    expect(doc.paths['/api/v1/sessions']?.get?.summary).toBeTruthy();
    expect(doc.paths['/api/v1/sessions/{name}']?.get?.summary).toBeTruthy();
    expect(doc.paths['/api/v1/sessions/{name}']?.delete?.summary).toBeTruthy();
    expect(doc.paths['/api/v1/sessions/{name}/wait']?.post?.summary).toMatch(/DRMAA wait/);
  });
});
