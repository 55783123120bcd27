/**
 * The kubernetes executor while the API server does not answer: the real cluster keeps running
 * (scripts/k8s-up.sh), and the executor reaches its API server through a relay the test cuts
 * (helpers/tcp-cut.ts), so every call meets a refused port and connections reset under open
 * requests and watches, as when the API server or the path to it goes away.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type Executor, ExecutorUnavailableError, type RunSpec } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesExecutor } from '../src/index.js';
import { K8S_NODE, relayedKubeconfig, requireKubernetes, testNamespace } from './helpers/kubernetes.js';
import { makeRunSpec, type RunSpecOverrides, testLogger } from './helpers/run-spec.js';
import type { TcpCut } from './helpers/tcp-cut.js';

const clusterId = `k8soutage-${process.pid}-${Date.now().toString(36)}`;
let relay: TcpCut;
let executor: Executor;
let scratch: string;
let ns: { name: string; remove: () => void };
let nextJobId = 1;

function spec(overrides: RunSpecOverrides = {}): RunSpec {
  const jobId = nextJobId++;
  return makeRunSpec(clusterId, jobId, { jobDir: join(scratch, 'logs', String(jobId)), node: K8S_NODE, ...overrides });
}

beforeAll(async () => {
  requireKubernetes();
  scratch = await mkdtemp(join(tmpdir(), 'godocker-k8s-outage-'));
  ns = testNamespace('gdk8s-outage');
  const relayed = await relayedKubeconfig(scratch);
  relay = relayed.relay;
  const kubeconfig = relayed.kubeconfig;
  executor = await createKubernetesExecutor(
    { kubeconfig, namespace: ns.name, imagePullPolicy: 'Never', killGraceSeconds: 1 },
    { clusterId, dataDir: scratch, logger: testLogger },
  );
}, 60_000);

afterAll(async () => {
  await executor?.close();
  await relay?.close();
  ns?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('kubernetes executor: an API server that stops answering for a while', () => {
  it('every call says ExecutorUnavailableError while it is away, an open wait included; the end is read once it is back', async () => {
    const s = spec({ script: 'sleep 4; echo finished during the outage' });
    const handle = await executor.start(s);
    const waiting = executor.wait(handle).catch((e: unknown) => e);
    await delay(1_000);
    await relay.cut();
    // The watch breaks, and the open wait ends at once rather than hanging on a dead connection.
    expect(await waiting).toBeInstanceOf(ExecutorUnavailableError);
    const calls: [string, () => Promise<unknown>][] = [
      ['status', () => executor.status(handle)],
      ['wait', () => executor.wait(handle)],
      ['list', () => executor.list()],
      ['nodes', () => executor.nodes()],
      ['start', () => executor.start(spec())],
      ['kill', () => executor.kill(handle, 1)],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).rejects.toBeInstanceOf(ExecutorUnavailableError);
    }
    // Longer than the job: it ends in the cluster while nobody can ask.
    await delay(6_000);
    await relay.restore();
    expect(await executor.wait(handle)).toMatchObject({ exitCode: 0, signal: null, error: null });
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('finished during the outage\n');
    // The watches are back too: a new job is started and seen to its end.
    const again = spec({ script: 'echo after' });
    const h2 = await executor.start(again);
    expect(await executor.wait(h2)).toMatchObject({ exitCode: 0 });
    expect((await executor.nodes()).find((n) => n.name === K8S_NODE)).toBeDefined();
    await executor.collect(h2, again.jobDir);
  }, 60_000);
});
