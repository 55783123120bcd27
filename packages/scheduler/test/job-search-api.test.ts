/**
 * `GET /jobs?q=`: a search over every job the caller may see, not one page of them,
 * with the other filters and the cursor; bad text is a 400 that says what is wrong.
 */
import type { Job, JobList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

describe('job search over the REST API', () => {
  let t: TestDaemon;
  let alice: Caller;
  let bob: Caller;
  let needle: Job;

  const submit = async (caller: Caller, name: string, tags: string[] = []) =>
    (await caller.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, meta: { name, tags }, hold: true })).body;
  const search = async (caller: Caller, query: string) => {
    const r = await caller.call<JobList>('GET', `/api/v1/jobs?${query}`);
    expect(r.status, r.text).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    t = await startTestDaemon('local');
    alice = await t.addUser('alice', 2101);
    bob = await t.addUser('bob', 2102);
    needle = await submit(alice, 'Needle-In-Haystack', ['Rare']);
    // Newer jobs than the needle: it is on no first page of 5.
    for (let i = 0; i < 12; i++) await submit(alice, `hay-${i}`);
    await submit(bob, 'bobs-needle');
  });
  afterAll(async () => t?.stop());

  it('finds a job that is not on the first page, in any case, by a part of its name or tag', async () => {
    const first = await search(alice, 'limit=5');
    expect(first.jobs.map((j) => j.id)).not.toContain(needle.id);
    expect((await search(alice, 'q=needle-in&limit=5')).jobs.map((j) => j.id)).toEqual([needle.id]);
    expect((await search(alice, 'q=rar')).jobs.map((j) => j.id)).toEqual([needle.id]);
    expect((await search(alice, `q=${needle.id}`)).jobs.map((j) => j.id)).toContain(needle.id);
  });

  it('pages a search with the cursor and keeps the other filters', async () => {
    const first = await search(alice, 'q=HAY-&limit=5&state=held');
    expect(first.jobs).toHaveLength(5);
    expect(first.nextCursor).not.toBeNull();
    const rest = await search(alice, `q=HAY-&limit=100&state=held&cursor=${first.nextCursor}`);
    expect([...first.jobs, ...rest.jobs].map((j) => j.meta.name).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `hay-${i}`).sort(),
    );
    expect((await search(alice, 'q=hay-&state=running')).jobs).toEqual([]);
  });

  it("searches only the caller's own jobs", async () => {
    expect((await search(bob, 'q=needle')).jobs.map((j) => j.meta.name)).toEqual(['bobs-needle']);
    expect((await search(bob, `q=${needle.id}`)).jobs.map((j) => j.id)).not.toContain(needle.id);
  });

  it('answers 400 naming query.q for control characters, empty or too long text', async () => {
    for (const [q, says] of [
      ['a%07b', 'control character U+0007'],
      ['tab%09here', 'control character U+0009'],
      ['', 'the search text is empty'],
      ['x'.repeat(201), 'too long: at most 200 characters'],
    ] as const) {
      const r = await alice.call<{ error: { code: string; message: string; field?: string } }>('GET', `/api/v1/jobs?q=${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('GOD_INVALID_REQUEST');
      expect(r.body.error.message).toContain(says);
      expect(r.body.error.field).toBe('query.q');
    }
  });
});
