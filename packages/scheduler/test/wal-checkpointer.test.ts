/**
 * The daemon's store checkpoints its WAL from a worker thread: its own commits do not
 * copy the WAL back (their backstop is 10,000 pages away), yet every committed frame is
 * copied back soon after, and nothing written is lost. Real SQLite files.
 *
 * How far the checkpoints have come is read from the WAL index (the -shm file), as
 * SQLite lays it out (https://www.sqlite.org/walformat.html): mxFrame, the last frame
 * committed, at byte 16; nBackfill, the last frame copied back, at byte 96. Reading it
 * checkpoints nothing, unlike asking SQLite.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { makeJob } from './fixtures/jobs.js';

const dir = mkdtempSync(join(tmpdir(), 'godocker-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function walIndex(path: string): { committed: number; copied: number } {
  const shm = readFileSync(`${path}-shm`);
  // Native byte order: this machine's (little-endian on every machine GoDocker runs on).
  return { committed: shm.readUInt32LE(16), copied: shm.readUInt32LE(96) };
}

async function commits(store: SqliteStore, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await store.insertJobs({ jobs: [makeJob({ meta: { name: `j${i}` } })], isArray: false });
  }
}

async function settled(path: string, ms: number): Promise<{ committed: number; copied: number }> {
  const deadline = Date.now() + ms;
  let index = walIndex(path);
  while (index.copied < index.committed && Date.now() < deadline) {
    await sleep(20);
    index = walIndex(path);
  }
  return index;
}

describe('WAL checkpoints in the background', () => {
  it('copies every committed frame back soon after, with no checkpoint asked by the writer, and loses no commit', async () => {
    const path = join(dir, 'background.db');
    const store = SqliteStore.open(path, { backgroundCheckpoints: true });
    await store.migrate();
    await commits(store, 300);
    // Far below the writer's backstop of 10,000 pages: only the worker can have copied them.
    expect(walIndex(path).committed).toBeLessThan(9000);
    const index = await settled(path, 10_000);
    expect(index.committed).toBeGreaterThan(0);
    expect(index.copied).toBe(index.committed);
    await store.close();
    const reopened = SqliteStore.open(path);
    expect((await reopened.listJobs({}, { limit: 500 })).jobs).toHaveLength(300);
    await reopened.close();
  });

  it('leaves the frames in the WAL when the writer checkpoints only at its backstop and no worker runs (the control)', async () => {
    const path = join(dir, 'control.db');
    const store = SqliteStore.open(path);
    await store.migrate();
    // What the daemon's connection is set to, without the worker.
    (store as unknown as { db: { pragma(s: string): unknown } }).db.pragma('wal_autocheckpoint = 10000');
    await commits(store, 300);
    const index = await settled(path, 1000);
    expect(index.copied).toBeLessThan(index.committed);
    await store.close();
  });
});
