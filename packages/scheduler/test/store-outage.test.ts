/**
 * The MongoDB-wire server goes away for 10 s under a daemon with jobs queued and running
 * (a FerretDB of the test's own, killed -9 and started again on its data): the API answers
 * 503 with Retry-After meanwhile, nothing is half-written, and everything recovers without a
 * restart of the daemon: every job ends done, each ran once, a refused submit retried with
 * its key is stored once.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateFerretDB, startPrivateFerretDB } from './helpers/mongo.js';
import { startTestDaemon, type TestDaemon, until } from './helpers/test-daemon.js';

describe('the store does not answer for 10 s under a queue of jobs', () => {
  let server: PrivateFerretDB;
  let t: TestDaemon;
  let out: string;

  beforeAll(async () => {
    server = await startPrivateFerretDB();
    out = await mkdtemp(join(tmpdir(), 'godocker-store-outage-'));
    await chmod(out, 0o777);
    t = await startTestDaemon('local', {
      store: { type: 'mongodb', url: server.url, database: 'godocker' },
      executor: { options: { capacity: { cpu: 4, ram: 4096 } } },
      volumes: [{ name: 'out', hostPath: out, mode: 'rw' }],
    });
  }, 60_000);

  afterAll(async () => {
    await t?.stop().catch(() => undefined);
    await server?.destroy();
    await rm(out, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while it is away, then recovers without a restart: no job lost, none run twice', async () => {
    const alice = await t.addUser('alice', 2001);
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await alice.call<Job>('POST', '/api/v1/jobs', {
        command: { script: `echo $GODOCKER_JOB_ID >> ${out}/ran.log; sleep 1` },
        container: { volumes: [{ name: 'out' }] },
        requirements: { cpu: 0.5 },
      });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    await until('a job running', 30, async () => {
      const r = await alice.call<{ jobs: Job[] }>('GET', '/api/v1/jobs?state=running');
      return r.body.jobs.length > 0 ? true : undefined;
    });

    await server.kill();
    const down = Date.now();
    const list = await alice.call('GET', '/api/v1/jobs');
    expect(list.status).toBe(503);
    expect(list.headers.get('retry-after')).toBe('5');
    expect(list.text).toMatch(/GOD_UNAVAILABLE.*the store does not answer/);
    const refused = await alice.call(
      'POST',
      '/api/v1/jobs',
      { command: { script: 'echo late' } },
      { 'idempotency-key': 'during-outage' },
    );
    expect(refused.status).toBe(503);
    const left = 10_000 - (Date.now() - down);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    await server.start();

    // The same daemon, not restarted: it answers again, and the refused submit, sent again, is stored once.
    let last = 'no answer';
    const retried = await until('the API answering again', 60, async () => {
      const r = await alice
        .call<Job>('POST', '/api/v1/jobs', { command: { script: 'echo late' } }, { 'idempotency-key': 'during-outage' })
        .catch((e: unknown) => {
          last = String(e);
          throw e;
        });
      last = `${r.status} ${r.text.slice(0, 300)}`;
      return r.status === 201 || r.status === 200 ? r : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; its last answer: ${last}`);
    });
    const again = await alice.call<Job>(
      'POST',
      '/api/v1/jobs',
      { command: { script: 'echo late' } },
      { 'idempotency-key': 'during-outage' },
    );
    expect(again.body.id).toBe(retried.body.id);
    const all = await alice.call<{ ready: Job[]; timedOut: boolean }>('POST', '/api/v1/jobs/wait', {
      ids: [...ids, retried.body.id],
      mode: 'all',
      timeout: 120,
    });
    if (all.body.timedOut) {
      const now = await alice.call<{ jobs: Job[] }>('GET', '/api/v1/jobs?limit=100');
      const left = now.body.jobs
        .filter((j) => j.status.state !== 'done' && j.status.state !== 'failed')
        .map((j) => `job ${j.id}: ${j.status.state} ${JSON.stringify(j.status.history)}`);
      expect.fail(`not every job ended within 120 s of the store's return:\n${left.join('\n')}`);
    }
    for (const job of all.body.ready)
      expect(job.status.state, `job ${job.id}: ${JSON.stringify(job.status.history)}`).toBe('done');
    const ran = readFileSync(join(out, 'ran.log'), 'utf8')
      .trim()
      .split('\n')
      .map(Number)
      .sort((a, b) => a - b);
    const twice = ran.filter((id, i) => ran[i - 1] === id);
    const histories = all.body.ready
      .filter((j) => twice.includes(j.id))
      .map((j) => `job ${j.id}: ${JSON.stringify(j.status.history)}`);
    expect(ran, histories.join('\n')).toEqual([...ids].sort((a, b) => a - b));
    const late = await alice.call<{ jobs: Job[] }>('GET', '/api/v1/jobs?limit=100');
    expect(late.body.jobs.filter((j) => j.command.script === 'echo late')).toHaveLength(1);
  }, 240_000);
});
