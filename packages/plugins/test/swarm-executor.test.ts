/**
 * The swarm executor against a real one-node swarm (no mocks): the manager engine that
 * scripts/swarm-up.sh starts on its own socket, with local/busybox:latest built into it.
 * If it does not answer, every test fails with how to start it.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ConfigError,
  type Executor,
  ExecutorError,
  ExecutorUnavailableError,
  type ExitInfo,
  NotSupportedError,
  type RunSpec,
  TASK_LABELS,
  type TaskHandle,
} from '@godocker/sdk';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwarmExecutor, parseSwarmOptions } from '../src/index.js';
import { KEY_LABEL } from '../src/swarm/service-spec.js';
import { SwarmExecutor } from '../src/swarm/swarm-executor.js';
import { makeRunSpec, type RunSpecOverrides, testLogger } from './helpers/run-spec.js';
import { joinSwarmWorker, requireSwarm, SWARM_SOCKET, type SwarmWorker, swarmDocker } from './helpers/swarm.js';

const clusterId = `swarmtest-${process.pid}-${Date.now()}`;
const docker = new Docker({ socketPath: SWARM_SOCKET });
const context = { clusterId, dataDir: '/tmp', logger: testLogger };

let executor: Executor;
let scratch: string;
/** The swarm's only node, by the name nodes() gives it, and its id. */
let nodeName: string;
let nodeId: string;
let nextJobId = 1;

function spec(overrides: RunSpecOverrides = {}): RunSpec {
  const jobId = nextJobId++;
  return makeRunSpec(clusterId, jobId, { jobDir: join(scratch, 'logs', String(jobId)), node: nodeName, ...overrides });
}

interface Finished {
  handle: TaskHandle;
  exit: ExitInfo;
  stdout: string;
  stderr: string;
}

/** start, wait, collect: what the daemon does with every job. */
async function run(overrides: RunSpecOverrides = {}, on: Executor = executor): Promise<Finished> {
  const s = spec(overrides);
  const handle = await on.start(s);
  const exit = await on.wait(handle);
  await on.collect(handle, s.jobDir);
  return {
    handle,
    exit,
    stdout: await readFile(join(s.jobDir, 'stdout'), 'utf8'),
    stderr: await readFile(join(s.jobDir, 'stderr'), 'utf8'),
  };
}

async function snapshot(handle: TaskHandle, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  return text(await executor.logs(handle, stream, { follow: false }));
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(200);
  }
}

/** The services of this test run with `key` (by our label: the name filter matches prefixes). */
async function servicesOf(key: string): Promise<Docker.Service[]> {
  return docker.listServices({ filters: { label: [`${KEY_LABEL}=${key}`] } });
}

async function containerOf(handle: TaskHandle): Promise<Docker.ContainerInspectInfo> {
  const tasks = (await docker.listTasks({ filters: { service: [handle.id ?? ''] } })) as {
    Status?: { ContainerStatus?: { ContainerID?: string } };
  }[];
  const id = tasks[0]?.Status?.ContainerStatus?.ContainerID ?? '';
  return docker.getContainer(id).inspect();
}

const counter = 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done';
const lineCount = (s: string): number => s.split('\n').filter((l) => l !== '').length;

beforeAll(async () => {
  requireSwarm();
  scratch = await mkdtemp(join(tmpdir(), 'godocker-swarm-test-'));
  executor = await createSwarmExecutor({ socketPath: SWARM_SOCKET, killGraceSeconds: 1, pollSeconds: 0.5 }, context);
  const [node] = await executor.nodes();
  if (!node) throw new Error(`the swarm on ${SWARM_SOCKET} has no ready, active node`);
  nodeName = node.name;
  nodeId = swarmDocker('info', '--format', '{{.Swarm.NodeID}}').trim();
});

