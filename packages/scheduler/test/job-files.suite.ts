/**
 * The job's directory end to end, on a real executor (called by daemon-e2e.suite.ts for each):
 * a job writes files there and its user gets them; uploads land before the start; stdout and
 * stderr are in it; every way out of it is refused, each on its own.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, JobFileList } from '@godocker/sdk';
import { expect, it } from 'vitest';
import type { Caller, Reply } from './helpers/api-caller.js';
import { logsOf, type TestDaemon, waitJob } from './helpers/test-daemon.js';

export interface JobFilesContext {
  t: TestDaemon;
  alice: Caller;
  bob: Caller;
}

const filesOf = (id: number, path = '') => `/api/v1/jobs/${id}/files?path=${encodeURIComponent(path)}`;
const contentOf = (id: number, path: string) => `/api/v1/jobs/${id}/files/content?path=${encodeURIComponent(path)}`;
const OCTETS = { 'content-type': 'application/octet-stream' };

function hashOf(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function refused(r: Reply, why: RegExp): void {
  expect(r.status, r.text).toBe(400);
  expect((r.body as { error: { code: string; message: string } }).error).toMatchObject({ code: 'GOD_PATH_REFUSED' });
  expect((r.body as { error: { message: string } }).error.message).toMatch(why);
}

export function describeJobFiles(get: () => JobFilesContext): void {
  const dirOf = (id: number) => join(get().t.dataDir, 'jobs', String(id));

  it('a job writes out/result.txt in $GODOCKER_JOB_DIR; its user lists and downloads it; stdout and stderr are there too', async () => {
    const { t, alice, bob } = get();
    const job = await t.run(alice, {
      command: {
        script:
          'mkdir -p "$GODOCKER_JOB_DIR/out" && echo 42 > "$GODOCKER_JOB_DIR/out/result.txt" && cd "$GODOCKER_JOB_DIR" && echo "in $(pwd)"; echo oops >&2',
      },
    });
    expect(job.status.state).toBe('done');
    expect(await logsOf(alice, job.id)).toMatch(/^in \//);
    expect(await logsOf(alice, job.id, 'stderr')).toBe('oops\n');
    // The directory on the node: the job's own, 0700; stdout and stderr beside its files.
    const info = statSync(dirOf(job.id));
    expect([info.uid, info.gid, info.mode & 0o777]).toEqual([2001, 2002, 0o700]);
    expect(readFileSync(join(dirOf(job.id), 'stderr'), 'utf8')).toBe('oops\n');

    const top = await alice.call<JobFileList>('GET', filesOf(job.id));
    expect(top.status).toBe(200);
    const names = top.body.entries.map((e) => `${e.name}:${e.type}`);
    expect(names).toEqual(expect.arrayContaining(['out:directory', 'stdout:file', 'stderr:file']));
    const out = await alice.call<JobFileList>('GET', filesOf(job.id, 'out'));
    expect(out.body.entries).toEqual([{ name: 'result.txt', type: 'file', size: 3, mtime: expect.any(String) }]);

    const file = await alice.call('GET', contentOf(job.id, 'out/result.txt'));
    expect(file.status).toBe(200);
    expect(file.text).toBe('42\n');
    expect(file.headers.get('content-length')).toBe('3');
    const part = await alice.call('GET', contentOf(job.id, 'out/result.txt'), undefined, { range: 'bytes=1-' });
    expect([part.status, part.text, part.headers.get('content-range')]).toEqual([206, '2\n', 'bytes 1-2/3']);
    expect((await t.admin.call('GET', contentOf(job.id, 'out/result.txt'))).text).toBe('42\n');

    // What is not a file, or not there, says so.
    const folder = await alice.call<{ error: { message: string } }>('GET', contentOf(job.id, 'out'));
    expect([folder.status, folder.body.error.message]).toEqual([400, expect.stringMatching(/is a folder/)]);
    expect((await alice.call('GET', contentOf(job.id, 'out/none.txt'))).status).toBe(404);
    expect((await alice.call('GET', filesOf(job.id, 'out/result.txt'))).status).toBe(400);

    // Someone else's job is not there at all.
    for (const r of [
      await bob.call('GET', filesOf(job.id)),
      await bob.call('GET', contentOf(job.id, 'out/result.txt')),
      await bob.raw('PUT', contentOf(job.id, 'x'), 'x', OCTETS),
    ]) {
      expect(r.status).toBe(404);
    }
    expect(existsSync(join(dirOf(job.id), 'x'))).toBe(false);
  });

  it('an uploaded data.csv is in the directory before the job starts, and the job reads it', async () => {
    const { alice } = get();
    const s = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'cat "$GODOCKER_JOB_DIR/data.csv" "$GODOCKER_JOB_DIR/in/deep/more.csv"' },
      hold: true,
    });
    const id = s.body.id;
    const up = await alice.raw<{ path: string; size: number }>('PUT', contentOf(id, 'data.csv'), 'a,b\n1,2\n', OCTETS);
    expect([up.status, up.body]).toEqual([201, { path: 'data.csv', size: 8 }]);
    expect((await alice.raw('PUT', contentOf(id, 'in/deep/more.csv'), '3,4\n', OCTETS)).status).toBe(201);
    // Parents made and the files given to the job's user, nothing half-written left beside them.
    for (const p of ['in', 'in/deep', 'in/deep/more.csv', 'data.csv']) expect(statSync(join(dirOf(id), p)).uid).toBe(2001);
    const listed = await alice.call<JobFileList>('GET', filesOf(id));
    expect(listed.body.entries.map((e) => e.name)).toEqual(['data.csv', 'in']);
    await alice.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'release' });
    const job = await waitJob(alice, id);
    expect(job.status.state).toBe('done');
    expect(await logsOf(alice, id)).toBe('a,b\n1,2\n3,4\n');
  });

  it('refuses every way out of the directory: .., an absolute path, a NUL byte, links the job made out of it', async () => {
    const { t, alice } = get();
    const shadow = hashOf('/etc/shadow');
    const job = await t.run(alice, {
      command: {
        script: [
          'cd "$GODOCKER_JOB_DIR"',
          'ln -s /etc/shadow shadow',
          'ln -s /etc etc',
          'ln -s / root',
          'mkdir -p sub && ln -s ../../ sub/up',
          // Names the daemon writes at collect: a link there must be replaced, never written through.
          'ln -s /etc/shadow stdout.part',
          'rm -f stdout && ln -s /etc/shadow stdout',
          'echo mine',
        ].join('\n'),
      },
    });
    expect(job.status.state).toBe('done');
    const id = job.id;
    refused(await alice.call('GET', contentOf(id, '../../godocker.db')), /`\.\.` segment/);
    refused(await alice.call('GET', contentOf(id, 'sub/../../x')), /`\.\.` segment/);
    refused(await alice.call('GET', contentOf(id, '/etc/passwd')), /absolute/);
    refused(await alice.call('GET', contentOf(id, 'a\0b')), /NUL byte/);
    refused(await alice.call('GET', contentOf(id, 'shadow')), /symbolic link/);
    refused(await alice.call('GET', contentOf(id, 'etc/passwd')), /symbolic link/);
    refused(await alice.call('GET', contentOf(id, 'root/etc/passwd')), /symbolic link/);
    refused(await alice.call('GET', contentOf(id, 'sub/up/godocker.db')), /symbolic link/);
    refused(await alice.call('GET', filesOf(id, 'etc')), /symbolic link/);
    refused(await alice.call('GET', filesOf(id, '../')), /`\.\.` segment/);
    refused(await alice.raw('PUT', contentOf(id, 'etc/godocker-evil'), 'x', OCTETS), /symbolic link/);
    refused(await alice.raw('PUT', contentOf(id, 'sub/up/evil'), 'x', OCTETS), /symbolic link/);
    refused(await alice.raw('PUT', contentOf(id, '../evil'), 'x', OCTETS), /`\.\.` segment/);
    refused(await alice.raw('PUT', contentOf(id, '/tmp/evil'), 'x', OCTETS), /absolute/);
    expect(existsSync('/etc/godocker-evil')).toBe(false);
    expect(existsSync(join(t.dataDir, 'jobs', 'evil'))).toBe(false);
    // Links are listed as links, not followed.
    const listed = await alice.call<JobFileList>('GET', filesOf(id));
    expect(listed.body.entries.find((e) => e.name === 'shadow')?.type).toBe('symlink');
    // Uploading onto a link's name replaces the link, never the file it points to.
    expect((await alice.raw('PUT', contentOf(id, 'shadow'), 'replaced', OCTETS)).status).toBe(201);
    expect(lstatSync(join(dirOf(id), 'shadow')).isFile()).toBe(true);
    expect((await alice.call('GET', contentOf(id, 'shadow'))).text).toBe('replaced');
    // The log read never serves what a link the job left would point to.
    const out = await alice.call('GET', `/api/v1/jobs/${id}/logs/stdout`);
    expect(out.text).not.toMatch(/^root:/m);
    expect(hashOf('/etc/shadow')).toBe(shadow);
  });
}
