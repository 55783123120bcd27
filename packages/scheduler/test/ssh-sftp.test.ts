/**
 * sftp into a job's directory through the ssh gateway, driven by the real OpenSSH sftp client
 * in batch mode, into a job of the local executor (real processes as the job's uid).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job, JobFileList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Caller } from './helpers/api-caller.js';
import { addKey, makeKey, sftpBatch, sftpSession } from './helpers/ssh-client.js';
import { startTestDaemon, type TestDaemon, until, waitJob } from './helpers/test-daemon.js';

describe('sftp to the job\u2019s directory (local executor, real OpenSSH sftp)', () => {
  let t: TestDaemon;
  let alice: Caller;
  let bob: Caller;
  let local: string;
  let aliceKey: string;
  let bobKey: string;
  let port: number;

  beforeAll(async () => {
    t = await startTestDaemon('local', {
      ssh: { enabled: true, port: 0 },
      limits: { maxUploadBytes: 100_000, maxJobDirBytes: 1_000_000 },
    });
    port = t.daemon.ssh?.port as number;
    alice = await t.addUser('alice', 2001);
    bob = await t.addUser('bob', 2002);
    local = await mkdtemp(join(tmpdir(), 'godocker-sftp-'));
    aliceKey = await makeKey(local, 'alice');
    bobKey = await makeKey(local, 'bob');
    await addKey(alice, aliceKey);
    await addKey(bob, bobKey);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    if (local) await rm(local, { recursive: true, force: true });
  });

  const sftp = (login: string, commands: string[], key = aliceKey) => sftpBatch(port, key, login, commands);
  const fileText = async (id: number, path: string) => {
    const r = await alice.call('GET', `/api/v1/jobs/${id}/files/content?path=${encodeURIComponent(path)}`);
    return r.status === 200 ? r.text : undefined;
  };

  it('puts a file the job reads, gets a file it wrote, lists and makes folders, as the job\u2019s uid', async () => {
    const script = [
      'cd "$GODOCKER_JOB_DIR"',
      'echo from the job > written.txt',
      'while [ ! -f in.txt ]; do sleep 0.2; done',
      'tr a-z A-Z < in.txt > seen.txt',
      'sleep 120',
    ].join('\n');
    const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script } });
    expect(s.status).toBe(201);
    const job = await waitJob(alice, s.body.id, 'started');
    await until('the job\u2019s file', 20, () => fileText(job.id, 'written.txt'));
    await writeFile(join(local, 'in.txt'), 'hello sftp\n');

    const r = await sftp(`alice+${job.id}`, [
      `put ${join(local, 'in.txt')} in.txt`,
      `get written.txt ${join(local, 'got.txt')}`,
      'mkdir sub',
      `put ${join(local, 'in.txt')} sub/nested.txt`,
      'cd sub',
      'pwd',
      'ls -l',
      'cd ..',
      'ls',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(await readFile(join(local, 'got.txt'), 'utf8')).toBe('from the job\n');
    expect(r.stdout).toContain('Remote working directory: /sub');
    expect(r.stdout).toMatch(/-rw-r--r-- .* 2001 +2001 +11 .* nested\.txt/);
    expect(r.stdout).toMatch(/in\.txt/);
    // The job read what was put, and the REST routes see the same directory.
    expect(await until('the job\u2019s answer', 20, () => fileText(job.id, 'seen.txt'))).toBe('HELLO SFTP\n');
    const sub = await alice.call<JobFileList>('GET', `/api/v1/jobs/${job.id}/files?path=sub`);
    expect(sub.body.entries.map((e) => e.name)).toEqual(['nested.txt']);
    const dir = join(t.dataDir, 'jobs', String(job.id));
    for (const p of ['in.txt', 'sub', 'sub/nested.txt']) {
      const info = await stat(join(dir, p));
      expect([p, info.uid, info.gid]).toEqual([p, 2001, 2001]);
    }
    await alice.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
  }, 90_000);

  it('refuses paths out of the directory, a link the job made to /etc/shadow, uploads over the limit', async () => {
    const script = 'cd "$GODOCKER_JOB_DIR"; ln -s /etc/shadow shadow-link; ln -s / root-link; sleep 120';
    const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script } });
    const job = await waitJob(alice, s.body.id, 'started');
    await until('the links', 20, async () => {
      const r = await alice.call<JobFileList>('GET', `/api/v1/jobs/${job.id}/files`);
      return r.body.entries.some((e) => e.name === 'root-link') ? true : undefined;
    });
    const login = `alice+${job.id}`;
    const out = join(local, 'stolen');
    for (const command of [
      `get ../../etc/passwd ${out}`,
      `get /../../etc/passwd ${out}`,
      `get shadow-link ${out}`,
      `get root-link/etc/passwd ${out}`,
      `put ${join(local, 'in.txt')} root-link/tmp/planted.txt`,
      'ls root-link/etc',
    ]) {
      const r = await sftp(login, [command]);
      expect([command, r.code]).toEqual([command, 1]);
      expect(existsSync(out)).toBe(false);
    }
    expect(existsSync('/tmp/planted.txt')).toBe(false);
    // Over limits.maxUploadBytes: refused, and nothing (not even a part) left behind.
    await writeFile(join(local, 'big.bin'), Buffer.alloc(150_000, 1));
    const big = await sftp(login, [`put ${join(local, 'big.bin')} big.bin`]);
    expect(big.code).toBe(1);
    const entries = (await alice.call<JobFileList>('GET', `/api/v1/jobs/${job.id}/files`)).body.entries;
    expect(entries.map((e) => e.name).sort()).toEqual(['root-link', 'shadow-link', 'stderr', 'stdout']);
    await alice.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
  }, 90_000);

  it('serves a pending and an ended job, refuses another user\u2019s job, no job and an archived one, saying why', async () => {
    const held = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'cat "$GODOCKER_JOB_DIR/early.txt"' },
      hold: true,
    });
    expect(held.status).toBe(201);
    await writeFile(join(local, 'early.txt'), 'before the start\n');
    const pending = await sftp(`alice+${held.body.id}`, [`put ${join(local, 'early.txt')} early.txt`]);
    expect([pending.code, pending.stderr]).toEqual([0, '']);
    expect(await fileText(held.body.id, 'early.txt')).toBe('before the start\n');

    const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'echo done > "$GODOCKER_JOB_DIR/end.txt"' } });
    const ended = await waitJob(alice, s.body.id);
    expect(ended.status.state).toBe('done');
    const got = await sftp(`alice+${ended.id}`, [`get end.txt ${join(local, 'end.txt')}`]);
    expect([got.code, await readFile(join(local, 'end.txt'), 'utf8')]).toEqual([0, 'done\n']);

    const other = await sftp(`bob+${ended.id}`, ['ls'], bobKey);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(`permission denied: you have no job ${ended.id}`);
    const none = await sftp('alice', ['ls']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('say which job in the login: sftp -P PORT USER+JOBID@HOST');

    const store = SqliteStore.open(join(t.dataDir, 'godocker.db'));
    try {
      await store.updateJob(ended.id, { status: { archivedAt: new Date().toISOString() } });
    } finally {
      await store.close();
    }
    const archived = await sftp(`alice+${ended.id}`, ['ls']);
    expect(archived.code).not.toBe(0);
    expect(archived.stderr).toContain(`job ${ended.id} was archived on`);
    await alice.call('POST', `/api/v1/jobs/${held.body.id}/actions`, { action: 'kill' });
  }, 90_000);

  it('cuts a session open when the job is archived under it, saying why', async () => {
    const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'echo kept > "$GODOCKER_JOB_DIR/kept.txt"' } });
    const ended = await waitJob(alice, s.body.id);
    expect(ended.status.state).toBe('done');
    const session = sftpSession(port, aliceKey, `alice+${ended.id}`);
    session.send('ls');
    await until('the listing', 20, async () => (session.output().includes('kept.txt') ? true : undefined));

    const archived = await t.admin.call<{ archived: number[] }>('POST', '/api/v1/admin/archive', { olderThanSeconds: 0 });
    expect(archived.status).toBe(200);
    expect(archived.body.archived).toContain(ended.id);
    // The client waits on its input, not on the connection: it is told at once, and its next command finds the session gone.
    await until('the client told', 15, async () =>
      session.errors().includes(`godocker: job ${ended.id} was archived: its directory is removed: session closed`)
        ? true
        : undefined,
    );
    session.send('ls');
    session.end();
    const result = await session.done;
    expect(result.code).not.toBe(0);
    // Only the listing before the archive: the one after got no answer (the client dies on the closed connection).
    expect(result.stdout.match(/kept\.txt/g)).toHaveLength(1);
    expect(existsSync(join(t.dataDir, 'jobs', String(ended.id)))).toBe(false);
  }, 60_000);
});
