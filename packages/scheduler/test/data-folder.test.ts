/**
 * The data folder holds every user's scripts, env values and token hashes: nobody but the
 * daemon may read it, whatever mode it had before (jobs may only pass through it to their directory).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@godocker/sdk';
import { afterAll, expect, it } from 'vitest';
import { startTestDaemon } from './helpers/test-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'godocker-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('makes the data folder 0711 (jobs pass through to their directories in it, nobody lists it) and the store, its WAL and shared memory 0600', async () => {
  await chmod(dir, 0o755);
  const t = await startTestDaemon('local', {}, dir);
  try {
    const r = await t.admin.call('POST', '/api/v1/jobs', { command: { script: 'true' } });
    expect(r.status).toBe(201);
    expect(statSync(dir).mode & 0o777).toBe(0o711);
    expect(statSync(join(dir, 'jobs')).mode & 0o777).toBe(0o711);
    // Nothing else in it is open to others: only the jobs folder may be passed through.
    const others = readdirSync(dir).filter((f) => f !== 'jobs' && (statSync(join(dir, f)).mode & 0o077) !== 0);
    expect(others).toEqual([]);
    const files = ['godocker.db', 'godocker.db-wal', 'godocker.db-shm'].map((f) => join(dir, f));
    expect(files.filter((f) => existsSync(f))).toEqual(files);
    expect(files.map((f) => statSync(f).mode & 0o777)).toEqual([0o600, 0o600, 0o600]);
  } finally {
    await t.stop();
  }
});

it('makes an existing store left readable (an older version made it 0644) private again', async () => {
  const old = join(dir, 'older');
  await mkdir(old);
  const first = await startTestDaemon('local', {}, old);
  await first.stop();
  await chmod(old, 0o755);
  await chmod(join(old, 'godocker.db'), 0o644);
  const t = await startTestDaemon('local', {}, old);
  try {
    expect(statSync(old).mode & 0o777).toBe(0o711);
    expect(statSync(join(old, 'godocker.db')).mode & 0o777).toBe(0o600);
    const r = await t.admin.call('POST', '/api/v1/jobs', { command: { script: 'true' } });
    expect(r.status).toBe(201);
    expect(statSync(join(old, 'godocker.db-wal')).mode & 0o777).toBe(0o600);
  } finally {
    await t.stop();
  }
});

it('keeps the data folder 0700 when the jobs directories are elsewhere (jobsDir)', async () => {
  const alone = join(dir, 'alone');
  const jobs = join(dir, 'elsewhere-jobs');
  await mkdir(alone);
  await chmod(alone, 0o755);
  const t = await startTestDaemon('local', { jobsDir: jobs }, alone);
  try {
    expect(statSync(alone).mode & 0o777).toBe(0o700);
    expect(statSync(jobs).mode & 0o777).toBe(0o711);
  } finally {
    await t.stop();
  }
});

it('refuses a shared folder (sticky, like /tmp) instead of making it private, saying what to do', async () => {
  const shared = join(dir, 'shared');
  await mkdir(shared);
  await chmod(shared, 0o1777);
  const error = await startTestDaemon('local', {}, shared).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).message).toMatch(/shared folder \(mode 1777\).*dataDir/);
  expect(statSync(shared).mode & 0o7777).toBe(0o1777);
});
