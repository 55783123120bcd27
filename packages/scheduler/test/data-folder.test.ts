/**
 * The data folder holds every user's scripts, env values and token hashes: nobody but the
 * daemon may read it, whatever mode it had before.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startTestDaemon } from './helpers/test-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'godocker-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('makes the data folder 0700 and the store, its WAL and shared memory 0600', async () => {
  await chmod(dir, 0o755);
  const t = await startTestDaemon('local', {}, dir);
  try {
    const r = await t.admin.call('POST', '/api/v1/jobs', { command: { script: 'true' } });
    expect(r.status).toBe(201);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = ['godocker.db', 'godocker.db-wal', 'godocker.db-shm'].map((f) => join(dir, f));
    expect(files.filter((f) => existsSync(f))).toEqual(files);
    expect(files.map((f) => statSync(f).mode & 0o777)).toEqual([0o600, 0o600, 0o600]);
  } finally {
    await t.stop();
  }
});
