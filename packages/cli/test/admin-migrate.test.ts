/**
 * `godocker admin migrate --to mongodb://...` through the built executable: a SQLite site
 * with users, tokens, projects, an array, a held job, idempotency keys and a session moves
 * to a MongoDB-wire server (FerretDB), and a daemon started on it finds everything as it
 * was, every job under its id.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmod, chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Daemon, startDaemon } from '@godocker/scheduler';
import { GodockerClient, type Job } from '@godocker/sdk';
import { MongoClient } from 'mongodb';
import { afterAll, expect, it } from 'vitest';
import { builtBin } from './helpers/built-bin.js';

const MONGO_URL = process.env.GODOCKER_MONGO_URL ?? 'mongodb://127.0.0.1:27017/';
const database = `godocker_migrate_${randomBytes(6).toString('hex')}`;
let dir = '';
const daemons: Daemon[] = [];

afterAll(async () => {
  for (const d of daemons) await d.stop().catch(() => undefined);
  const client = new MongoClient(MONGO_URL);
  await client
    .db(database)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function godocker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [builtBin(), ...args], { env: { ...process.env, HOME: dir, GODOCKER_CONFIG: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

async function daemonOn(store: object): Promise<{ daemon: Daemon; admin: GodockerClient }> {
  const daemon = await startDaemon({
    config: {
      dataDir: join(dir, 'data'),
      server: { port: 0 },
      executor: { type: 'local', options: {} },
      usage: { sampleSeconds: 0.2, saveSeconds: 0 },
      auth: { admin: { home: join(dir, 'admin-home') } },
      store,
    },
    env: { GODOCKER_ADMIN_TOKEN: 'migrate-admin-token' },
    logger: false,
  });
  daemons.push(daemon);
  return { daemon, admin: new GodockerClient({ url: daemon.url, token: 'migrate-admin-token' }) };
}

it('moves a SQLite site to MongoDB: every job under its id, tokens, projects and keys work on the new store', async () => {
  dir = await mkdtemp(join(tmpdir(), 'godocker-migrate-'));
  await chmod(dir, 0o711);
  for (const home of ['admin-home', 'alice']) {
    await mkdir(join(dir, home));
    if (process.getuid?.() === 0) await chown(join(dir, home), 2001, 2001);
  }
  const first = await daemonOn({ type: 'sqlite' });
  const created = await first.admin.createUser({ name: 'alice', uid: 2001, gid: 2001, home: join(dir, 'alice') });
  const alice = new GodockerClient({ url: first.daemon.url, token: created.token });
  await first.admin.createProject({ name: 'genomics', shares: 3 });
  await first.admin.addMember('genomics', { user: 'alice', shares: 2 });
  // Long enough for its usage to be read a few times.
  const done = await alice.submit(
    { command: { script: 'echo migrated; sleep 1' }, project: 'genomics' },
    { idempotencyKey: 'k-done' },
  );
  const array = await alice.submit({ command: { script: 'echo $GODOCKER_TASK_ID' }, array: '1:3' });
  await alice.waitMany([done.id, array.id], { timeout: 60 });
  const held = await alice.submit({ command: { script: 'echo later' }, hold: true }, { idempotencyKey: 'k-held' });
  await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', join(dir, 'alice-key')]);
  const key = await alice.addSshKey(await readFile(join(dir, 'alice-key.pub'), 'utf8'));
  const before = (await alice.listJobs({ limit: 100 })).jobs;
  expect(before.length).toBe(6);
  const usageBefore = await alice.jobUsage(done.id);
  expect(usageBefore.totals.samples).toBeGreaterThan(0);
  await first.daemon.stop();
  daemons.pop();

  const r = await godocker([
    'admin',
    'migrate',
    '--to',
    MONGO_URL,
    '--database',
    database,
    '--from',
    join(dir, 'data', 'godocker.db'),
  ]);
  expect(r.stderr).toContain('copying');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^jobs\s+6\s+6\s+ok$/m);
  expect(r.stdout).toMatch(/^users\s+2\s+2\s+ok$/m);
  expect(r.stdout).toMatch(/^idempotency keys\s+\d+\s+\d+\s+ok$/m);
  expect(r.stdout).toMatch(/^ssh keys\s+1\s+1\s+ok$/m);
  expect(r.stdout).toMatch(/^job usage records\s+([1-9]\d*)\s+\1\s+ok$/m);
  expect(r.stdout).not.toContain('DIFFERS');

  const second = await daemonOn({ type: 'mongodb', url: MONGO_URL, database });
  const aliceAgain = new GodockerClient({ url: second.daemon.url, token: created.token });
  // Her token still works, and every job is the same document under the same id.
  const after = (await aliceAgain.listJobs({ limit: 100 })).jobs;
  expect(after.map((j: Job) => j.id)).toEqual(before.map((j: Job) => j.id));
  expect(after).toEqual(before);
  expect(await aliceAgain.jobUsage(done.id)).toEqual(usageBefore);
  expect((await second.admin.getProject('genomics')).members).toEqual([{ user: 'alice', shares: 2 }]);
  expect(await aliceAgain.sshKeys()).toEqual([key]);
  // A retry of an earlier submit is answered with its job, not a new one.
  const retried = await aliceAgain.submit({ command: { script: 'echo later' }, hold: true }, { idempotencyKey: 'k-held' });
  expect(retried.id).toBe(held.id);
  // The held job runs once released; new jobs get new ids.
  await aliceAgain.release(held.id);
  expect((await aliceAgain.wait(held.id, { timeout: 60 })).job.status.state).toBe('done');
  const fresh = await aliceAgain.submit({ command: { script: 'true' } });
  expect(fresh.id).toBeGreaterThan(Math.max(...before.map((j: Job) => j.id)));

  // The target now holds a site: a second migration into it is refused.
  const again = await godocker([
    'admin',
    'migrate',
    '--to',
    MONGO_URL,
    '--database',
    database,
    '--from',
    join(dir, 'data', 'godocker.db'),
  ]);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toMatch(/already holds GoDocker users or jobs/);
}, 120_000);
