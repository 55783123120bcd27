/**
 * Many Docker hosts (the docker executor's `engines:`): two real engines, this machine's over
 * its unix socket and a second one over TCP with TLS, each a node. Jobs spread by capacity;
 * a stopped engine marks its node down at once (from its event stream, not a timer), its job
 * is requeued once after `nodeLostSeconds` and runs on the other; when the engine is back its
 * node is ready again and what it kept of the moved job (the second engine runs with
 * live-restore, so its container outlived the stop) is removed: none runs twice. A drained
 * node gets nothing new.
 */
import type { Job, NodeList, NodeView } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { type SecondEngine, secondEngine } from './helpers/second-engine.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

const runs = (job: Job) => job.status.history.filter((h) => h.state === 'running').length;
// busybox sleep as PID 1 ignores SIGTERM: a job that stops when its engine asks it to.
const script = (seconds: number) => `trap 'exit 143' TERM; i=0; while [ $i -lt ${seconds * 5} ]; do sleep 0.2; i=$((i+1)); done`;

describe('many Docker hosts', () => {
  let engine2: SecondEngine;
  let t: TestDaemon;
  let alice: Caller;

  beforeAll(async () => {
    engine2 = secondEngine();
    await engine2.start();
    t = await startTestDaemon('docker', {
      executor: {
        options: {
          engines: [
            { name: 'e1', socketPath: '/var/run/docker.sock', capacity: { cpu: 1, ram: 2048 } },
            { name: 'e2', host: engine2.host, tls: engine2.tls, capacity: { cpu: 1, ram: 2048 }, labels: { disk: 'ssd' } },
          ],
        },
      },
      // Nodes change on the engines' events: a reconcile tick this far off would be too late for every check below.
      scheduler: { reconcileSeconds: 600, failurePolicy: { requeues: 1, nodeLostSeconds: 2 } },
    });
    alice = await t.addUser('alice', 2001);
  });
  afterAll(async () => {
    await t?.stop();
    await engine2?.start().catch(() => undefined);
  });

  const nodes = async (): Promise<NodeView[]> => (await t.admin.call<NodeList>('GET', '/api/v1/nodes')).body.nodes;
  const node = async (name: string) => (await nodes()).find((n) => n.name === name);
  const get = async (id: number) => (await alice.call<Job>('GET', `/api/v1/jobs/${id}`)).body;
  const submit = async (body: Record<string, unknown>) => {
    const r = await alice.call<Job>('POST', '/api/v1/jobs', body);
    expect(r.status, r.text).toBe(201);
    return r.body.id;
  };
  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, seconds = 30): Promise<T> {
    for (let i = 0; i < seconds * 10; i++) {
      const v = await probe();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}${what === 'the job requeued' ? '' : ''}`);
  }
  const containersOf = async (id: number) =>
    (
      await engine2.docker(
        'ps',
        '-aq',
        '--filter',
        `label=godocker.job=${id}`,
        '--filter',
        `label=godocker.cluster=${t.daemon.clusterId}`,
      )
    )
      .split('\n')
      .filter(Boolean);

  it('reports both engines as nodes and spreads jobs over them by capacity', async () => {
    expect((await nodes()).map((n) => [n.name, n.state, n.capacity.cpu])).toEqual([
      ['e1', 'ready', 1],
      ['e2', 'ready', 1],
    ]);
    const a = await submit({ command: { script: 'sleep 1' }, requirements: { cpu: 1 } });
    const b = await submit({ command: { script: 'sleep 1' }, requirements: { cpu: 1 } });
    const [ja, jb] = [await waitJob(alice, a, 'started'), await waitJob(alice, b, 'started')];
    expect([ja.status.node, jb.status.node].sort()).toEqual(['e1', 'e2']);
    for (const id of [a, b]) expect((await waitJob(alice, id)).status.state).toBe('done');
  });

  it('a constraint only the TLS engine satisfies runs there', async () => {
    const id = await submit({ command: { script: 'echo on-ssd' }, requirements: { labels: { disk: 'ssd' } } });
    const job = await waitJob(alice, id);
    expect(job.status).toMatchObject({ state: 'done', node: 'e2' });
  });

  it('an engine stopped mid-run: its node goes down at once, its job is requeued once and runs on the other, and none runs twice once it is back', async () => {
    // e1 busy for a while, so the requeued job has to wait for it: it cannot go back to e2.
    const busy = await submit({ command: { script: script(6) }, requirements: { cpu: 1, labels: {} } });
    expect((await waitJob(alice, busy, 'started')).status.node).toBe('e1');
    const moved = await submit({ command: { script: `${script(4)}; echo finished` }, requirements: { cpu: 1 } });
    expect((await waitJob(alice, moved, 'started')).status.node).toBe('e2');

    await engine2.stop();
    const down = await until('e2 down', async () => {
      const n = await node('e2');
      return n?.state === 'down' ? n : undefined;
    });
    expect(down.downReason).toBeTruthy();
    // A job only e2 can run waits, saying which of its labels only a down node has.
    const ssd = await submit({ command: { script: 'echo ssd' }, requirements: { cpu: 0.5, labels: { disk: 'ssd' } } });
    const why = await until('a reason for the ssd job', async () => {
      const r = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${ssd}/explain`);
      return r.body.code === 'NodesDown' ? r.body : undefined;
    });
    expect(why.message).toMatch(/^only nodes that are down or drained can run it \(the nodes with disk=ssd\): e2 \(down: .+\)$/);

    let seen: Job | undefined;
    const requeued = await until('the job requeued', async () => {
      const job = await get(moved);
      seen = job;
      return job.status.history.some((h) => h.reason.includes('its node e2 has not answered')) ? job : undefined;
    });
    expect(requeued, JSON.stringify(seen?.status)).toBeDefined();
    expect(requeued.status.history.map((h) => h.reason)).toContainEqual(
      expect.stringMatching(/^requeued: its node e2 has not answered for \d+ s \(requeue 1 of 1\)$/),
    );
    // Pending until e1 frees up, and saying why: the node that fits it best is down.
    const ended = await waitJob(alice, moved, 'terminated', 60);
    expect(ended.status).toMatchObject({ state: 'done', node: 'e1' });
    expect(runs(ended)).toBe(2);

    await engine2.start();
    await until('e2 ready again', async () => (await node('e2'))?.state === 'ready');
    expect((await waitJob(alice, ssd)).status).toMatchObject({ state: 'done', node: 'e2' });
    // What e2 kept of the job's first run is removed: it now belongs to e1's run.
    await until('no container of the moved job on e2', async () => (await containersOf(moved)).length === 0);
    expect((await get(busy)).status.state).toMatch(/running|done/);
    await waitJob(alice, busy);
  });

  it('a drained node gets nothing new; resumed, it takes work again', async () => {
    expect((await t.admin.call('POST', '/api/v1/nodes/e2/drain', { reason: 'disk swap' })).status).toBe(200);
    const first = await submit({ command: { script: 'sleep 2' }, requirements: { cpu: 1 } });
    const second = await submit({ command: { script: 'true' }, requirements: { cpu: 1 } });
    expect((await waitJob(alice, first, 'started')).status.node).toBe('e1');
    const waiting = await until('the second job waits for e1', async () => {
      const job = await get(second);
      return job.status.state === 'pending' && job.status.reason.length > 0 ? job : undefined;
    });
    expect(waiting.status.node).toBeNull();
    expect((await waitJob(alice, second)).status.node).toBe('e1');
    expect((await t.admin.call('POST', '/api/v1/nodes/e2/resume')).status).toBe(200);
    const third = await submit({ command: { script: 'true' }, requirements: { labels: { disk: 'ssd' } } });
    expect((await waitJob(alice, third)).status).toMatchObject({ state: 'done', node: 'e2' });
  });
});
