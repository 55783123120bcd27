/**
 * The Kubernetes API server stops answering the daemon for 30 s under a queue of jobs. The cluster
 * itself goes on (scripts/k8s-up.sh); the daemon reaches the API server through a relay the test
 * cuts (plugins/test/helpers/tcp-cut.ts): a refused port, connections reset under open watches.
 * What a user relies on: no job fails for it, the jobs that were running end as they really ended,
 * the queue runs once the API server is back, and none runs twice.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayedKubeconfig } from '../../plugins/test/helpers/kubernetes.js';
import type { TcpCut } from '../../plugins/test/helpers/tcp-cut.js';
import type { Caller } from './helpers/api-caller.js';
import {
  ensureK8sNamespace,
  K8S_NAMESPACE,
  startTestDaemon,
  type TestDaemon,
  tasksOf,
  until,
  waitJob,
} from './helpers/test-daemon.js';

const OUTAGE_MS = 30_000;

describe('the Kubernetes API server does not answer for 30 s under a queue of jobs', () => {
  let relay: TcpCut;
  let t: TestDaemon;
  let alice: Caller;
  const scratch = mkdtempSync(join(tmpdir(), 'godocker-k8s-api-outage-'));
  const runs = join(scratch, 'runs');

  beforeAll(async () => {
    const relayed = await relayedKubeconfig(scratch);
    relay = relayed.relay;
    const kubeconfig = relayed.kubeconfig;
    mkdirSync(runs);
    chmodSync(scratch, 0o755);
    chmodSync(runs, 0o777);
    t = await startTestDaemon('kubernetes', {
      executor: { options: { kubeconfig } },
      volumes: [{ name: 'runs', hostPath: runs, containerPath: '/runs', mode: 'rw' }],
      limits: { defaultCpu: 0.25 },
    });
    alice = await t.addUser('alice', 2001);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await relay?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('fails no job: those running end as they ended, the queue runs once it is back, none twice', async () => {
    // mkdir fails on a second run of the same task, so a task run twice would end failed.
    const s = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'mkdir /runs/$GODOCKER_TASK_ID && sleep 3' },
      container: { volumes: [{ name: 'runs' }] },
      array: '1-24',
    });
    expect(s.status).toBe(201);
    const parent = s.body.id;
    await until('some tasks running', 60, async () =>
      (await tasksOf(alice, parent)).some((j) => j.status.state === 'running') ? true : undefined,
    );

    const cutAt = Date.now();
    await relay.cut();
    const waiting = await until('a task waiting for the executor', 20, async () => {
      const j = (await tasksOf(alice, parent)).find((x) => x.status.state === 'pending');
      if (!j) return undefined;
      const why = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${j.id}/explain`);
      return why.body.code === 'ExecutorUnavailable' ? why.body : undefined;
    });
    expect(waiting.message).toMatch(/executor does not answer.*Kubernetes API server does not answer/);
    while (Date.now() - cutAt < OUTAGE_MS) {
      const failed = (await tasksOf(alice, parent)).filter((j) => j.status.state === 'failed');
      expect(failed.map((j) => `${j.id}: ${j.status.reason}`)).toEqual([]);
      await delay(2_000);
    }
    await relay.restore();

    const end = await waitJob(alice, parent, 'terminated', 240);
    const tasks = await tasksOf(alice, parent);
    expect(tasks.filter((j) => j.status.state !== 'done').map((j) => [j.id, j.status.reason])).toEqual([]);
    expect(tasks).toHaveLength(24);
    expect(end.status.state).toBe('done');
    expect(readdirSync(runs)).toHaveLength(24);
  }, 360_000);
});

describe('a daemon with docker and kubernetes starts while the API server does not answer', () => {
  let relay: TcpCut;
  let t: TestDaemon;
  let alice: Caller;
  const scratch = mkdtempSync(join(tmpdir(), 'godocker-k8s-late-'));

  beforeAll(async () => {
    ensureK8sNamespace();
    const relayed = await relayedKubeconfig(scratch);
    relay = relayed.relay;
    const kubeconfig = relayed.kubeconfig;
    await relay.cut();
    t = await startTestDaemon('docker', {
      executors: [
        { name: 'docker', type: 'docker', options: { capacity: { cpu: 4, ram: 4096 } } },
        {
          name: 'k8s',
          type: 'kubernetes',
          options: { kubeconfig, namespace: K8S_NAMESPACE, imagePullPolicy: 'Never', killGraceSeconds: 1 },
        },
      ],
    });
    alice = await t.addUser('alice', 2001);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await relay?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs docker jobs at once; the kubernetes job waits, and runs once the API server answers', async () => {
    const onK8s = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'echo late' },
      requirements: { executor: 'k8s' },
    });
    expect(onK8s.status, onK8s.text).toBe(201);
    const onDocker = await t.run(alice, { command: { script: 'echo now' } });
    expect(onDocker.status).toMatchObject({ state: 'done', node: expect.stringMatching(/^docker\//) });
    await delay(2_000);
    expect((await alice.call<Job>('GET', `/api/v1/jobs/${onK8s.body.id}`)).body.status.state).toBe('pending');
    const why = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${onK8s.body.id}/explain`);
    expect(why.body.code).toBe('ExecutorUnavailable');
    expect(why.body.message).toMatch(/^the k8s executor does not answer: .*Kubernetes API server does not answer/);
    await relay.restore();
    const done = await waitJob(alice, onK8s.body.id, 'terminated', 60);
    expect(done.status).toMatchObject({ state: 'done', node: 'k8s/127.0.0.1' });
    expect((await alice.call('GET', `/api/v1/jobs/${onK8s.body.id}/logs/stdout`)).text).toBe('late\n');
  }, 120_000);
});
