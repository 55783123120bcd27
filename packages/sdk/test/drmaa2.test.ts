/**
 * The DRMAA2 suite in both modes, embedded and HTTP, plus what only a remote
 * client can show: a lost answer to a submit, and another user's token.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type FetchFn, GodockerClient, InvalidSessionError, saveLogin } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDrmaa2Suite } from './drmaa2.suite.js';
import { type RunningDaemon, startDockerDaemon, startEmbedded } from './helpers/docker-daemon.js';

describeDrmaa2Suite('embedded', async () => {
  const scheduler = await startEmbedded();
  return { manager: scheduler, url: scheduler.url, token: scheduler.token, stop: () => scheduler.close() };
});

describeDrmaa2Suite('HTTP', async () => {
  const daemon = await startDockerDaemon();
  const manager = await connect({ url: daemon.url, token: daemon.token });
  return { manager, url: daemon.url, token: daemon.token, stop: () => daemon.stop() };
});

describe('DRMAA2 over HTTP only', () => {
  let daemon: RunningDaemon;

  beforeAll(async () => {
    daemon = await startDockerDaemon();
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('makes exactly one job when the answer to runJob is lost and the submit is retried', async () => {
    let submits = 0;
    const keys: string[] = [];
    // The request reaches the daemon (the job is stored), then the connection "drops".
    const lossy: FetchFn = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'POST' && String(input).endsWith('/api/v1/jobs')) {
        keys.push(new Headers(init.headers).get('idempotency-key') ?? '');
        if (++submits === 1) {
          await res.arrayBuffer();
          throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
        }
      }
      return res;
    };
    const manager = await connect({ url: daemon.url, token: daemon.token, fetch: lossy });
    const session = await manager.createJobSession();
    const job = await session.runJob({ remoteCommand: 'true' });
    expect(submits).toBe(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await session.getJobs()).map((j) => j.id)).toEqual([job.id]);
  });

  it('connects from GODOCKER_URL / GODOCKER_TOKEN, and refuses a missing token', async () => {
    const manager = await connect({ env: { GODOCKER_URL: daemon.url, GODOCKER_TOKEN: daemon.token, HOME: '/nonexistent' } });
    expect(manager.url).toBe(daemon.url);
    expect(manager.user.name).toBe('admin');
    await expect(connect({ env: { GODOCKER_URL: daemon.url, HOME: '/nonexistent' } })).rejects.toThrow(/no token/);
  });

  it('connects with the login saved by `godocker login` when nothing else is given', async () => {
    const home = await mkdtemp(join(tmpdir(), 'godocker-login-'));
    try {
      const env = { HOME: home };
      saveLogin({ url: daemon.url, token: daemon.token }, env);
      const manager = await connect({ env });
      expect(manager.url).toBe(daemon.url);
      expect(await manager.getJobSessionNames()).toEqual(expect.any(Array));
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('keeps sessions per user: another user cannot open mine', async () => {
    const admin = await connect({ url: daemon.url, token: daemon.token });
    const created = await admin.client.createUser({ name: 'carol', uid: 2010, gid: 2010 });
    const carol = await connect({ client: new GodockerClient({ url: daemon.url, token: created.token }) });
    const mine = await admin.createJobSession();
    await expect(carol.openJobSession(mine.name)).rejects.toBeInstanceOf(InvalidSessionError);
    expect(await carol.getJobSessionNames()).toEqual([]);
    const hers = await carol.createJobSession(mine.name);
    expect(hers.owner).toBe('carol');
  });
});
