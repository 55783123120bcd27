import type { Job, JobList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, caller, type Reply } from './helpers/api-caller.js';
import { daemonsOnOneFolder } from './helpers/child-daemon.js';
import { ADMIN_TOKEN, startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

const CLIENTS = 16;

interface Submit {
  name: string;
  key: string;
}

type ErrorBody = { error: { code: string; message: string; field?: string } };

function submit(who: Caller, s: Submit): Promise<Reply<Job & ErrorBody>> {
  return who.call<Job & ErrorBody>(
    'POST',
    '/api/v1/jobs',
    { command: { script: 'true' }, meta: { name: s.name }, hold: true },
    { 'idempotency-key': s.key },
  );
}

/** Runs each client's submits one after the other, all clients at once; replies in the same shape. */
function clients<T>(lists: readonly (readonly Submit[])[], send: (s: Submit) => Promise<T>): Promise<T[][]> {
  return Promise.all(
    lists.map(async (list) => {
      const replies: T[] = [];
      for (const s of list) replies.push(await send(s));
      return replies;
    }),
  );
}

/** Every job of the caller's, through all pages. */
async function allJobs(who: Caller): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | null = null;
  do {
    const page: Reply<JobList> = await who.call<JobList>('GET', `/api/v1/jobs?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    jobs.push(...page.body.jobs);
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return jobs;
}

describe(`${CLIENTS} clients submitting at once`, () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon('local');
  });
  afterAll(async () => t?.stop());

  it('answers each submit on its own: its job, a retry the first answer, a reused key 422', async () => {
    const alice = await t.addUser('alice', 2001);
    const PER_CLIENT = 20;
    // Client c sends its own jobs; pairs of clients also race on shared keys: the same
    // body twice (one creates, the other is its retry) and two bodies (one is a reuse).
    const lists = Array.from({ length: CLIENTS }, (_, c) => {
      const list: Submit[] = [];
      for (let i = 0; i < PER_CLIENT; i++) {
        list.push({ name: `own-${c}-${i}`, key: `own-${c}-${i}` });
        if (i % 5 === 2) list.push({ name: `same-${c >> 1}-${i}`, key: `same-${c >> 1}-${i}` });
        if (i % 5 === 4) list.push({ name: `reuse-${c >> 1}-${i}-${c % 2}`, key: `reuse-${c >> 1}-${i}` });
      }
      return list;
    });
    const sent = lists.flat();
    const replies = (await clients(lists, (s) => submit(alice, s).then((r) => ({ s, r })))).flat();

    for (const { s, r } of replies.filter(({ s }) => s.key.startsWith('own-'))) {
      expect(r.status, r.text).toBe(201);
      expect(r.body.meta.name).toBe(s.name);
    }
    const byKey = new Map<string, Reply<Job & ErrorBody>[]>();
    for (const { s, r } of replies) byKey.set(s.key, [...(byKey.get(s.key) ?? []), r]);
    for (const [key, rs] of byKey) {
      if (key.startsWith('same-')) {
        expect(rs.map((r) => r.status).sort()).toEqual([200, 201]);
        expect(rs[0]?.body.id).toBe(rs[1]?.body.id);
      } else if (key.startsWith('reuse-')) {
        expect(rs.map((r) => r.status).sort()).toEqual([201, 422]);
        expect(rs.find((r) => r.status === 422)?.body.error.code).toBe('GOD_IDEMPOTENCY_KEY_REUSED');
      }
    }

    // The store holds exactly one job per key, each as it was answered.
    const stored = await allJobs(alice);
    expect(stored).toHaveLength(byKey.size);
    expect(new Set(stored.map((j) => j.id)).size).toBe(byKey.size);
    const storedById = new Map(stored.map((j) => [j.id, j]));
    for (const { r } of replies.filter(({ r }) => r.status === 201)) {
      expect(storedById.get(r.body.id)).toEqual(r.body);
    }
    expect(sent.length).toBeGreaterThan(byKey.size);
  }, 60_000);

  it('answers a retry with the first job even when the submit would now be refused', async () => {
    const carol = await t.addUser('carol', 2003);
    expect((await t.admin.call('POST', '/api/v1/projects', { name: 'lab', shares: 1 })).status).toBe(201);
    expect((await t.admin.call('POST', '/api/v1/projects/lab/members', { user: 'carol' })).status).toBe(201);
    const body = { command: { script: 'true' }, project: 'lab', hold: true };
    const first = await carol.call<Job>('POST', '/api/v1/jobs', body, { 'idempotency-key': 'lab-1' });
    expect(first.status).toBe(201);
    expect((await t.admin.call('DELETE', '/api/v1/projects/lab/members/carol')).status).toBe(200);
    const retry = await carol.call<Job>('POST', '/api/v1/jobs', body, { 'idempotency-key': 'lab-1' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    const fresh = await carol.call<ErrorBody>('POST', '/api/v1/jobs', body, { 'idempotency-key': 'lab-2' });
    expect(fresh.status).toBe(403);
    expect(fresh.body.error.message).toMatch(/not a member of project "lab"/);
  });

  it('lets no more jobs wait than the pending-jobs quota allows, whoever races for the last place', async () => {
    const bob = await t.addUser('bob', 2002);
    await t.admin.call('PATCH', '/api/v1/users/bob', { quota: { pendingJobs: 5 } });
    const lists = Array.from({ length: CLIENTS }, (_, c) => [
      { name: `quota-${c}-a`, key: `quota-${c}-a` },
      { name: `quota-${c}-b`, key: `quota-${c}-b` },
    ]);
    const replies = (await clients(lists, (s) => submit(bob, s))).flat();
    expect(replies.filter((r) => r.status === 201)).toHaveLength(5);
    const refused = replies.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(2 * CLIENTS - 5);
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.body.error).toMatchObject({ code: 'GOD_QUOTA_EXCEEDED', field: 'quota.pendingJobs' });
      expect(r.body.error.message).toMatch(/^user bob has 5 jobs waiting; the quota allows 5/);
    }
    expect(await allJobs(bob)).toHaveLength(5);
  }, 60_000);
});

describe('kill -9 while submits are being committed', () => {
  const daemons = daemonsOnOneFolder('godocker-group-commit-');

  it('keeps every submit it answered; a retry of the others stores each once', async () => {
    const first = await daemons.start();
    const before = caller(first.url, ADMIN_TOKEN);
    const answered = new Map<string, Job>();
    const unanswered: Submit[] = [];
    let killed = false;
    // Clients submit until the daemon dies under them; it dies once a few hundred are answered.
    const running = Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; ; i++) {
          const s = { name: `crash-${c}-${i}`, key: `crash-${c}-${i}` };
          try {
            const r = await submit(before, s);
            if (r.status !== 201) throw new Error(`submit answered ${r.status}: ${r.text}`);
            answered.set(s.key, r.body);
          } catch (e) {
            if (!killed) throw e;
            unanswered.push(s);
            return;
          }
          if (answered.size >= 300 && !killed) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        }
      }),
    );
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    await running;
    await exited;
    expect(answered.size).toBeGreaterThanOrEqual(300);

    const second = await daemons.start();
    const after = caller(second.url, ADMIN_TOKEN);
    const stored = new Map((await allJobs(after)).map((j) => [j.id, j]));
    for (const job of answered.values()) expect(stored.get(job.id)).toEqual(job);
    // What was in flight may or may not have been stored: its retry tells, and never stores it twice.
    for (const s of unanswered) {
      const r = await submit(after, s);
      expect([200, 201]).toContain(r.status);
      expect(r.body.meta.name).toBe(s.name);
    }
    const all = await allJobs(after);
    expect(all).toHaveLength(answered.size + unanswered.length);
    expect(new Set(all.map((j) => j.meta.name)).size).toBe(all.length);
  }, 120_000);
});
