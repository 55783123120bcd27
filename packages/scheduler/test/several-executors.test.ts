/**
 * Several executors at once (`executors:`): the main Docker engine, the test swarm
 * (scripts/swarm-up.sh) and the test Kubernetes cluster (scripts/k8s-up.sh) behind one daemon. Each node is named EXECUTOR/NODE and carries the
 * executor label; a job without `executor` goes to the first; `executor: swarm` runs on the
 * swarm; an unknown name is refused at submit and stores nothing; what one executor cannot
 * do (suspend on Swarm) is refused naming that executor, while the other does it.
 */
import { EXECUTOR_LABEL, type Job, type JobList, type NodeList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import {
  ensureK8sNamespace,
  K8S_KUBECONFIG,
  K8S_NAMESPACE,
  SWARM_SOCKET,
  startTestDaemon,
  type TestDaemon,
  waitJob,
} from './helpers/test-daemon.js';

describe('several executors at once', () => {
  let t: TestDaemon;
  let alice: Caller;

  beforeAll(async () => {
    ensureK8sNamespace();
    t = await startTestDaemon('docker', {
      executors: [
        { name: 'docker', type: 'docker', options: { capacity: { cpu: 4, ram: 4096 } } },
        {
          name: 'swarm',
          type: 'swarm',
          options: { socketPath: SWARM_SOCKET, capacity: { cpu: 4, ram: 4096 }, reserveResources: false },
        },
        {
          name: 'k8s',
          type: 'kubernetes',
          options: { kubeconfig: K8S_KUBECONFIG, namespace: K8S_NAMESPACE, imagePullPolicy: 'Never', killGraceSeconds: 1 },
        },
      ],
    });
    alice = await t.addUser('alice', 2001);
  });
  afterAll(async () => t?.stop());

  const submit = async (body: Record<string, unknown>) => {
    const r = await alice.call<Job>('POST', '/api/v1/jobs', body);
    expect(r.status, r.text).toBe(201);
    return r.body;
  };

  it('lists the nodes of each, named by its executor and carrying its label', async () => {
    const { nodes } = (await alice.call<NodeList>('GET', '/api/v1/nodes')).body;
    const docker = nodes.filter((n) => n.name.startsWith('docker/'));
    const swarm = nodes.filter((n) => n.name.startsWith('swarm/'));
    expect(docker).toHaveLength(1);
    expect(swarm.length).toBeGreaterThanOrEqual(1);
    for (const n of docker) expect(n.labels[EXECUTOR_LABEL]).toBe('docker');
    for (const n of swarm) expect(n.labels[EXECUTOR_LABEL]).toBe('swarm');
  });

  it('runs a job on the first executor unless it asks for another', async () => {
    const plain = await submit({ command: { script: 'echo plain' } });
    expect(plain.requirements.labels[EXECUTOR_LABEL]).toBe('docker');
    const onSwarm = await submit({ command: { script: 'echo swarm' }, requirements: { executor: 'swarm' } });
    const [a, b] = [await waitJob(alice, plain.id), await waitJob(alice, onSwarm.id)];
    expect(a.status.state).toBe('done');
    expect(a.status.node).toMatch(/^docker\//);
    expect(b.status.state).toBe('done');
    expect(b.status.node).toMatch(/^swarm\//);
    expect((await alice.call('GET', `/api/v1/jobs/${b.id}/logs/stdout`)).text).toBe('swarm\n');
  });

  it('runs a job on Kubernetes when asked, on the node its constraint names (a nodeSelector there too)', async () => {
    const { nodes } = (await alice.call<NodeList>('GET', '/api/v1/nodes')).body;
    const k8s = nodes.filter((n) => n.name.startsWith('k8s/'));
    expect(k8s.map((n) => n.name)).toEqual(['k8s/127.0.0.1']);
    expect(k8s[0]?.labels).toMatchObject({ [EXECUTOR_LABEL]: 'k8s', 'kubernetes.io/hostname': '127.0.0.1' });
    const job = await submit({
      command: { script: 'echo on k8s; echo err >&2' },
      requirements: { executor: 'k8s', labels: { 'kubernetes.io/hostname': '127.0.0.1' } },
    });
    const done = await waitJob(alice, job.id);
    expect(done.status).toMatchObject({ state: 'done', node: 'k8s/127.0.0.1' });
    expect((await alice.call('GET', `/api/v1/jobs/${job.id}/logs/stdout`)).text).toBe('on k8s\n');
    expect((await alice.call('GET', `/api/v1/jobs/${job.id}/logs/stderr`)).text).toBe('err\n');
  });

  it('refuses an executor it does not have, saying which it has, and stores nothing', async () => {
    const before = (await alice.call<JobList>('GET', '/api/v1/jobs?limit=1000')).body.jobs.length;
    const r = await alice.call<{ error: { code: string; message: string; field: string } }>('POST', '/api/v1/jobs', {
      command: { script: 'true' },
      requirements: { executor: 'mesos' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({
      field: 'requirements.executor',
      message: 'no executor named "mesos" (this daemon runs: docker, swarm, k8s)',
    });
    expect((await alice.call<JobList>('GET', '/api/v1/jobs?limit=1000')).body.jobs.length).toBe(before);
  });

  it('refuses suspend on the swarm job, naming swarm, and suspends the docker one', async () => {
    const onSwarm = await submit({ command: { script: 'sleep 300' }, requirements: { executor: 'swarm' } });
    const onDocker = await submit({ command: { script: 'sleep 300' } });
    await waitJob(alice, onSwarm.id, 'started');
    await waitJob(alice, onDocker.id, 'started');
    const refused = await alice.call<{ error: { code: string; message: string } }>('POST', `/api/v1/jobs/${onSwarm.id}/actions`, {
      action: 'suspend',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'GOD_NOT_SUPPORTED', message: 'the swarm executor cannot suspend jobs' });
    const done = await alice.call<Job>('POST', `/api/v1/jobs/${onDocker.id}/actions`, { action: 'suspend' });
    expect(done.status, done.text).toBe(200);
    expect(done.body.status.state).toBe('suspended');
    for (const id of [onSwarm.id, onDocker.id]) {
      await alice.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'kill' });
      expect((await waitJob(alice, id)).status.state).toBe('failed');
    }
  });
});