afterAll(async () => {
  await executor?.close();
  const filters = { label: [`${TASK_LABELS.cluster}=${clusterId}`] };
  const services = await docker.listServices({ filters }).catch(() => []);
  await Promise.all(
    services.map((s) =>
      docker
        .getService(s.ID)
        .remove()
        .catch(() => undefined),
    ),
  );
  const configs = (await docker.listConfigs({ filters }).catch(() => [])) as { ID: string }[];
  await Promise.all(
    configs.map((c) =>
      docker
        .getConfig(c.ID)
        .remove()
        .catch(() => undefined),
    ),
  );
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('swarm executor: running scripts', () => {
  it('runs a job to exit 0 and collects stdout and stderr into files', async () => {
    const r = await run({ script: 'echo hello; echo oops >&2' });
    expect(r.exit).toMatchObject({ exitCode: 0, signal: null, oomKilled: false, error: null });
    // On the manager's own engine the container says when it ran.
    expect(r.exit.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Date.parse(r.exit.endedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(r.exit.startedAt ?? ''));
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toBe('oops\n');
    expect(r.handle.id).toMatch(/^[a-z0-9]{25}$/);
    expect(r.handle.node).toBe(nodeName);
  });

  it('reports the exit code of `exit 3`, and `exit 130` as a code, not a signal', async () => {
    const [three, other] = await Promise.all([run({ script: 'exit 3' }), run({ script: 'exit 130' })]);
    expect(three.exit).toMatchObject({ exitCode: 3, signal: null, oomKilled: false, error: null });
    expect(other.exit).toMatchObject({ exitCode: 130, signal: null, error: null });
  });

  it('runs as the spec uid:gid with no capabilities, args and env given', async () => {
    const r = await run({
      script: 'id -u; id -g; grep CapBnd /proc/self/status; echo "n=$# 1=$1 greeting=$GREETING"',
      args: ['a b'],
      env: { GREETING: 'hi there' },
      uid: 1234,
      gid: 2345,
    });
    expect(r.stdout).toBe('1234\n2345\nCapBnd:\t0000000000000000\nn=1 1=a b greeting=hi there\n');
  });

  it('runs a #!/bin/sh script from a Docker config, owned by the job user, then removes the config', async () => {
    const s = spec({
      script: '#!/bin/sh\necho "via $0 $1"; id -u; stat -c "%u:%g %a" /godocker/job.sh\n',
      args: ['arg1'],
      uid: 1234,
      gid: 2345,
    });
    const handle = await executor.start(s);
    expect(await executor.wait(handle)).toMatchObject({ exitCode: 0, error: null });
    const configs = await docker.listConfigs({ filters: { label: [`${KEY_LABEL}=${s.key}`] } });
    expect(configs).toHaveLength(1);
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('via /godocker/job.sh arg1\n1234\n1234:2345 755\n');
    expect(await docker.listConfigs({ filters: { label: [`${KEY_LABEL}=${s.key}`] } })).toHaveLength(0);
  });

  it('refuses at start a script that must be a file and is over the config limit; nothing is created', async () => {
    const s = spec({ script: `#!/bin/sh\n${'#'.repeat(1_100_000)}\n` });
    const error = await executor.start(s).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as Error).message).toMatch(/at most 1023999 bytes/);
    expect(await servicesOf(s.key)).toHaveLength(0);
  });

  it('puts cpu and memory limits (and reservations) on the service and its container, and labels on both', async () => {
    const s = spec({
      script: 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max; sleep 2',
      cpu: 0.5,
      ram: 64,
    });
    const handle = await executor.start(s);
    const service = await docker.getService(handle.id ?? '').inspect();
    const resources = { NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024 };
    expect(service.Spec.TaskTemplate.Resources).toEqual({ Limits: resources, Reservations: resources });
    const labels = { [TASK_LABELS.cluster]: clusterId, [TASK_LABELS.job]: String(s.job.id), [TASK_LABELS.user]: 'alice' };
    expect(service.Spec.Labels).toMatchObject(labels);
    expect(service.Spec.TaskTemplate.ContainerSpec.Labels).toMatchObject(labels);
    expect(service.Spec.TaskTemplate.ContainerSpec.User).toBe('1234:1234');
    expect(service.Spec.TaskTemplate.RestartPolicy).toMatchObject({ Condition: 'none' });
    expect(service.Spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(service.Spec.TaskTemplate.Placement.Constraints).toEqual([`node.hostname==${nodeName}`]);
    await until(async () => (await executor.status(handle)).state !== 'created');
    const container = await containerOf(handle);
    expect(container.HostConfig).toMatchObject({ NanoCpus: 500_000_000, Memory: 64 * 1024 * 1024 });
    expect(container.Config.Labels).toMatchObject(labels);
    expect((await executor.wait(handle)).exitCode).toBe(0);
    await executor.collect(handle, s.jobDir);
    expect((await readFile(join(s.jobDir, 'stdout'), 'utf8')).trim()).toMatch(/^50000( 100000)?$/);
  });

  it('reports a job over its memory as OOM-killed (read from the container on the manager)', async () => {
    // Command substitution keeps the whole 100 MB in the shell's own memory.
    const r = await run({ script: "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived", ram: 16 });
    expect(r.exit).toMatchObject({ oomKilled: true, exitCode: 137, signal: 'SIGKILL', error: null });
    expect(r.stdout).not.toContain('survived');
  });

  it('bind-mounts a host folder, and enters the workdir as the job user', async () => {
    const host = join(scratch, 'volume');
    await mkdir(host);
    await chmod(host, 0o777);
    await writeFile(join(host, 'in.txt'), 'from host\n');
    const r = await run({
      script: 'pwd; cat in.txt; echo made by job > out.txt',
      workdir: '/data',
      mounts: [{ hostPath: host, containerPath: '/data', readOnly: false }],
    });
    expect(r.exit).toMatchObject({ exitCode: 0, error: null });
    expect(r.stdout).toBe('/data\nfrom host\n');
    expect((await stat(join(host, 'out.txt'))).uid).toBe(1234);
    const ro = await run({
      script: 'echo x > /data/ro.txt',
      mounts: [{ hostPath: host, containerPath: '/data', readOnly: true }],
    });
    expect(ro.exit.exitCode).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
  });

  it('a missing working directory is a start failure read from the prelude; nothing runs', async () => {
    const r = await run({ script: 'echo ran', workdir: '/no/such/dir' });
    expect(r.exit).toMatchObject({
      error: 'working directory /no/such/dir does not exist',
      exitCode: -1,
      signal: null,
      startedAt: null,
    });
    expect(r.stdout).toBe('');
  });

  it('an image missing on the node ends the task with an error that says so', async () => {
    const s = spec({ image: 'local/no-such-image:never' });
    const handle = await executor.start(s);
    const exit = await executor.wait(handle);
    expect(exit.error).toBe(
      `image local/no-such-image:never is not on node ${nodeName}; GoDocker does not pull images: ` +
        'load it on every node of the swarm (docker load, docker import or docker build) or choose another image',
    );
    expect(exit.exitCode).toBe(-1);
    expect(await executor.status(handle)).toMatchObject({ state: 'exited', error: exit.error });
    await executor.collect(handle, s.jobDir);
  });
});

describe('swarm executor: control', () => {
  it('kills a running job on the manager: its container is stopped within the grace, the signal reported', async () => {
    const s = spec({ script: 'sleep 300' });
    const handle = await executor.start(s);
    await until(async () => (await executor.status(handle)).state === 'running');
    const t0 = Date.now();
    await executor.kill(handle, 1);
    const exit = await executor.wait(handle);
    expect(Date.now() - t0).toBeLessThan(15_000);
    // sh is PID 1 and ignores SIGTERM, so the SIGKILL after the grace ends it.
    expect(exit).toMatchObject({ exitCode: 137, signal: 'SIGKILL', oomKilled: false, error: null });
    expect(await executor.status(handle)).toMatchObject({ state: 'exited', exitCode: 137 });
    // Killing what has ended is a no-op.
    await executor.kill(handle, 1);
    await executor.collect(handle, s.jobDir);
    expect(await servicesOf(s.key)).toHaveLength(0);
  });

  it('kills a job on another node by retiring its task: SIGTERM, then its exit code and logs are kept', async () => {
    // An executor that takes every task for another node's, as on a multi-node swarm.
    const agent = new http.Agent({ keepAlive: true });
    const options = parseSwarmOptions({ socketPath: SWARM_SOCKET, killGraceSeconds: 2, pollSeconds: 0.5 });
    const remote = new SwarmExecutor(
      new Docker({ socketPath: SWARM_SOCKET, agent } as Docker.DockerOptions),
      agent,
      options,
      context,
      'elsewhere',
    );
    try {
      const s = spec({ script: 'trap "echo got TERM; exit 7" TERM; echo started; while true; do sleep 0.2; done' });
      const handle = await remote.start(s);
      await until(async () => (await snapshot(handle)).includes('started'));
      await remote.kill(handle, 0);
      await remote.kill(handle, 0); // a second kill changes nothing
      const exit = await remote.wait(handle);
      expect(exit).toMatchObject({ exitCode: 7, error: null, oomKilled: false });
      const service = await docker.getService(handle.id ?? '').inspect();
      expect(service.Spec.TaskTemplate.Placement.Constraints).toContain('node.id==godocker-retired-by-kill');
      // Its replacement never runs: the job's task stays the one that ran.
      expect(await remote.status(handle)).toMatchObject({ state: 'exited', exitCode: 7 });
      await remote.collect(handle, s.jobDir);
      expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('started\ngot TERM\n');
      expect(await servicesOf(s.key)).toHaveLength(0);
    } finally {
      await remote.close();
    }
  });

  it('refuses suspend and resume with NotSupportedError, as features() says', async () => {
    expect(executor.features()).toEqual({ suspend: false, logsFollow: true, exec: false, ports: true, gpus: false });
    const s = spec({ script: 'sleep 30' });
    const handle = await executor.start(s);
    await until(async () => (await executor.status(handle)).state === 'running');
    await expect(executor.suspend(handle)).rejects.toBeInstanceOf(NotSupportedError);
    const error = await executor.resume(handle).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotSupportedError);
    expect((error as NotSupportedError).code).toBe('GOD_NOT_SUPPORTED');
    expect((error as Error).message).toBe('the swarm executor cannot resume jobs');
    await executor.kill(handle, 0);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('a constraint no node meets leaves the task pending (created, not failed); a kill removes it', async () => {
    const s = spec({ script: 'echo never' });
    s.job.requirements.labels = { 'godocker-no-such-label': 'anywhere' };
    const handle = await executor.start(s);
    await delay(3_000);
    expect(await executor.status(handle)).toEqual({ state: 'created' });
    const [task] = (await docker.listTasks({ filters: { service: [handle.id ?? ''] } })) as {
      Status: { State: string; Err?: string };
    }[];
    expect(task?.Status).toMatchObject({ State: 'pending', Err: expect.stringMatching(/no suitable node/) });
    await executor.kill(handle, 0);
    expect(await executor.status(handle)).toEqual({ state: 'missing' });
    await executor.collect(handle, s.jobDir);
  });
});

describe('swarm executor: idempotence and recovery', () => {
  it('starting the same key twice (in turn, at once, from a second executor) creates one service', async () => {
    const s = spec({ script: 'echo once; sleep 2' });
    const [a, b] = await Promise.all([executor.start(s), executor.start(s)]);
    const c = await executor.start(s);
    // A second executor (another daemon after a crash) also finds it, by name.
    const other = await createSwarmExecutor({ socketPath: SWARM_SOCKET }, context);
    const d = await other.start(s);
    await other.close();
    expect(new Set([a.id, b.id, c.id, d.id]).size).toBe(1);
    expect(await servicesOf(s.key)).toHaveLength(1);
    await executor.wait(a);
    await executor.collect(a, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('once\n');
  });

  it('two executors racing on a key with a script config make one service and one config', async () => {
    const s = spec({ script: '#!/bin/sh\necho raced\n' });
    const other = await createSwarmExecutor({ socketPath: SWARM_SOCKET }, context);
    const [a, b] = await Promise.all([executor.start(s), other.start(s)]);
    await other.close();
    expect(a.id).toBe(b.id);
    expect(await docker.listConfigs({ filters: { label: [`${KEY_LABEL}=${s.key}`] } })).toHaveLength(1);
    await executor.wait(a);
    await executor.collect(a, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('raced\n');
  });

  it('finds the job by key alone when the service id was lost', async () => {
    const s = spec({ script: 'exit 5' });
    await executor.start(s);
    const byKey = { key: s.key, id: null, node: null };
    expect((await executor.wait(byKey)).exitCode).toBe(5);
    await executor.collect(byKey, s.jobDir);
    expect((await executor.status(byKey)).state).toBe('missing');
  });
});

describe('swarm executor: logs, list, collect, nodes', () => {
  it('follows logs: a line arrives while the task runs, and the stream ends with it', async () => {
    const s = spec({ script: 'echo first; echo err-first >&2; sleep 3; echo last' });
    const handle = await executor.start(s);
    const out = await executor.logs(handle, 'stdout', { follow: true });
    const err = await executor.logs(handle, 'stderr', { follow: true });
    const chunks: string[] = [];
    let sawFirstWhileRunning = false;
    const t0 = Date.now();
    for await (const chunk of out) {
      chunks.push(String(chunk));
      if (chunks.join('').includes('first') && !sawFirstWhileRunning) {
        sawFirstWhileRunning = (await executor.status(handle)).state === 'running';
      }
    }
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(sawFirstWhileRunning).toBe(true);
    expect(chunks.join('')).toBe('first\nlast\n');
    expect(await text(err)).toBe('err-first\n');
    expect((await executor.status(handle)).state).toBe('exited');
    await executor.collect(handle, s.jobDir);
  });

  it('lists the tasks of its cluster only, by key, job id and node', async () => {
    const s = spec({ script: 'sleep 30' });
    const handle = await executor.start(s);
    await until(async () => (await executor.status(handle)).state === 'running');
    const mine = (await executor.list()).find((t) => t.key === s.key);
    expect(mine).toEqual({ key: s.key, jobId: s.job.id, handle: { key: s.key, id: handle.id, node: nodeName } });
    const other = await createSwarmExecutor({ socketPath: SWARM_SOCKET }, { ...context, clusterId: `${clusterId}-other` });
    expect((await other.list()).find((t) => t.key === s.key)).toBeUndefined();
    await other.close();
    await executor.kill(handle, 0);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('collect writes both files, removes the service, is idempotent; then status is missing', async () => {
    const s = spec({ script: 'echo kept; echo also >&2' });
    const handle = await executor.start(s);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
    expect(await servicesOf(s.key)).toHaveLength(0);
    expect((await executor.status(handle)).state).toBe('missing');
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('kept\n');
    expect(await readFile(join(s.jobDir, 'stderr'), 'utf8')).toBe('also\n');
    await expect(executor.logs(handle, 'stdout', { follow: false })).rejects.toThrow(ExecutorError);
    await expect(executor.wait(handle)).rejects.toThrow(ExecutorError);
  });

  it('refuses to collect a running task', async () => {
    const s = spec({ script: counter });
    const handle = await executor.start(s);
    await until(async () => lineCount(await snapshot(handle)) >= 2);
    await expect(executor.collect(handle, s.jobDir)).rejects.toThrow(/still running/);
    await executor.kill(handle, 0);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('collects large output intact', async () => {
    const r = await run({ script: 'seq 1 100000; seq 1 1000 >&2' });
    expect(r.stdout.split('\n')).toHaveLength(100_001);
    expect(r.stdout.endsWith('99999\n100000\n')).toBe(true);
    expect(lineCount(r.stderr)).toBe(1000);
  });

  it('reports the swarm node with its capacity and labels; a label added to it shows, and places jobs', async () => {
    const [cpus, memory] = swarmDocker(
      'node',
      'inspect',
      nodeId,
      '--format',
      '{{.Description.Resources.NanoCPUs}} {{.Description.Resources.MemoryBytes}}',
    )
      .trim()
      .split(' ')
      .map(Number);
    const label = `godocker-test-${process.pid}`;
    swarmDocker('node', 'update', '--label-add', `${label}=yes`, nodeId);
    try {
      const nodes = await executor.nodes();
      expect(nodes).toHaveLength(1);
      expect(nodes[0]).toEqual({
        name: nodeName,
        cpu: (cpus ?? 0) / 1e9,
        ram: Math.floor((memory ?? 0) / 1024 / 1024),
        gpus: 0,
        labels: expect.objectContaining({ [label]: 'yes' }),
      });
      // A job asking for that label runs there (its constraint is on the service).
      const s = spec({ script: 'echo placed' });
      s.job.requirements.labels = { [label]: 'yes' };
      const handle = await executor.start(s);
      const service = await docker.getService(handle.id ?? '').inspect();
      expect(service.Spec.TaskTemplate.Placement.Constraints).toEqual([
        `node.hostname==${nodeName}`,
        `node.labels.${label}==yes`,
      ]);
      expect((await executor.wait(handle)).exitCode).toBe(0);
      await executor.collect(handle, s.jobDir);
    } finally {
      swarmDocker('node', 'update', '--label-rm', label, nodeId);
    }
    expect((await executor.nodes())[0]?.labels[label]).toBeUndefined();

    const tuned = await createSwarmExecutor({ socketPath: SWARM_SOCKET, capacity: { cpu: 64, ram: 1000, gpus: 2 } }, context);
    expect(await tuned.nodes()).toEqual([{ name: nodeName, cpu: 64, ram: 1000, gpus: 2, labels: expect.any(Object) }]);
    await tuned.close();
  });
});

describe('swarm executor: configuration and lifecycle', () => {
  it.each([
    [{ socketPath: 42 }, 'executor.options.socketPath'],
    [{ capacity: { cpu: -1 } }, 'executor.options.capacity.cpu'],
    [{ capacity: { ram: 1.5 } }, 'executor.options.capacity.ram'],
    [{ capacity: { disks: 2 } }, 'executor.options.capacity.disks'],
    [{ killGraceSeconds: 'soon' }, 'executor.options.killGraceSeconds'],
    [{ network: 'none' }, 'executor.options.network'],
    [{ reserveResources: 'yes' }, 'executor.options.reserveResources'],
    [{ pollSeconds: 0 }, 'executor.options.pollSeconds'],
    [{ sockPath: '/x' }, 'executor.options.sockPath'],
  ])('refuses %j with a ConfigError naming the key', async (options, field) => {
    const error = await createSwarmExecutor(options, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });

  it('says which socket does not answer, and refuses an engine that is not a swarm manager', async () => {
    const missing = join(scratch, 'no-docker.sock');
    const error = await createSwarmExecutor({ socketPath: missing }, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorUnavailableError);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toMatch(/socketPath/);
    // The main test engine is a plain engine, not in a swarm: only its /info is read.
    const plain = await createSwarmExecutor({ socketPath: '/var/run/docker.sock' }, context).catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(ExecutorError);
    expect((plain as Error).message).toMatch(/is not in a swarm .*docker swarm init/);
  });

  it('refuses a network option naming no swarm network', async () => {
    const error = await createSwarmExecutor({ socketPath: SWARM_SOCKET, network: 'no-such-overlay' }, context).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as Error).message).toMatch(/no network no-such-overlay .*docker network create -d overlay/);
  });

  it('close() ends pending waits and followed logs, and later calls are refused', async () => {
    const own = await createSwarmExecutor({ socketPath: SWARM_SOCKET }, context);
    const s = spec({ script: 'sleep 60' });
    const handle = await own.start(s);
    await until(async () => (await own.status(handle)).state === 'running');
    const waiting = own.wait(handle).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const logs: Readable = await own.logs(handle, 'stdout', { follow: true });
    const logsEnded = new Promise<void>((resolve) => logs.once('close', () => resolve()));
    logs.resume();
    await delay(300);
    await own.close();
    expect(await waiting).toBeInstanceOf(ExecutorError);
    await logsEnded;
    await expect(own.status(handle)).rejects.toThrow(/closed/);
    await executor.kill(handle, 0);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });
});

describe('swarm executor: node events', () => {
  it('a node paused in the swarm is drained for the daemon, and watchNodes says when it is and when it is back, not at an update that changes nothing', async () => {
    let calls = 0;
    const stop = executor.watchNodes?.(() => {
      calls += 1;
    });
    expect(stop).toBeDefined();
    try {
      // The event stream opens in the background, and its opening is told once.
      await until(async () => calls === 1);
      // An update of the node that changes nothing the daemon sees: the manager sends an event, nodes() answers the same.
      swarmDocker('node', 'update', nodeId);
      await delay(1_500);
      expect(calls).toBe(1);
      // Paused, not drained: a drain would stop the tasks other test files run on this swarm meanwhile.
      swarmDocker('node', 'update', '--availability', 'pause', nodeId);
      try {
        await until(async () => calls > 1);
        const drained = (await executor.nodes()).find((n) => n.name === nodeName);
        expect(drained).toMatchObject({ state: 'drained', reason: expect.stringMatching(/availability pause in the swarm/) });
      } finally {
        swarmDocker('node', 'update', '--availability', 'active', nodeId);
      }
      const seen = calls;
      await until(async () => calls > seen);
      expect((await executor.nodes()).find((n) => n.name === nodeName)?.state).toBeUndefined();
    } finally {
      stop?.();
    }
  });
});

describe('swarm executor: a second node (a worker engine joined for these tests)', () => {
  let worker: SwarmWorker;
  let onWorker: string;

  beforeAll(async () => {
    worker = await joinSwarmWorker();
    onWorker = `${nodeName}/${worker.nodeId}`;
  }, 120_000);

  afterAll(async () => {
    await worker?.destroy();
  }, 120_000);

  it('names nodes that share a host name by id, and pins a job to one by its id', async () => {
    const names = (await executor.nodes()).map((n) => n.name).sort();
    expect(names).toEqual([`${nodeName}/${nodeId}`, onWorker].sort());
    const s = spec({ script: 'echo on worker; echo err >&2; exit 4', node: onWorker });
    const handle = await executor.start(s);
    const service = await docker.getService(handle.id ?? '').inspect();
    expect(service.Spec.TaskTemplate.Placement.Constraints).toEqual([`node.id==${worker.nodeId}`]);
    const exit = await executor.wait(handle);
    // Not on the manager's engine: what the task says and no more (no start time, no OOM flag).
    expect(exit).toMatchObject({ exitCode: 4, error: null, signal: null, oomKilled: false, startedAt: null });
    expect(Date.now() - Date.parse(exit.endedAt ?? '')).toBeLessThan(60_000);
    expect((await executor.list()).find((t) => t.key === s.key)?.handle.node).toBe(onWorker);
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('on worker\n');
    expect(await readFile(join(s.jobDir, 'stderr'), 'utf8')).toBe('err\n');
  }, 60_000);

  it('refuses to start on a node the swarm does not have', async () => {
    const s = spec({ node: 'no-such-node' });
    await expect(executor.start(s)).rejects.toThrow(/has no such node \(its nodes: /);
    expect(await servicesOf(s.key)).toHaveLength(0);
  });

  it('kills a job on the worker by retiring its task: it gets SIGTERM, its exit code and logs are kept', async () => {
    const s = spec({ script: 'trap "echo got TERM; exit 7" TERM; echo started; while true; do sleep 0.2; done', node: onWorker });
    const handle = await executor.start(s);
    await until(async () => (await snapshot(handle)).includes('started'));
    await executor.kill(handle, 1);
    expect(await executor.wait(handle)).toMatchObject({ exitCode: 7, error: null });
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('started\ngot TERM\n');
  }, 60_000);

  it('a node drained in the swarm is drained for the daemon, and watchNodes says when it is and when it is active again; Swarm stops its job, which is lost', async () => {
    let calls = 0;
    const stop = executor.watchNodes?.(() => {
      calls += 1;
    });
    const s = spec({ script: 'echo before; sleep 600', node: onWorker });
    const handle = await executor.start(s);
    try {
      await until(async () => (await executor.status(handle)).state === 'running');
      // Past the event stream's opening (told once, if this is the first watch of this executor).
      await delay(1_000);
      const before = calls;
      const waiting = executor.wait(handle).then(
        () => 'resolved',
        (e: unknown) => e,
      );
      // The worker is this file's alone: draining it stops no task of another test file.
      swarmDocker('node', 'update', '--availability', 'drain', worker.nodeId);
      try {
        await until(async () => calls > before);
        expect((await executor.nodes()).find((n) => n.name === onWorker)).toMatchObject({
          state: 'drained',
          reason: expect.stringMatching(/availability drain in the swarm/),
        });
        await until(async () => (await executor.status(handle)).state === 'missing', 60_000);
        const error = await waiting;
        expect(error).toBeInstanceOf(ExecutorError);
        expect((error as Error).message).toMatch(
          /is lost: Swarm stopped it \(shutdown, desired shutdown\) when its node .* was drained/,
        );
        // Swarm stops the task and, its restart condition being none, makes no other: the job does not run twice.
        expect(await docker.listTasks({ filters: { service: [handle.id ?? ''] } })).toHaveLength(1);
      } finally {
        swarmDocker('node', 'update', '--availability', 'active', worker.nodeId);
      }
      const seen = calls;
      await until(async () => calls > seen);
      expect((await executor.nodes()).find((n) => n.name === onWorker)?.state).toBeUndefined();
    } finally {
      stop?.();
    }
    await executor.collect(handle, s.jobDir);
    expect(await servicesOf(s.key)).toHaveLength(0);
  }, 120_000);

  it('a job whose node goes down is lost: status missing, wait says so, collect removes its service', async () => {
    const s = spec({ script: 'echo before; sleep 600', node: onWorker });
    const handle = await executor.start(s);
    await until(async () => (await executor.status(handle)).state === 'running');
    const waiting = executor.wait(handle).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await worker.stop();
    await until(async () => (await executor.status(handle)).state === 'missing', 60_000);
    const error = await waiting;
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as Error).message).toMatch(/is lost: Swarm stopped it/);
    // The node is still the swarm's, down: the daemon shows it so, and places nothing there.
    const nodes = await executor.nodes();
    expect(nodes.find((n) => n.name === `${nodeName}/${nodeId}`)?.state).toBeUndefined();
    expect(nodes.find((n) => n.name === onWorker)).toMatchObject({
      state: 'down',
      reason: expect.stringMatching(/the swarm says the node is (down|unknown|disconnected)/),
    });
    await executor.collect(handle, s.jobDir);
    expect(await servicesOf(s.key)).toHaveLength(0);
  }, 120_000);
});
