/**
 * Projects, members, user settings and the cpu-time reset through the REST API
 * of a real daemon: who may do what, and the error each mistake gets.
 */
import { join } from 'node:path';
import type { Project, ProjectList, ResetUsageResult, User } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

interface ErrorReply {
  error: { code: string; message: string; field?: string };
}

const P = '/api/v1/projects';

describe('projects API', () => {
  let t: TestDaemon;
  let alice: Caller & { user: User };
  let bob: Caller & { user: User };

  beforeAll(async () => {
    t = await startTestDaemon('local');
    alice = await t.addUser('alice', 2001);
    bob = await t.addUser('bob', 2002);
  });
  afterAll(async () => t?.stop());

  const names = (list: ProjectList) => list.projects.map((p) => p.name);

  it('puts every user in the default project', async () => {
    const r = await t.admin.call<Project>('GET', `${P}/default`);
    expect(r.status).toBe(200);
    expect(r.body.members).toEqual(
      expect.arrayContaining([
        { user: 'alice', shares: 1 },
        { user: 'bob', shares: 1 },
      ]),
    );
    expect(names((await bob.call<ProjectList>('GET', P)).body)).toEqual(['default']);
  });

  it('addresses every name it lets one create: the longest project and session names work in their routes', async () => {
    const longest = `p${'x'.repeat(127)}`;
    const project = await t.admin.call<Project>('POST', P, { name: longest });
    expect(project.status).toBe(201);
    expect((await t.admin.call<Project>('GET', `${P}/${longest}`)).status).toBe(200);
    const tooLong = await t.admin.call<{ error: { field: string } }>('POST', P, { name: `${longest}x` });
    expect([tooLong.status, tooLong.body.error.field]).toEqual([400, 'name']);
    const session = await alice.call('POST', '/api/v1/sessions', { name: longest });
    expect(session.status).toBe(201);
    expect((await alice.call('GET', `/api/v1/sessions/${longest}`)).status).toBe(200);
    expect((await t.admin.call('DELETE', `${P}/${longest}`)).status).toBe(204);
  });

  it('lets an admin create a project and add members; members see it, others get 404', async () => {
    const created = await t.admin.call<Project>('POST', P, {
      name: 'genomics',
      description: 'DNA',
      shares: 2,
      priority: 10,
      quota: { cpu: 32, ram: 65536, cpuTime: { seconds: 3_600_000, windowSeconds: 2_592_000 } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'genomics', description: 'DNA', shares: 2, priority: 10, members: [] });
    expect(created.body.quota).toEqual({ cpu: 32, ram: 65536, cpuTime: { seconds: 3_600_000, windowSeconds: 2_592_000 } });

    const added = await t.admin.call<Project>('POST', `${P}/genomics/members`, { user: 'alice', shares: 3 });
    expect(added.status).toBe(201);
    expect(added.body.members).toEqual([{ user: 'alice', shares: 3 }]);

    const seen = await alice.call<Project>('GET', `${P}/genomics`);
    expect(seen.status).toBe(200);
    expect(seen.body.members).toEqual([{ user: 'alice', shares: 3 }]);
    expect(names((await alice.call<ProjectList>('GET', P)).body)).toEqual(['default', 'genomics']);

    const hidden = await bob.call<ErrorReply>('GET', `${P}/genomics`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('GOD_NOT_FOUND');
    expect(names((await bob.call<ProjectList>('GET', P)).body)).toEqual(['default']);
    // Asking about a project that does not exist answers the same way.
    expect((await bob.call('GET', `${P}/no-such`)).status).toBe(404);

    expect(names((await t.admin.call<ProjectList>('GET', P)).body)).toEqual(['default', 'genomics']);
    expect(names((await t.admin.call<ProjectList>('GET', `${P}?user=alice`)).body)).toEqual(['default', 'genomics']);
    expect(names((await alice.call<ProjectList>('GET', `${P}?user=alice`)).body)).toEqual(['default', 'genomics']);
    expect((await bob.call('GET', `${P}?user=alice`)).status).toBe(403);
  });

  it('refuses every admin action to a user with 403', async () => {
    const attempts: Array<[string, string, unknown]> = [
      ['POST', P, { name: 'mine' }],
      ['PATCH', `${P}/default`, { shares: 100 }],
      ['DELETE', `${P}/genomics`, undefined],
      ['POST', `${P}/default/members`, { user: 'bob' }],
      ['PATCH', `${P}/default/members/bob`, { shares: 100 }],
      ['DELETE', `${P}/genomics/members/alice`, undefined],
      ['PATCH', '/api/v1/users/bob', { priority: 100 }],
      ['PATCH', '/api/v1/users/bob', { admin: true }],
      ['POST', '/api/v1/usage/reset', {}],
    ];
    for (const [method, path, body] of attempts) {
      const r = await bob.call<ErrorReply>(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe('GOD_FORBIDDEN');
    }
    expect((await t.admin.call<Project>('GET', `${P}/default`)).body.shares).toBe(1);
    expect((await t.admin.call<User>('GET', '/api/v1/users/bob')).body).toMatchObject({ priority: 0, admin: false });
  });

  it('answers 400 naming the field for a bad quota or a bad value', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'q1', quota: { cpu: -1 } }, 'quota.cpu'],
      [{ name: 'q1', quota: { cores: 4 } }, 'quota.cores'],
      [{ name: 'q1', quota: { ram: 1.5 } }, 'quota.ram'],
      [{ name: 'q1', quota: { cpuTime: { seconds: 10, windowSeconds: 5 } } }, 'quota.cpuTime.windowSeconds'],
      [{ name: 'q1', quota: { cpuTime: { seconds: 10 } } }, 'quota.cpuTime.windowSeconds'],
      [{ name: 'q1', shares: -1 }, 'shares'],
      [{ name: 'q1', priority: 20_000 }, 'priority'],
      [{ name: 'bad name!' }, 'name'],
      [{ name: 'q1', owner: 'x' }, 'owner'],
    ];
    for (const [body, field] of cases) {
      const r = await t.admin.call<ErrorReply>('POST', P, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field, JSON.stringify(body)).toBe(field);
    }
    const patch = await t.admin.call<ErrorReply>('PATCH', `${P}/genomics`, { quota: { gpus: 'two' } });
    expect(patch.status).toBe(400);
    expect(patch.body.error.field).toBe('quota.gpus');
    const user = await t.admin.call<ErrorReply>('PATCH', '/api/v1/users/bob', { quota: { runningJobs: -3 } });
    expect(user.status).toBe(400);
    expect(user.body.error.field).toBe('quota.runningJobs');
    expect((await t.admin.call('GET', `${P}/q1`)).status).toBe(404);
  });

  it('answers 409 for a duplicate project or member', async () => {
    const again = await t.admin.call<ErrorReply>('POST', P, { name: 'genomics' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'GOD_CONFLICT', field: 'name' });
    const member = await t.admin.call<ErrorReply>('POST', `${P}/genomics/members`, { user: 'alice' });
    expect(member.status).toBe(409);
    expect((await t.admin.call<ErrorReply>('POST', `${P}/default/members`, { user: 'bob' })).status).toBe(409);
  });

  it('answers 404 for an unknown project, user or membership', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['GET', `${P}/nope`, undefined],
      ['PATCH', `${P}/nope`, { shares: 1 }],
      ['DELETE', `${P}/nope`, undefined],
      ['POST', `${P}/nope/members`, { user: 'alice' }],
      ['POST', `${P}/genomics/members`, { user: 'ghost' }],
      ['PATCH', `${P}/genomics/members/bob`, { shares: 1 }],
      ['DELETE', `${P}/genomics/members/bob`, undefined],
      ['GET', '/api/v1/users/ghost', undefined],
      ['PATCH', '/api/v1/users/ghost', { priority: 1 }],
      ['POST', '/api/v1/usage/reset', { project: 'nope' }],
      ['POST', '/api/v1/usage/reset', { user: 'ghost' }],
    ];
    for (const [method, path, body] of cases) {
      const r = await t.admin.call<ErrorReply>(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('GOD_NOT_FOUND');
    }
  });

  it('updates a project: only the fields sent, quota keys merged, null removing a limit', async () => {
    await t.admin.call('POST', P, { name: 'astro', shares: 1, quota: { cpu: 8, gpus: 2 } });
    const r = await t.admin.call<Project>('PATCH', `${P}/astro`, { shares: 5, quota: { gpus: null, runningJobs: 4 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'astro', shares: 5, priority: 0, description: '' });
    expect(r.body.quota).toEqual({ cpu: 8, runningJobs: 4 });
    expect((await t.admin.call<Project>('GET', `${P}/astro`)).body).toEqual(r.body);
  });

  it('sets and removes members, but keeps everyone in the default project', async () => {
    await t.admin.call('POST', `${P}/astro/members`, { user: 'bob' });
    const set = await t.admin.call<Project>('PATCH', `${P}/astro/members/bob`, { shares: 7 });
    expect(set.status).toBe(200);
    expect(set.body.members).toEqual([{ user: 'bob', shares: 7 }]);
    expect((await bob.call('GET', `${P}/astro`)).status).toBe(200);
    const removed = await t.admin.call<Project>('DELETE', `${P}/astro/members/bob`);
    expect(removed.status).toBe(200);
    expect(removed.body.members).toEqual([]);
    expect((await bob.call('GET', `${P}/astro`)).status).toBe(404);

    const fromDefault = await t.admin.call<ErrorReply>('DELETE', `${P}/default/members/bob`);
    expect(fromDefault.status).toBe(409);
    expect(fromDefault.body.error.message).toContain('0 shares');
    const zero = await t.admin.call<Project>('PATCH', `${P}/default/members/bob`, { shares: 0 });
    expect(zero.body.members).toContainEqual({ user: 'bob', shares: 0 });
  });

  it('deletes a project no job names, never the default one', async () => {
    await t.admin.call('POST', P, { name: 'scratch' });
    expect((await t.admin.call('DELETE', `${P}/scratch`)).status).toBe(204);
    expect((await t.admin.call('GET', `${P}/scratch`)).status).toBe(404);
    expect((await t.admin.call('DELETE', `${P}/default`)).status).toBe(409);
  });

  it('shows a user to an admin and to themself only, and lets an admin change priority, quota and admin', async () => {
    const self = await alice.call<User>('GET', '/api/v1/users/alice');
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ name: 'alice', uid: 2001, priority: 0, quota: {} });
    expect((await bob.call<ErrorReply>('GET', '/api/v1/users/alice')).status).toBe(403);
    // The same answer whether the name exists or not: nothing to probe.
    expect((await bob.call<ErrorReply>('GET', '/api/v1/users/ghost')).status).toBe(403);

    const r = await t.admin.call<User>('PATCH', '/api/v1/users/alice', { priority: 50, quota: { cpu: 4, pendingJobs: 100 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'alice', priority: 50, quota: { cpu: 4, pendingJobs: 100 }, admin: false });
    const merged = await t.admin.call<User>('PATCH', '/api/v1/users/alice', { quota: { cpu: null } });
    expect(merged.body.quota).toEqual({ pendingJobs: 100 });
    // The token sees the change at once.
    expect((await alice.call<User>('GET', '/api/v1/users/me')).body).toMatchObject({ priority: 50, quota: { pendingJobs: 100 } });

    const promoted = await t.admin.call<User>('PATCH', '/api/v1/users/alice', { admin: true });
    expect(promoted.body.admin).toBe(true);
    expect((await alice.call('GET', '/api/v1/users')).status).toBe(200);
    const demoted = await t.admin.call<User>('PATCH', '/api/v1/users/alice', { admin: false });
    expect(demoted.body.admin).toBe(false);
    expect((await alice.call('GET', '/api/v1/users')).status).toBe(403);
  });

  it('refuses to take the admin right from the only admin', async () => {
    const me = (await t.admin.call<User>('GET', '/api/v1/users/me')).body;
    const r = await t.admin.call<ErrorReply>('PATCH', `/api/v1/users/${me.name}`, { admin: false });
    expect(r.status).toBe(409);
    expect(r.body.error.field).toBe('admin');
    expect((await t.admin.call<User>('GET', '/api/v1/users/me')).body.admin).toBe(true);
  });

  it('creates a user with a priority and quota when asked', async () => {
    const r = await t.admin.call<{ user: User }>('POST', '/api/v1/users', {
      name: 'carol',
      uid: 2003,
      gid: 2003,
      priority: -100,
      quota: { gpus: 1, cpu: null },
    });
    expect(r.status).toBe(201);
    expect(r.body.user).toMatchObject({ name: 'carol', priority: -100, quota: { gpus: 1 } });
    expect((await t.admin.call<Project>('GET', `${P}/default`)).body.members).toContainEqual({ user: 'carol', shares: 1 });
  });

  it('resets the cumulative cpu time of a user in a project, a project, a user, or everyone', async () => {
    // The daemon's engine records cpu time; here a second connection to its database stands in for it.
    const store = SqliteStore.open(join(t.dataDir, 'godocker.db'));
    try {
      const seed = async () => {
        await store.resetCpuTime();
        await store.addCpuTime('genomics', 'alice', 0, 100);
        await store.addCpuTime('genomics', 'alice', 3600, 100);
        await store.addCpuTime('default', 'alice', 0, 10);
        await store.addCpuTime('default', 'bob', 0, 1);
      };
      const left = async () => (await store.cpuTimeSince(0)).map((r) => `${r.project}/${r.user}=${r.cpuSeconds}`).sort();
      const reset = (body: object) => t.admin.call<ResetUsageResult>('POST', '/api/v1/usage/reset', body);

      await seed();
      const one = await reset({ project: 'genomics', user: 'alice' });
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ project: 'genomics', user: 'alice', buckets: 2 });
      expect(await left()).toEqual(['default/alice=10', 'default/bob=1']);

      await seed();
      expect((await reset({ user: 'alice' })).body).toEqual({ project: null, user: 'alice', buckets: 3 });
      expect(await left()).toEqual(['default/bob=1']);

      await seed();
      expect((await reset({ project: 'default' })).body.buckets).toBe(2);
      expect(await left()).toEqual(['genomics/alice=200']);

      await seed();
      expect((await reset({})).body).toEqual({ project: null, user: null, buckets: 4 });
      expect(await left()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('describes the new routes in the OpenAPI document', async () => {
    const doc = (
      await t.admin.call<{ paths: Record<string, Record<string, { summary?: string }>> }>('GET', '/api/v1/openapi.json')
    ).body;
    for (const [path, method] of [
      ['/api/v1/projects', 'get'],
      ['/api/v1/projects', 'post'],
      ['/api/v1/projects/{name}', 'patch'],
      ['/api/v1/projects/{name}/members', 'post'],
      ['/api/v1/projects/{name}/members/{user}', 'patch'],
      ['/api/v1/projects/{name}/members/{user}', 'delete'],
      ['/api/v1/users/{name}', 'get'],
      ['/api/v1/users/{name}', 'patch'],
      ['/api/v1/usage/reset', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.summary, `${method} ${path}`).toBeTruthy();
    }
  });
});
