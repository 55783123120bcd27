/**
 * Nodes as people see and manage them, on a real daemon with the local executor:
 * `GET /nodes` (what runs where), an admin's drain and resume, jobs that wait on a
 * drained node with a reason that names it, and a drain that outlives a restart.
 */
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job, NodeList, NodeView } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

const CONFIG = { executor: { options: { capacity: { cpu: 4, ram: 4096 }, labels: { disk: 'ssd' } } } };

describe('nodes: list, drain, resume', () => {
  let dataDir: string;
  let home: string;
  let t: TestDaemon;
  let alice: Caller;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'godocker-nodes-'));
    // Alice's home outlives the first daemon (each test daemon removes the homes it made).
    home = await mkdtemp(join(tmpdir(), 'godocker-nodes-home-'));
    await chmod(home, 0o755);
    if (process.getuid?.() === 0) await chown(home, 2001, 2001);
    t = await startTestDaemon('local', CONFIG, dataDir);
    alice = await t.addUser('alice', 2001, 2001, home);
  });
  afterAll(async () => {
    await t?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  const nodes = async (who: Caller) => {
    const r = await who.call<NodeList>('GET', '/api/v1/nodes');
    expect(r.status).toBe(200);
    return r.body.nodes;
  };

  it('lists the node with its capacity, labels and what the running jobs use', async () => {
    const s = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'sleep 2' },
      requirements: { cpu: 1.5, ram: 256 },
    });
    await waitJob(alice, s.body.id, 'started');
    const [node] = await nodes(alice);
    expect(node).toMatchObject({
      state: 'ready',
      drain: null,
      labels: { disk: 'ssd' },
      capacity: { cpu: 4, ram: 4096 },
      used: { cpu: 1.5, ram: 256, gpus: 0 },
      jobs: 1,
    });
    await waitJob(alice, s.body.id);
    expect((await nodes(alice))[0]).toMatchObject({ used: { cpu: 0, ram: 0, gpus: 0 }, jobs: 0 });
  });

  it('lets only admins drain and resume, and names the nodes there are when one is unknown', async () => {
    const name = (await nodes(alice))[0]?.name as string;
    expect((await alice.call('POST', `/api/v1/nodes/${name}/drain`, {})).status).toBe(403);
    expect((await alice.call('POST', `/api/v1/nodes/${name}/resume`, {})).status).toBe(403);
    const unknown = await t.admin.call<{ error: { code: string; message: string } }>('POST', '/api/v1/nodes/nosuch/drain', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain(`no node named "nosuch" (the executor's nodes: ${name}`);
    const bad = await t.admin.call('POST', `/api/v1/nodes/${name}/drain`, { reason: '' });
    expect(bad.status).toBe(400);
    expect((await nodes(alice))[0]?.state).toBe('ready');
  });

  it('starts nothing new on a drained node, lets what runs there finish, says why jobs wait, and keeps the drain across a restart', async () => {
    const name = (await nodes(alice))[0]?.name as string;
    const running = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 2' } });
    await waitJob(alice, running.body.id, 'started');

    const drained = await t.admin.call<NodeView>('POST', `/api/v1/nodes/${name}/drain`, { reason: 'disk swap' });
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ state: 'drained', drain: { reason: 'disk swap', by: 'admin' }, jobs: 1 });

    const waiting = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'true' },
      requirements: { labels: { disk: 'ssd' } },
    });
    expect(waiting.status).toBe(201);
    expect((await waitJob(alice, running.body.id)).status.state).toBe('done');
    const why = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${waiting.body.id}/explain`);
    expect(why.body).toMatchObject({
      code: 'NodesDrained',
      message: `only drained nodes can run it (the nodes with disk=ssd): ${name} (drained by admin: disk swap)`,
    });
    expect((await alice.call<Job>('GET', `/api/v1/jobs/${waiting.body.id}`)).body.status.state).toBe('pending');

    // The drain is the store's, not the process's.
    await t.stop();
    t = await startTestDaemon('local', CONFIG, dataDir);
    alice = caller(t.url, alice.token);
    // Long enough for passes that would start it, were the drain forgotten.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await nodes(alice))[0]).toMatchObject({ state: 'drained', drain: { reason: 'disk swap' } });
    expect((await alice.call<Job>('GET', `/api/v1/jobs/${waiting.body.id}`)).body.status.state).toBe('pending');

    const resumed = await t.admin.call<NodeView>('POST', `/api/v1/nodes/${name}/resume`, {});
    expect(resumed.body).toMatchObject({ state: 'ready', drain: null });
    expect((await waitJob(alice, waiting.body.id)).status.state).toBe('done');
    // Resuming a node that is not drained changes nothing, as `kubectl uncordon` does.
    const again = await t.admin.call<NodeView>('POST', `/api/v1/nodes/${name}/resume`, {});
    expect([again.status, again.body.state]).toEqual([200, 'ready']);
  });
});
