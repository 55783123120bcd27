/**
 * The limits of uploads into a job's directory, and archiving of old jobs (the leader's timer and
 * `POST /admin/archive`), on a daemon with the local executor. A job's end is moved into the past
 * through the store itself (a second connection to the daemon's SQLite file), as a month going by would.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ArchiveResult, Job, JobFileList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Caller } from './helpers/api-caller.js';
import { logsOf, startTestDaemon, type TestDaemon, until } from './helpers/test-daemon.js';

const OCTETS = { 'content-type': 'application/octet-stream' };
const contentOf = (id: number, path: string) => `/api/v1/jobs/${id}/files/content?path=${encodeURIComponent(path)}`;
const DAY = 86_400_000;

let t: TestDaemon;
let alice: Caller;

beforeAll(async () => {
  t = await startTestDaemon('local', {
    limits: { maxUploadBytes: 1000, maxJobDirBytes: 2500 },
    // A timer a second apart: the leader archives on its own, no admin needed.
    archive: { afterDays: 30, intervalMinutes: 1 / 60 },
  });
  alice = await t.addUser('alice', 2001, 2002);
});
afterAll(async () => {
  await t?.stop();
});

/** Sets a job's end `days` ago, as the store has it. */
async function endedDaysAgo(id: number, days: number): Promise<void> {
  const store = SqliteStore.open(join(t.dataDir, 'godocker.db'));
  try {
    const at = new Date(Date.now() - days * DAY).toISOString();
    expect(await store.updateJob(id, { status: { endedAt: at } }, { states: ['done', 'failed'] })).not.toBeNull();
  } finally {
    await store.close();
  }
}

describe('upload limits', () => {
  it('refuses a file over limits.maxUploadBytes and a directory over limits.maxJobDirBytes (413), leaving nothing', async () => {
    const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, hold: true });
    const id = s.body.id;
    const big = await alice.raw<{ error: { code: string; message: string } }>(
      'PUT',
      contentOf(id, 'big'),
      'x'.repeat(1001),
      OCTETS,
    );
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'GOD_PAYLOAD_TOO_LARGE' });
    expect(big.body.error.message).toMatch(/1001 bytes.*1000 bytes.*limits\.maxUploadBytes/);
    expect((await alice.raw('PUT', contentOf(id, 'a'), 'x'.repeat(1000), OCTETS)).status).toBe(201);
    expect((await alice.raw('PUT', contentOf(id, 'b'), 'x'.repeat(1000), OCTETS)).status).toBe(201);
    const full = await alice.raw<{ error: { message: string } }>('PUT', contentOf(id, 'c'), 'x'.repeat(600), OCTETS);
    expect(full.status).toBe(413);
    expect(full.body.error.message).toMatch(/holds 2000 bytes and may hold 2500 \(limits\.maxJobDirBytes\)/);
    // A streamed body (no Content-Length) over the limit is cut and removed as well.
    const streamed = await fetch(`${t.url}${contentOf(id, 'streamed')}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${alice.token}`, ...OCTETS },
      body: new Blob(['y'.repeat(700)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(readdirSync(join(t.dataDir, 'jobs', String(id))).sort()).toEqual(['a', 'b']);
    await alice.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'kill' });
  });

  it('refuses an upload that is not application/octet-stream, and a folder as the target', async () => {
    const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, hold: true });
    const id = s.body.id;
    const json = await alice.raw<{ error: { message: string } }>('PUT', contentOf(id, 'x.json'), '{}', {
      'content-type': 'application/json',
    });
    expect([json.status, json.body.error.message]).toEqual([415, expect.stringMatching(/application\/octet-stream/)]);
    expect((await alice.raw('PUT', contentOf(id, 'in/x'), 'x', OCTETS)).status).toBe(201);
    const folder = await alice.raw<{ error: { message: string } }>('PUT', contentOf(id, 'in'), 'x', OCTETS);
    expect([folder.status, folder.body.error.message]).toEqual([400, expect.stringMatching(/"in" is a folder/)]);
    await alice.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'kill' });
  });
});

describe('archiving', () => {
  it('removes the directory of a job ended long ago, keeps its record and usage, and answers 410 for its files and logs', async () => {
    const old = await t.run(alice, { command: { script: 'echo old > "$GODOCKER_JOB_DIR/kept.txt"; echo old' } });
    const recent = await t.run(alice, { command: { script: 'echo recent' } });
    expect(await logsOf(alice, old.id)).toBe('old\n');
    expect((await alice.call('POST', '/api/v1/admin/archive', {})).status).toBe(403);

    await endedDaysAgo(old.id, 40);
    const now = await t.admin.call<ArchiveResult>('POST', '/api/v1/admin/archive', {});
    expect(now.status).toBe(200);
    expect(now.body).toEqual({ archived: [old.id], failed: [] });
    expect(existsSync(join(t.dataDir, 'jobs', String(old.id)))).toBe(false);
    expect(existsSync(join(t.dataDir, 'jobs', String(recent.id)))).toBe(true);

    const record = await alice.call<Job>('GET', `/api/v1/jobs/${old.id}`);
    expect(record.body.status.state).toBe('done');
    expect(record.body.status.archivedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(record.body.usage).toEqual(old.usage);
    for (const path of [
      `/api/v1/jobs/${old.id}/logs/stdout`,
      `/api/v1/jobs/${old.id}/files?path=`,
      contentOf(old.id, 'kept.txt'),
    ]) {
      const r = await alice.call<{ error: { code: string; message: string } }>('GET', path);
      expect(r.status).toBe(410);
      expect(r.body.error.code).toBe('GOD_JOB_ARCHIVED');
      expect(r.body.error.message).toMatch(new RegExp(`job ${old.id} was archived on \\d{4}-\\d\\d-\\d\\d`));
    }
    expect((await alice.raw('PUT', contentOf(old.id, 'late'), 'x', OCTETS)).status).toBe(410);
    // An age given by the admin: the recent one goes too.
    const all = await t.admin.call<ArchiveResult>('POST', '/api/v1/admin/archive', { olderThanSeconds: 0 });
    expect(all.body.archived).toContain(recent.id);
    expect(all.body.archived).not.toContain(old.id);
  });

  it('the leader archives on its own every archive.intervalMinutes', async () => {
    const job = await t.run(alice, { command: { script: 'echo x > "$GODOCKER_JOB_DIR/f"' } });
    const listed = await alice.call<JobFileList>('GET', `/api/v1/jobs/${job.id}/files?path=`);
    expect(listed.body.entries.map((e) => e.name)).toContain('f');
    await endedDaysAgo(job.id, 31);
    const archived = await until('the job archived by the timer', 20, async () => {
      const r = await alice.call<Job>('GET', `/api/v1/jobs/${job.id}`);
      return r.body.status.archivedAt;
    });
    expect(archived).toBeDefined();
    expect(existsSync(join(t.dataDir, 'jobs', String(job.id)))).toBe(false);
  });
});
