/**
 * The Kubernetes API server stops answering the daemon for 30 s under a queue of jobs. The cluster
 * itself goes on (scripts/k8s-up.sh); the daemon reaches the API server through a relay the test
 * cuts (plugins/test/helpers/tcp-cut.ts): a refused port, connections reset under open watches.
 * What a user relies on: no job fails for it, the jobs that were running end as they really ended,
 * the queue runs once the API server is back, and none runs twice.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayedKubeconfig } from '../../plugins/test/helpers/kubernetes.js';
import type { TcpCut } from '../../plugins/test/helpers/tcp-cut.js';
import type { Caller } from './helpers/api-caller.js';
import { expectOutageLosesNothing } from './helpers/outage.js';
import { ensureK8sNamespace, K8S_NAMESPACE, startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

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
    await expectOutageLosesNothing({
      alice,
      runs,
      tasks: 24,
      seconds: 30,
      cut: () => relay.cut(),
      restore: () => relay.restore(),
      unavailable: /executor does not answer.*Kubernetes API server does not answer/,
    });
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
