/**
 * The project, member, user-settings and usage-reset methods of GodockerClient
 * against a real daemon started in this process.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Daemon, startDaemon } from '@godocker/scheduler';
import { ForbiddenError, GodockerClient, GodockerError, NotFoundError, ValidationError } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let daemon: Daemon;
let admin: GodockerClient;
let alice: GodockerClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'godocker-client-projects-'));
  await chmod(dir, 0o711);
  daemon = await startDaemon({
    config: { dataDir: dir, server: { port: 0 }, executor: { type: 'local' } },
    env: {},
    logger: false,
  });
  admin = new GodockerClient({ url: daemon.url, token: daemon.adminToken ?? '' });
  const created = await admin.createUser({ name: 'alice', uid: 2001, gid: 2001 });
  alice = new GodockerClient({ url: daemon.url, token: created.token });
});

afterAll(async () => {
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('GodockerClient projects and users', () => {
  it('creates, updates, lists and deletes projects, and manages members', async () => {
    const p = await admin.createProject({ name: 'genomics', shares: 2, quota: { cpu: 8 } });
    expect(p).toMatchObject({ name: 'genomics', shares: 2, priority: 0, quota: { cpu: 8 }, members: [] });
    expect((await admin.addMember('genomics', { user: 'alice', shares: 4 })).members).toEqual([{ user: 'alice', shares: 4 }]);
    expect((await admin.updateMember('genomics', 'alice', 6)).members).toEqual([{ user: 'alice', shares: 6 }]);
    expect((await admin.updateProject('genomics', { quota: { ram: 1024 } })).quota).toEqual({ cpu: 8, ram: 1024 });
    expect((await alice.getProject('genomics')).members).toEqual([{ user: 'alice', shares: 6 }]);
    expect((await alice.listProjects()).map((x) => x.name)).toEqual(['default', 'genomics']);
    expect((await admin.listProjects({ user: 'admin' })).map((x) => x.name)).toEqual(['default']);
    expect((await admin.removeMember('genomics', 'alice')).members).toEqual([]);
    await expect(alice.getProject('genomics')).rejects.toBeInstanceOf(NotFoundError);
    await admin.deleteProject('genomics');
    await expect(admin.getProject('genomics')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads and changes user settings', async () => {
    expect(await alice.getUser('alice')).toMatchObject({ name: 'alice', priority: 0, quota: {} });
    const u = await admin.updateUser('alice', { priority: 3, quota: { gpus: 1 } });
    expect(u).toMatchObject({ priority: 3, quota: { gpus: 1 } });
    expect((await alice.me()).priority).toBe(3);
    await expect(alice.getUser('admin')).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('resets cpu time, and turns refusals into typed errors', async () => {
    expect(await admin.resetUsage({ user: 'alice' })).toEqual({ project: null, user: 'alice', buckets: 0 });
    expect(await admin.resetUsage()).toEqual({ project: null, user: null, buckets: 0 });
    await expect(alice.resetUsage()).rejects.toBeInstanceOf(ForbiddenError);
    await expect(alice.createProject({ name: 'mine' })).rejects.toBeInstanceOf(ForbiddenError);
    const bad = await admin.createProject({ name: 'q', quota: { cpu: -1 } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).field).toBe('quota.cpu');
    const dup = await admin.createProject({ name: 'default' }).catch((e: unknown) => e);
    expect(GodockerError.is(dup) && dup.code).toBe('GOD_CONFLICT');
  });
});
