/** The pure pieces of the swarm executor, without a swarm. */
import { Readable } from 'node:stream';
import { ConfigError, ExecutorError, TASK_LABELS } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { type LogFrame, logFrames } from '../src/docker/log-frames.js';
import { KEY_LABEL, labelConstraints, scriptConfig, serviceName, serviceSpec, taskNetworks } from '../src/swarm/service-spec.js';
import { nodeConstraint, nodeInfos, nodesByName, nodesFingerprint } from '../src/swarm/swarm-nodes.js';
import { jobTask, nodeOf, type SwarmNode, type SwarmTask, taskOf } from '../src/swarm/swarm-objects.js';
import { parseSwarmOptions } from '../src/swarm/swarm-options.js';
import { exitInfoOfTask, phaseOf, RETIRED_CONSTRAINT, taskError } from '../src/swarm/task-outcome.js';
import { makeRunSpec } from './helpers/run-spec.js';

const serviceOptions = {
  killGraceSeconds: 10,
  network: null,
  reserveResources: true,
  nodeConstraint: 'node.hostname==n1',
  config: null,
};

describe('serviceSpec', () => {
  it('makes one replica, never restarted, limited and reserved, pinned, labelled, as the job user, with no capability', () => {
    const spec = makeRunSpec('c1', 7, { script: 'echo hi', cpu: 1.5, ram: 256, uid: 1000, gid: 100, env: { A: 'b' } });
    spec.job.requirements.labels = { disk: 'ssd' };
    const body = serviceSpec(spec, 'c1', serviceOptions);
    const labels = {
      [TASK_LABELS.cluster]: 'c1',
      [TASK_LABELS.job]: '7',
      [TASK_LABELS.user]: 'alice',
      [KEY_LABEL]: 'godocker-c1-7',
    };
    const limits = { NanoCPUs: 1_500_000_000, MemoryBytes: 256 * 1024 * 1024 };
    expect(body).toEqual({
      Name: 'godocker-c1-7',
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: 'local/busybox:latest',
          Command: ['/bin/sh', '-c', 'echo hi', '/godocker/job.sh'],
          Args: [],
          Env: ['A=b', 'GODOCKER_JOB_ID=7', 'GODOCKER_JOB_DIR=/mnt/godocker'],
          User: '1000:100',
          Labels: labels,
          Mounts: [{ Type: 'bind', Source: spec.jobDir, Target: '/mnt/godocker', ReadOnly: false }],
          Init: false,
          TTY: false,
          OpenStdin: false,
          CapabilityDrop: ['ALL'],
          StopGracePeriod: 10_000_000_000,
        },
        Resources: { Limits: limits, Reservations: limits },
        RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
        Placement: { Constraints: ['node.hostname==n1', 'node.labels.disk==ssd'] },
        Networks: [],
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
  });

  it('mounts binds, keeps root its capabilities, reserves nothing when told, and refers to the script config', () => {
    const spec = makeRunSpec('c1', 8, {
      script: '#!/bin/sh\necho hi\n',
      uid: 0,
      gid: 0,
      mounts: [{ hostPath: '/srv/a:b', containerPath: '/data', readOnly: true }],
    });
    const body = serviceSpec(spec, 'c1', {
      ...serviceOptions,
      reserveResources: false,
      nodeConstraint: null,
      config: { id: 'cfg1', name: 'godocker-c1-8' },
    });
    const template = body.TaskTemplate as { ContainerSpec: Record<string, unknown>; Resources: unknown; Placement: unknown };
    expect(template.ContainerSpec.Command).toEqual(['/godocker/job.sh']);
    // Mounts, unlike Binds, take a colon in a path.
    expect(template.ContainerSpec.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/a:b', Target: '/data', ReadOnly: true },
      { Type: 'bind', Source: spec.jobDir, Target: '/mnt/godocker', ReadOnly: false },
    ]);
    expect(template.ContainerSpec.CapabilityDrop).toBeUndefined();
    expect(template.ContainerSpec.Configs).toEqual([
      { ConfigID: 'cfg1', ConfigName: 'godocker-c1-8', File: { Name: '/godocker/job.sh', UID: '0', GID: '0', Mode: 0o755 } },
    ]);
    expect(template.Resources).toEqual({ Limits: { NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024 } });
    expect(template.Placement).toEqual({ Constraints: [] });
  });

  it('starts with the prelude when there is a workdir, and never sets the engine’s Dir', () => {
    const spec = makeRunSpec('c1', 9, { script: 'pwd', workdir: '/data' });
    const container = (serviceSpec(spec, 'c1', serviceOptions).TaskTemplate as { ContainerSpec: Record<string, unknown> })
      .ContainerSpec;
    expect((container.Command as string[]).slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect((container.Command as string[])[3]).toBe('godocker-start');
    expect(container.Dir).toBeUndefined();
  });
});

describe('names, configs, constraints, networks', () => {
  it('uses the key as the service name when Swarm takes it, else a stable digest of it', () => {
    expect(serviceName('godocker-c1-7')).toBe('godocker-c1-7');
    const dotted = serviceName('godocker-host.example-7');
    expect(dotted).toMatch(/^godocker-[0-9a-f]{40}$/);
    expect(serviceName('godocker-host.example-7')).toBe(dotted);
    expect(serviceName(`godocker-${'x'.repeat(60)}-1`)).toHaveLength(49);
  });

  it('puts a script in a config only when it must be a file, and refuses one over the config limit', () => {
    expect(scriptConfig(makeRunSpec('c1', 1, { script: 'echo short' }), 'c1')).toBeNull();
    const config = scriptConfig(makeRunSpec('c1', 1, { script: '#!/bin/sh\necho é\n' }), 'c1');
    expect(config).toMatchObject({ Name: 'godocker-c1-1', Labels: { [KEY_LABEL]: 'godocker-c1-1' } });
    expect(Buffer.from(config?.Data ?? '', 'base64').toString('utf8')).toBe('#!/bin/sh\necho é\n');
    expect(scriptConfig(makeRunSpec('c1', 1, { script: `echo ${'a'.repeat(70_000)}` }), 'c1')).not.toBeNull();
    expect(() => scriptConfig(makeRunSpec('c1', 1, { script: `#!/bin/sh\n${'a'.repeat(1_024_000)}` }), 'c1')).toThrow(
      ExecutorError,
    );
  });

  it('turns job labels into node label constraints, leaving out what Swarm cannot express', () => {
    expect(
      labelConstraints({ disk: 'ssd', 'rack.row-1_a': 'x 2', 'godocker.io/executor': 'swarm', odd: 'a=b', empty: ' ' }),
    ).toEqual(['node.labels.disk==ssd', 'node.labels.rack.row-1_a==x 2']);
  });

  it('attaches networks: none and the default bridge attach nothing; the option wins for the rest', () => {
    expect(taskNetworks('none', null)).toEqual([]);
    expect(taskNetworks('none', 'jobs-net')).toEqual([]);
    expect(taskNetworks('bridge', null)).toEqual([]);
    expect(taskNetworks('bridge', 'jobs-net')).toEqual([{ Target: 'jobs-net' }]);
    expect(taskNetworks('host', null)).toEqual([{ Target: 'host' }]);
    expect(taskNetworks('my-overlay', null)).toEqual([{ Target: 'my-overlay' }]);
  });
});

function node(id: string, hostname: string, more: Partial<SwarmNode> = {}): SwarmNode {
  return {
    id,
    hostname,
    nanoCpus: 4e9,
    memoryBytes: 8 * 1024 ** 3,
    labels: {},
    state: 'ready',
    availability: 'active',
    ...more,
  };
}

describe('nodes', () => {
  it('reads a node from the engine’s JSON', () => {
    expect(
      nodeOf({
        ID: 'abc',
        Description: { Hostname: 'h1', Resources: { NanoCPUs: 2e9, MemoryBytes: 1024 ** 3 } },
        Spec: { Labels: { disk: 'ssd' }, Availability: 'drain', Role: 'worker' },
        Status: { State: 'ready' },
      }),
    ).toEqual({
      id: 'abc',
      hostname: 'h1',
      nanoCpus: 2e9,
      memoryBytes: 1024 ** 3,
      labels: { disk: 'ssd' },
      state: 'ready',
      availability: 'drain',
    });
  });

  it('reports nodes by host name, by host name/id when names collide, down or drained as the swarm says, with overrides', () => {
    const nodes = [
      node('a1', 'alpha', { labels: { disk: 'ssd' } }),
      node('b1', 'beta'),
      node('b2', 'beta'),
      node('c1', 'gamma', { state: 'down' }),
      node('d1', 'delta', { availability: 'drain' }),
    ];
    expect([...nodesByName(nodes).keys()]).toEqual(['alpha', 'beta/b1', 'beta/b2', 'gamma', 'delta']);
    expect(nodeInfos(nodes, { cpu: null, ram: null, gpus: null })).toEqual([
      { name: 'alpha', cpu: 4, ram: 8192, gpus: 0, labels: { disk: 'ssd' } },
      { name: 'beta/b1', cpu: 4, ram: 8192, gpus: 0, labels: {} },
      { name: 'beta/b2', cpu: 4, ram: 8192, gpus: 0, labels: {} },
      { name: 'gamma', cpu: 4, ram: 8192, gpus: 0, labels: {}, state: 'down', reason: 'the swarm says the node is down' },
      {
        name: 'delta',
        cpu: 4,
        ram: 8192,
        gpus: 0,
        labels: {},
        state: 'drained',
        reason: 'availability drain in the swarm (docker node update --availability)',
      },
    ]);
    expect(nodeInfos([node('a1', 'alpha')], { cpu: 64, ram: 1000, gpus: 2 })).toEqual([
      { name: 'alpha', cpu: 64, ram: 1000, gpus: 2, labels: {} },
    ]);
    expect(nodeConstraint('alpha')).toBe('node.hostname==alpha');
    expect(nodeConstraint('beta/b2')).toBe('node.id==b2');
  });
  it('fingerprints what nodes() answers: the same whatever the order of nodes and labels, otherwise at any change the daemon sees', () => {
    const none = { cpu: null, ram: null, gpus: null };
    const print = (nodes: SwarmNode[]) => nodesFingerprint(nodeInfos(nodes, none));
    const base = print([node('a1', 'alpha', { labels: { disk: 'ssd', zone: 'x' } }), node('b1', 'beta')]);
    expect(print([node('b1', 'beta'), node('a1', 'alpha', { labels: { zone: 'x', disk: 'ssd' } })])).toBe(base);
    const changes: SwarmNode[][] = [
      [node('a1', 'alpha', { labels: { disk: 'ssd', zone: 'x' } })],
      [node('a1', 'alpha', { labels: { disk: 'hdd', zone: 'x' } }), node('b1', 'beta')],
      [node('a1', 'alpha', { labels: { disk: 'ssd', zone: 'x' } }), node('b1', 'beta', { availability: 'pause' })],
      [node('a1', 'alpha', { labels: { disk: 'ssd', zone: 'x' } }), node('b1', 'beta', { state: 'down' })],
      [node('a1', 'alpha', { labels: { disk: 'ssd', zone: 'x' } }), node('b1', 'beta', { nanoCpus: 8e9 })],
      [node('a1', 'alpha', { labels: { disk: 'ssd', zone: 'x' } }), node('b1', 'beta'), node('c1', 'gamma')],
    ];
    for (const nodes of changes) expect(print(nodes)).not.toBe(base);
  });
});

function task(state: string, more: Partial<SwarmTask> = {}): SwarmTask {
  return {
    id: 't1',
    serviceId: 's1',
    nodeId: 'n1',
    createdAt: '2026-01-01T00:00:00.000Z',
    state,
    desiredState: 'running',
    timestamp: '2026-01-01T00:00:05.000Z',
    message: '',
    err: '',
    containerId: 'c0ffee',
    exitCode: 0,
    ...more,
  };
}

const plain = { retired: false, nodeReady: true };

describe('task phases and outcomes', () => {
  it('reads a task from the engine’s JSON, and takes the first one as the job’s', () => {
    const t = taskOf({
      ID: 't9',
      ServiceID: 's1',
      NodeID: 'n1',
      CreatedAt: '2026-01-01T00:00:00Z',
      DesiredState: 'shutdown',
      Status: {
        Timestamp: '2026-01-01T00:00:05Z',
        State: 'failed',
        Err: 'task: non-zero exit (3)',
        ContainerStatus: { ContainerID: 'c1', ExitCode: 3 },
      },
    });
    expect(t).toMatchObject({
      id: 't9',
      state: 'failed',
      desiredState: 'shutdown',
      containerId: 'c1',
      exitCode: 3,
      err: 'task: non-zero exit (3)',
    });
    const replacement = task('pending', { id: 't2', createdAt: '2026-01-01T00:01:00.000Z' });
    expect(jobTask([replacement, t])?.id).toBe('t9');
    expect(jobTask([])).toBeNull();
  });

  it('maps task states to created, running, ended and lost', () => {
    expect(phaseOf(null, plain)).toBe('created');
    for (const s of ['new', 'pending', 'assigned', 'accepted', 'preparing', 'starting'])
      expect(phaseOf(task(s), plain)).toBe('created');
    expect(phaseOf(task('running'), plain)).toBe('running');
    for (const s of ['complete', 'failed', 'rejected']) expect(phaseOf(task(s), plain)).toBe('ended');
    expect(phaseOf(task('orphaned'), plain)).toBe('lost');
    // Stopped by GoDocker's kill: ended; stopped by Swarm itself (its node went down): lost.
    expect(phaseOf(task('shutdown'), { ...plain, retired: true })).toBe('ended');
    expect(phaseOf(task('shutdown'), plain)).toBe('lost');
    expect(phaseOf(task('running', { desiredState: 'shutdown' }), { retired: false, nodeReady: false })).toBe('lost');
    expect(phaseOf(task('running', { desiredState: 'shutdown' }), { retired: true, nodeReady: false })).toBe('running');
    expect(phaseOf(task('running', { desiredState: 'shutdown' }), plain)).toBe('running');
    expect(RETIRED_CONSTRAINT).toMatch(/^node\.id==.*-/);
  });

  it('tells the job’s own exit from a task that could not run', () => {
    expect(taskError(task('failed', { err: 'task: non-zero exit (3)', exitCode: 3 }), 'n1')).toBeNull();
    expect(taskError(task('complete'), 'n1')).toBeNull();
    expect(taskError(task('failed', { err: 'starting container failed: OCI runtime create failed' }), 'n1')).toBe(
      'starting container failed: OCI runtime create failed',
    );
    expect(taskError(task('rejected', { err: 'No such image: local/x:1', containerId: '' }), 'node-7')).toMatch(
      /^image local\/x:1 is not on node node-7; GoDocker does not pull images/,
    );
    expect(
      taskError(task('rejected', { err: 'invalid mount config for type "bind": bind source path does not exist: /x' }), 'n1'),
    ).toMatch(/bind source path does not exist/);
    expect(taskError(task('shutdown', { containerId: '' }), 'n1')).toBe('the task was stopped before its container started');
    expect(taskError(task('shutdown', { exitCode: 143 }), 'n1')).toBeNull();
  });

  it('gives the exit code only when a container ran, and the time of the last state as the end', () => {
    expect(exitInfoOfTask(task('failed', { err: 'task: non-zero exit (3)', exitCode: 3 }), 'n1')).toEqual({
      exitCode: 3,
      signal: null,
      oomKilled: false,
      startedAt: null,
      endedAt: '2026-01-01T00:00:05.000Z',
      error: null,
      cpuSeconds: null,
      maxMemoryMb: null,
    });
    expect(exitInfoOfTask(task('rejected', { err: 'No such image: x', containerId: '', exitCode: 0 }), 'n1').exitCode).toBe(-1);
  });
});

describe('parseSwarmOptions', () => {
  it('defaults the socket from DOCKER_HOST, else /var/run/docker.sock, and the rest', () => {
    expect(parseSwarmOptions({}, {})).toEqual({
      socketPath: '/var/run/docker.sock',
      capacity: { cpu: null, ram: null, gpus: null },
      killGraceSeconds: 10,
      network: null,
      reserveResources: true,
      pollSeconds: 1,
    });
    expect(parseSwarmOptions({}, { DOCKER_HOST: 'unix:///run/m.sock' }).socketPath).toBe('/run/m.sock');
    expect(() => parseSwarmOptions({}, { DOCKER_HOST: 'tcp://10.0.0.1:2376' })).toThrow(ConfigError);
    expect(parseSwarmOptions({ network: 'jobs', reserveResources: false, pollSeconds: 0.25 }, {})).toMatchObject({
      network: 'jobs',
      reserveResources: false,
      pollSeconds: 0.25,
    });
  });
});

describe('logFrames and the engine’s own errors', () => {
  function frame(type: number, payload: string): Buffer {
    const header = Buffer.alloc(8);
    header.writeUInt8(type, 0);
    header.writeUInt32BE(Buffer.byteLength(payload), 4);
    return Buffer.concat([header, Buffer.from(payload)]);
  }

  it('ends with the error a service log carries in a type 3 frame (its node is away), after the frames before it', async () => {
    const body = Buffer.concat([frame(1, 'partial\n'), frame(3, 'Error grabbing logs: node n1 is not available\n')]);
    const seen: LogFrame[] = [];
    const reading = (async () => {
      for await (const f of logFrames(Readable.from([body]))) seen.push(f);
    })();
    await expect(reading).rejects.toThrow('error from daemon in stream: Error grabbing logs: node n1 is not available');
    expect(seen).toEqual([{ stream: 'stdout', data: Buffer.from('partial\n') }]);
  });
});
