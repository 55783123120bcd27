/**
 * The kubernetes executor against a real one-node cluster (no mocks): the API server, scheduler,
 * controllers, kubelet and containerd that scripts/k8s-up.sh starts, with local/busybox:latest
 * imported into its containerd. Each run works in a namespace of its own.
 * If the cluster does not answer, every test fails with how to start it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  type TaskHandle,
  TaskNotPlacedError,
} from '@godocker/sdk';
import { ApiException } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesExecutor, parseKubernetesOptions } from '../src/index.js';
import { jobName } from '../src/kubernetes/job-manifest.js';
import { isSplitRefused } from '../src/kubernetes/pod-logs.js';
import { K8S_NODE, KUBECONFIG, kubectl, requireKubernetes, testNamespace } from './helpers/kubernetes.js';
import { makeRunSpec, type RunSpecOverrides, testLogger } from './helpers/run-spec.js';

const clusterId = `k8stest-${process.pid}-${Date.now().toString(36)}`;
const context = { clusterId, dataDir: '/tmp', logger: testLogger };

let executor: Executor;
let scratch: string;
let ns: { name: string; remove: () => void };
let nextJobId = 1;

function spec(overrides: RunSpecOverrides & { timeLimit?: number } = {}): RunSpec {
  const jobId = nextJobId++;
  const { timeLimit, ...rest } = overrides;
  const s = makeRunSpec(clusterId, jobId, { jobDir: join(scratch, 'logs', String(jobId)), node: K8S_NODE, ...rest });
  if (timeLimit !== undefined) s.job.requirements.timeLimit = timeLimit;
  return s;
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

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(200);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON, read by path in the assertions that follow
function getJson(kind: string, name: string): Record<string, any> | null {
  try {
    return JSON.parse(kubectl('-n', ns.name, 'get', kind, name, '-o', 'json'));
  } catch (e) {
    if (/NotFound/.test((e as Error & { stderr?: string }).stderr ?? (e as Error).message)) return null;
    throw e;
  }
}

beforeAll(async () => {
  requireKubernetes();
  scratch = await mkdtemp(join(tmpdir(), 'godocker-k8s-test-'));
  ns = testNamespace('gdk8s');
  executor = await createKubernetesExecutor(
    { kubeconfig: KUBECONFIG, namespace: ns.name, killGraceSeconds: 2, imagePullPolicy: 'Never', countOtherPods: true },
    context,
  );
}, 60_000);

afterAll(async () => {
  await executor?.close();
  ns?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('kubernetes executor: running jobs', () => {
  it('runs a script as a Job of one pod on the chosen node and keeps its exit code and output', async () => {
    const s = spec({ script: 'echo out; echo err >&2; exit 3' });
    const handle = await executor.start(s);
    expect(handle).toMatchObject({ key: s.key, id: jobName(s.key), node: K8S_NODE });
    const job = getJson('job', jobName(s.key));
    expect(job?.spec).toMatchObject({ backoffLimit: 0, completions: 1, ttlSecondsAfterFinished: 86_400 });
    expect(job?.spec.template.spec).toMatchObject({ restartPolicy: 'Never', terminationGracePeriodSeconds: 2 });
    expect(
      job?.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [K8S_NODE] }] }]);
    const exit = await executor.wait(handle);
    expect(exit).toMatchObject({ exitCode: 3, signal: null, oomKilled: false, error: null });
    expect(Date.parse(exit.endedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(exit.startedAt ?? ''));
    await executor.collect(handle, s.jobDir);
    // Read apart: the test cluster has the PodLogsQuerySplitStreams gate on (scripts/k8s-up.sh).
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('out\n');
    expect(await readFile(join(s.jobDir, 'stderr'), 'utf8')).toBe('err\n');
    // collect deletes the Job (and the garbage collector its pod).
    expect(getJson('job', jobName(s.key))).toBeNull();
    await executor.collect(handle, s.jobDir);
  });

  it('runs as the job user with no privilege escalation, and requests equal to limits', async () => {
    const s = spec({ script: 'id -u; id -g; grep NoNewPrivs /proc/self/status', uid: 1234, gid: 4321, cpu: 0.25, ram: 48 });
    const handle = await executor.start(s);
    const pod = getJson('job', jobName(s.key))?.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsUser: 1234, runAsGroup: 4321, runAsNonRoot: true });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0].resources.requests).toEqual(pod.containers[0].resources.limits);
    expect(pod.containers[0].resources.limits).toMatchObject({ cpu: '250m', memory: String(48 * 1024 * 1024) });
    const exit = await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
    expect(exit.exitCode).toBe(0);
    expect((await readFile(join(s.jobDir, 'stdout'), 'utf8')).split('\n').map((l) => l.replace(/\s+/g, ' '))).toEqual([
      '1234',
      '4321',
      'NoNewPrivs: 1',
      '',
    ]);
  });

  it('passes the environment and the arguments', async () => {
    const r = await run({ script: 'echo "$GREETING $1 $2"', args: ['a b', 'c'], env: { GREETING: 'hi' } });
    expect(r.exit.exitCode).toBe(0);
    expect(r.stdout).toBe('hi a b c\n');
  });

  it('runs a script with a shebang from a ConfigMap the Job owns', async () => {
    const s = spec({ script: '#!/bin/sh\necho "from file $0"\n' });
    const handle = await executor.start(s);
    const cm = getJson('configmap', jobName(s.key));
    expect(cm?.data['job.sh']).toBe(s.script);
    expect(cm?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: jobName(s.key) });
    expect((await executor.wait(handle)).exitCode).toBe(0);
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('from file /godocker/job.sh\n');
    expect(getJson('configmap', jobName(s.key))).toBeNull();
  });

  it('starts each key once: a second start of the same key returns the same task', async () => {
    const s = spec({ script: 'sleep 1; echo once' });
    const [a, b] = await Promise.all([executor.start(s), executor.start(s)]);
    const c = await executor.start(s);
    expect(a).toEqual(b);
    expect(c).toEqual(a);
    expect((await executor.list()).filter((t) => t.key === s.key)).toHaveLength(1);
    await executor.wait(a);
    await executor.collect(a, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('once\n');
  });

  it('lists its tasks with their job ids, and forgets them once collected', async () => {
    const s = spec({ script: 'sleep 30' });
    const handle = await executor.start(s);
    const listed = (await executor.list()).find((t) => t.key === s.key);
    expect(listed).toMatchObject({ key: s.key, jobId: s.job.id, handle: { id: jobName(s.key) } });
    await executor.kill(handle, 1);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
    expect((await executor.list()).some((t) => t.key === s.key)).toBe(false);
  });

  it('OOM-kills a job over its memory and says so', async () => {
    const r = await run({ script: "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived", ram: 16 });
    expect(r.exit).toMatchObject({ oomKilled: true, exitCode: 137, signal: 'SIGKILL' });
    expect(r.stdout).not.toContain('survived');
  });

  it('mounts host folders read-only or read-write', async () => {
    const dir = await mkdtemp(join(scratch, 'vol-'));
    await writeFile(join(dir, 'in.txt'), 'data\n');
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o777);
    const r = await run({
      script: 'cat /in/in.txt; echo made > /out/made.txt; echo no > /in/x.txt || echo refused',
      mounts: [
        { hostPath: dir, containerPath: '/in', readOnly: true },
        { hostPath: dir, containerPath: '/out', readOnly: false },
      ],
    });
    expect(r.stdout).toContain('data\n');
    expect(r.stdout).toContain('refused');
    expect(await readFile(join(dir, 'made.txt'), 'utf8')).toBe('made\n');
  });

  it('a missing working directory is a start failure that names it; the command never runs', async () => {
    const r = await run({ script: 'echo ran', workdir: '/no/such/dir' });
    expect(r.exit.error).toBe('working directory /no/such/dir does not exist');
    expect(r.stdout).not.toContain('ran');
  });

  it('an image that is not on the node is a start failure that names it', async () => {
    const r = await run({ image: 'local/not-here:1', script: 'echo ran' });
    expect(r.exit.error).toMatch(/^image local\/not-here:1: ErrImageNeverPull/);
    expect(r.exit.exitCode).toBe(-1);
  });

  it('asks the cluster for GPUs as nvidia.com/gpu; a node without any never takes the job', async () => {
    const s = spec({ script: 'echo ran', gpus: 1 });
    const handle = await executor.start(s);
    const limits = getJson('job', jobName(s.key))?.spec.template.spec.containers[0].resources.limits;
    expect(limits).toMatchObject({ 'nvidia.com/gpu': '1' });
    expect((await executor.nodes()).find((n) => n.name === K8S_NODE)?.gpus).toBe(0);
    await delay(1_000);
    expect(await executor.status(handle)).toEqual({ state: 'created' });
    await executor.kill(handle, 1);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('mounts a catalogue folder the admin mapped to a PersistentVolumeClaim from that claim, with its subPath', async () => {
    const backing = await mkdtemp(join(scratch, 'pv-'));
    const { chmod, mkdir } = await import('node:fs/promises');
    await mkdir(join(backing, 'alice'));
    await chmod(join(backing, 'alice'), 0o777);
    const pv = `${ns.name}-pv`;
    const manifest = join(scratch, 'pv.json');
    await writeFile(
      manifest,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: pv },
            spec: {
              capacity: { storage: '1Mi' },
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'manual',
              hostPath: { path: backing },
              claimRef: { namespace: ns.name, name: 'site-data' },
            },
          },
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'site-data', namespace: ns.name },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'manual',
              volumeName: pv,
              resources: { requests: { storage: '1Mi' } },
            },
          },
        ],
      }),
    );
    kubectl('apply', '-f', manifest);
    const withClaims = await createKubernetesExecutor(
      {
        kubeconfig: KUBECONFIG,
        namespace: ns.name,
        imagePullPolicy: 'Never',
        volumeClaims: [{ hostPath: '/srv/site-data', claim: 'site-data' }],
      },
      context,
    );
    try {
      const s = spec({
        script: 'echo via-claim > /data/out.txt && cat /data/out.txt',
        mounts: [{ hostPath: '/srv/site-data/alice', containerPath: '/data', readOnly: false }],
      });
      const handle = await withClaims.start(s);
      const pod = getJson('job', jobName(s.key))?.spec.template.spec;
      expect(pod.volumes[0]).toMatchObject({ name: 'vol-0', persistentVolumeClaim: { claimName: 'site-data' } });
      expect(pod.containers[0].volumeMounts[0]).toMatchObject({ mountPath: '/data', subPath: 'alice' });
      expect(await withClaims.wait(handle)).toMatchObject({ exitCode: 0, error: null });
      await withClaims.collect(handle, s.jobDir);
      expect(await readFile(join(backing, 'alice', 'out.txt'), 'utf8')).toBe('via-claim\n');
    } finally {
      await withClaims.close();
      kubectl('delete', '-f', manifest, '--wait=false', '--ignore-not-found');
    }
  });

  it('with mountJobDir false (pods cannot reach jobsDir), runs the job without /mnt/godocker and still keeps its stdout in its directory', async () => {
    const noJobDir = await createKubernetesExecutor(
      { kubeconfig: KUBECONFIG, namespace: ns.name, imagePullPolicy: 'Never', mountJobDir: false },
      context,
    );
    try {
      // The shell expands it in the pod: none when the executor gave no job directory.
      const s = spec({ script: ['echo "dir=$', '{GODOCKER_JOB_DIR:-none}"; test ! -e /mnt/godocker'].join('') });
      const handle = await noJobDir.start(s);
      const pod = getJson('job', jobName(s.key))?.spec.template.spec;
      expect(JSON.stringify(pod.volumes ?? [])).not.toContain(s.jobDir);
      expect(await noJobDir.wait(handle)).toMatchObject({ exitCode: 0, error: null });
      await noJobDir.collect(handle, s.jobDir);
      expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('dir=none\n');
    } finally {
      await noJobDir.close();
    }
  });

  it('sets activeDeadlineSeconds from the time limit (the daemon kills at the limit; the cluster is the backstop)', async () => {
    const s = spec({ script: 'true', timeLimit: 120 });
    const handle = await executor.start(s);
    expect(getJson('job', jobName(s.key))?.spec.activeDeadlineSeconds).toBe(120 + 2 + 60);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });
});

describe('kubernetes executor: kill, logs, what it cannot do', () => {
  it('kills a running job with SIGTERM and keeps its exit code and its output', async () => {
    const s = spec({ script: "trap 'echo got TERM; exit 143' TERM; echo started; while true; do sleep 0.1; done" });
    const handle = await executor.start(s);
    await until(async () => (await executor.status(handle)).state === 'running');
    await until(async () => (await text(await executor.logs(handle, 'stdout', { follow: false }))).includes('started'));
    await executor.kill(handle, 2);
    const exit = await executor.wait(handle);
    expect(exit).toMatchObject({ exitCode: 143, signal: 'SIGTERM', error: null });
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('started\ngot TERM\n');
  });

  it('kills a job that ignores SIGTERM with SIGKILL after the grace', async () => {
    const s = spec({ script: "trap '' TERM; echo started; while true; do sleep 0.1; done" });
    const handle = await executor.start(s);
    await until(async () => (await text(await executor.logs(handle, 'stdout', { follow: false }))).includes('started'));
    const t0 = Date.now();
    await executor.kill(handle, 2);
    const exit = await executor.wait(handle);
    expect(exit).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
    await executor.collect(handle, s.jobDir);
  });

  it('a job no node can take waits as created; killed, it ends without having run', async () => {
    const s = spec({ script: 'echo ran', labels: {} });
    s.job.requirements.labels = { 'disk.godocker.test/kind': 'none-has-this' };
    const handle = await executor.start(s);
    await delay(1_500);
    expect(await executor.status(handle)).toEqual({ state: 'created' });
    await executor.kill(handle, 1);
    const exit = await executor.wait(handle);
    expect(exit).toMatchObject({ exitCode: 137, signal: 'SIGKILL', startedAt: null });
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('');
  });

  it('follows the output of a running job until it ends', async () => {
    const s = spec({ script: 'for i in 1 2 3 4 5; do echo line $i; sleep 0.3; done' });
    const handle = await executor.start(s);
    await until(async () => (await executor.status(handle)).state !== 'created');
    const followed = await text(await executor.logs(handle, 'stdout', { follow: true }));
    expect(followed).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('suspends a job still waiting to be placed (the Job is suspended, its pod deleted) and resumes it', async () => {
    const s = spec({ script: 'echo ran' });
    s.job.requirements.labels = { 'disk.godocker.test/kind': 'none-has-this' };
    const handle = await executor.start(s);
    await until(async () => (await executor.status(handle)).state === 'created');
    await executor.suspend(handle);
    expect(await executor.status(handle)).toEqual({ state: 'paused' });
    expect(getJson('job', jobName(s.key))?.spec.suspend).toBe(true);
    await until(() => kubectl('-n', ns.name, 'get', 'pods', '-l', `job-name=${jobName(s.key)}`, '-o', 'name').trim() === '');
    await executor.resume(handle);
    expect(getJson('job', jobName(s.key))?.spec.suspend).toBe(false);
    await until(async () => (await executor.status(handle)).state === 'created');
    await executor.kill(handle, 1);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('refuses to suspend a job whose pod is on a node, naming the executor, and leaves it running', async () => {
    const s = spec({ script: 'echo up; sleep 60' });
    const handle = await executor.start(s);
    await until(async () => (await text(await executor.logs(handle, 'stdout', { follow: false }))).includes('up'));
    const refused = await executor.suspend(handle).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotSupportedError);
    expect((refused as Error).message).toMatch(/^the kubernetes executor cannot suspend a job once its pod is on a node/);
    expect(await executor.status(handle)).toEqual({ state: 'running' });
    await executor.kill(handle, 1);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('gives up on a pod the cluster cannot place after unschedulableSeconds: deleted, and wait says why', async () => {
    const impatient = await createKubernetesExecutor(
      { kubeconfig: KUBECONFIG, namespace: ns.name, imagePullPolicy: 'Never', unschedulableSeconds: 2 },
      context,
    );
    try {
      const s = spec({ script: 'echo ran' });
      s.job.requirements.labels = { 'disk.godocker.test/kind': 'none-has-this' };
      const handle = await impatient.start(s);
      const error = await impatient.wait(handle).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskNotPlacedError);
      expect((error as Error).message).toMatch(
        /^the cluster could not place it on node 127\.0\.0\.1 for 2 s: 0\/1 nodes are available/,
      );
      expect(getJson('job', jobName(s.key))).toBeNull();
    } finally {
      await impatient.close();
    }
  });

  it('waiting for, or reading the logs of, a task that is not there is a clear error', async () => {
    const handle: TaskHandle = { key: 'godocker-nope-1', id: null, node: null };
    expect(await executor.status(handle)).toEqual({ state: 'missing' });
    await expect(executor.wait(handle)).rejects.toThrow(ExecutorError);
    await expect(executor.logs(handle, 'stdout', { follow: false })).rejects.toThrow(/no such Job in namespace/);
  });
});

describe('kubernetes executor: nodes', () => {
  it('reports the node with its allocatable resources and labels', async () => {
    const nodes = await executor.nodes();
    const node = nodes.find((n) => n.name === K8S_NODE);
    expect(node).toBeDefined();
    // What other test files' pods request there is taken off (their cpu may fill this 2-core node): at most the allocatable, never below 0.
    const cpuText = kubectl('get', 'node', K8S_NODE, '-o', 'jsonpath={.status.allocatable.cpu}').trim();
    const allocatableCpu = cpuText.endsWith('m') ? Number(cpuText.slice(0, -1)) / 1000 : Number(cpuText);
    expect(allocatableCpu).toBeGreaterThan(0);
    expect(node?.cpu).toBeGreaterThanOrEqual(0);
    expect(node?.cpu).toBeLessThanOrEqual(allocatableCpu);
    // What a job there may ever get: the whole allocatable (a submit is refused only past it).
    expect(node?.total?.cpu).toBe(allocatableCpu);
    expect(node?.ram).toBeGreaterThan(1024);
    expect(node?.labels['kubernetes.io/hostname']).toBe(K8S_NODE);
    expect(node?.state).toBeUndefined();
  });

  it('less what pods of other workloads request there', async () => {
    // Other test files' daemons run pods here too (other cluster ids: other workloads to this
    // executor), a few of 64-128 MiB at a time: a request of 4000 Mi stands well out of that noise.
    const ramNow = async () => (await executor.nodes()).find((n) => n.name === K8S_NODE)?.ram ?? 0;
    const before = await ramNow();
    kubectl(
      '-n',
      ns.name,
      'run',
      'other-workload',
      '--image=local/busybox:latest',
      '--image-pull-policy=Never',
      '--restart=Never',
      '--overrides={"spec":{"containers":[{"name":"other-workload","image":"local/busybox:latest","imagePullPolicy":"Never","command":["sleep","60"],"resources":{"requests":{"cpu":"100m","memory":"4000Mi"}}}]}}',
    );
    try {
      await until(async () => Math.abs(before - (await ramNow()) - 4000) < 1500);
    } finally {
      kubectl('-n', ns.name, 'delete', 'pod', 'other-workload', '--grace-period=0', '--force', '--wait=false');
    }
    // Gone, its request is given back.
    await until(async () => Math.abs((await ramNow()) - before) < 1500);
  });

  it('a cordoned node is drained (its jobs go on, nothing new goes there), and watchNodes says when', async () => {
    let calls = 0;
    const stop = executor.watchNodes?.(() => {
      calls += 1;
    });
    kubectl('cordon', K8S_NODE);
    try {
      await until(async () => (await executor.nodes()).find((n) => n.name === K8S_NODE)?.state === 'drained');
      expect((await executor.nodes()).find((n) => n.name === K8S_NODE)?.reason).toMatch(/cordoned/);
      await until(() => calls > 0);
    } finally {
      kubectl('uncordon', K8S_NODE);
    }
    const seen = calls;
    await until(async () => (await executor.nodes()).find((n) => n.name === K8S_NODE)?.state === undefined);
    await until(() => calls > seen);
    stop?.();
  });
});

describe('kubernetes executor: configuration', () => {
  it('tells an API server that cannot read stdout and stderr apart (its answer, recorded on 1.34 with the gate off)', () => {
    // Recorded from this cluster's API server before PodLogsQuerySplitStreams was turned on:
    // GET /api/v1/namespaces/gdtest/pods/t1/log?stream=Stderr answered 422 with this Status.
    const recorded = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'The PodLogOptions "t1" is invalid: stream: Forbidden: may not be specified',
      reason: 'Invalid',
      code: 422,
    });
    expect(isSplitRefused(new ApiException(422, 'reading the log of pod t1', recorded, {}))).toBe(true);
    expect(isSplitRefused(new ExecutorError('reading', new ApiException(422, 'x', recorded, {})))).toBe(true);
    expect(isSplitRefused(new ApiException(404, 'x', '{"message":"pods \\"t1\\" not found"}', {}))).toBe(false);
  });

  it('refuses unknown or malformed options, naming the key', () => {
    expect(() => parseKubernetesOptions({ namespce: 'x' })).toThrow(ConfigError);
    expect(() => parseKubernetesOptions({ namespce: 'x' })).toThrow(/option namespce: unknown option/);
    expect(() => parseKubernetesOptions({ namespace: 'Bad_NS' })).toThrow(/namespace: "Bad_NS" is not a namespace name/);
    expect(() => parseKubernetesOptions({ imagePullPolicy: 'Sometimes' })).toThrow(/imagePullPolicy: must be one of/);
    expect(() => parseKubernetesOptions({ usageFrom: 'metrics-server' })).toThrow(
      /usageFrom: must be one of kubelet, apiserver, off/,
    );
    expect(() => parseKubernetesOptions({ kubeletInsecureTls: 'yes' })).toThrow(/kubeletInsecureTls: must be true or false/);
    expect(parseKubernetesOptions({})).toMatchObject({ usageFrom: 'kubelet', kubeletCaFile: null, kubeletInsecureTls: false });
    expect(() => parseKubernetesOptions({ volumeClaims: [{ hostPath: 'rel', claim: 'c' }] })).toThrow(
      /volumeClaims\[0\]\.hostPath/,
    );
  });

  it('a namespace that does not exist is a clear error at start', async () => {
    await expect(
      createKubernetesExecutor({ kubeconfig: KUBECONFIG, namespace: 'no-such-namespace-here' }, context),
    ).rejects.toThrow(
      /namespace no-such-namespace-here does not exist: create it \(kubectl create namespace no-such-namespace-here\)/,
    );
  });

  it('an API server that does not answer is ExecutorUnavailableError', async () => {
    const dir = await mkdtemp(join(scratch, 'kc-'));
    const path = join(dir, 'kubeconfig');
    // The same credentials, aimed at a port nothing listens on.
    await writeFile(
      path,
      (await readFile(KUBECONFIG, 'utf8')).replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'),
    );
    await expect(createKubernetesExecutor({ kubeconfig: path, namespace: ns.name }, context)).rejects.toThrow(
      ExecutorUnavailableError,
    );
  });

  it('close() ends pending waits (a running job, a job that cannot be placed) and later calls are refused', async () => {
    const own = await createKubernetesExecutor(
      { kubeconfig: KUBECONFIG, namespace: ns.name, imagePullPolicy: 'Never', unschedulableSeconds: 3600, killGraceSeconds: 1 },
      context,
    );
    const running = spec({ script: 'sleep 60' });
    const stuck = spec({ script: 'echo never' });
    stuck.job.requirements.labels = { 'disk.godocker.test/kind': 'none-has-this' };
    const handles = [await own.start(running), await own.start(stuck)];
    const waits = handles.map((h) => own.wait(h).catch((e: unknown) => e));
    await delay(1_000);
    const t0 = Date.now();
    await own.close();
    for (const w of waits) expect(await w).toBeInstanceOf(ExecutorError);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await expect(own.status(handles[0] as TaskHandle)).rejects.toThrow('the kubernetes executor is closed');
    // What it started is still there for the next daemon to adopt or remove.
    for (const h of handles) {
      await executor.kill(h, 1);
      await executor.wait(h);
      await executor.collect(h, running.jobDir);
    }
  });

  it('a missing kubeconfig file is a clear error', async () => {
    await expect(createKubernetesExecutor({ kubeconfig: '/no/such/kubeconfig' }, context)).rejects.toThrow(
      /cannot load the kubeconfig \/no\/such\/kubeconfig/,
    );
  });
});
