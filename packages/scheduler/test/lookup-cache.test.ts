/**
 * The store keeps the user of a token and the projects it was asked for, so that a
 * submit does not read them again each time; an answer never outlives a change to what
 * it read, whether this store or another connection to the same file made it. Real
 * SQLite files, two connections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../src/auth/tokens.js';
import { SqliteStore } from '../src/store/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'godocker-lookups-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AT = '2024-01-01T00:00:00.000Z';
let path: string;
let store: SqliteStore;
let other: SqliteStore;
let n = 0;

beforeEach(async () => {
  path = join(dir, `lookups-${n++}.db`);
  store = SqliteStore.open(path);
  await store.migrate();
  other = SqliteStore.open(path);
  await store.createUser({ name: 'ana', uid: 1001, gid: 1001, home: '/home/ana', admin: false, createdAt: AT });
  await store.addToken('ana', hashToken('token-of-ana-0123456789'), 'test');
  return async () => {
    await other.close();
    await store.close();
  };
});

describe('cached lookups', () => {
  it('answers a token from the cache until this store changes its user', async () => {
    const first = (await store.findToken(hashToken('token-of-ana-0123456789')))?.user;
    expect(first).toMatchObject({ name: 'ana', admin: false, priority: 0 });
    expect((await store.findToken(hashToken('token-of-ana-0123456789')))?.user).toBe(first);
    await store.updateUser('ana', { admin: true, priority: 5 });
    expect((await store.findToken(hashToken('token-of-ana-0123456789')))?.user).toMatchObject({ admin: true, priority: 5 });
  });

  it('sees what another connection committed: a user changed, a token added, a project changed', async () => {
    await store.findToken(hashToken('token-of-ana-0123456789'));
    expect(await store.findToken(hashToken('a-token-not-yet-added'))).toBeNull();
    await store.createProject({ name: 'genomics', description: 'x', shares: 1, priority: 0, quota: {}, createdAt: AT });
    expect(await store.getProject('genomics')).toMatchObject({ shares: 1, members: [] });

    await other.updateUser('ana', { priority: 7 });
    await other.addToken('ana', hashToken('a-token-not-yet-added'), 'later');
    await other.updateProject('genomics', { shares: 4 });
    await other.addMember('genomics', 'ana', 2);
    // As the next request comes: in a later turn of the event loop (the store reads the database's version once a turn).
    await setImmediate();

    expect((await store.findToken(hashToken('token-of-ana-0123456789')))?.user).toMatchObject({ priority: 7 });
    expect((await store.findToken(hashToken('a-token-not-yet-added')))?.user).toMatchObject({ name: 'ana' });
    expect(await store.getProject('genomics')).toMatchObject({ shares: 4, members: [{ user: 'ana', shares: 2 }] });
  });

  it('forgets a project when this store changes it or its members, or deletes it', async () => {
    await store.createProject({ name: 'p', description: '', shares: 1, priority: 0, quota: {}, createdAt: AT });
    await store.getProject('p');
    await store.addMember('p', 'ana', 3);
    expect((await store.getProject('p'))?.members).toEqual([expect.objectContaining({ user: 'ana', shares: 3 })]);
    await store.updateMember('p', 'ana', 1);
    expect((await store.getProject('p'))?.members).toEqual([expect.objectContaining({ user: 'ana', shares: 1 })]);
    await store.removeMember('p', 'ana');
    await store.deleteProject('p');
    expect(await store.getProject('p')).toBeNull();
  });

  it('hands out answers nobody can change for the next caller', async () => {
    const user = (await store.findToken(hashToken('token-of-ana-0123456789')))?.user;
    expect(() => {
      (user as { admin: boolean }).admin = true;
    }).toThrow(TypeError);
    expect((await store.findToken(hashToken('token-of-ana-0123456789')))?.user).toMatchObject({ admin: false });
  });
});
