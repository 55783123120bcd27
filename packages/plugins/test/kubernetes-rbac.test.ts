/**
 * The rights deploy/kubernetes/rbac.yaml grants are enough for everything the kubernetes executor
 * does: the executor runs here as that service account (a token the real API server issued), in a
 * namespace of the test's own, against the real cluster of scripts/k8s-up.sh.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { setTimeout as delay } from 'node:timers/promises';
import type { Executor } from '@godocker/sdk';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesExecutor } from '../src/index.js';
import { K8S_NODE, KUBECONFIG, kubectl, requireKubernetes, testNamespace } from './helpers/kubernetes.js';
import { makeRunSpec, testLogger } from './helpers/run-spec.js';

const RBAC = join(import.meta.dirname, '../../../deploy/kubernetes/rbac.yaml');
const clusterId = `k8srbac-${process.pid}-${Date.now().toString(36)}`;
let ns: { name: string; remove: () => void };
let scratch: string;
let executor: Executor;
let rbacFile: string;

beforeAll(async () => {
  requireKubernetes();
  scratch = await mkdtemp(join(tmpdir(), 'godocker-k8s-rbac-'));
  ns = testNamespace('gdrbac');
  // The manifest as a site applies it, aimed at this run's namespace (and its cluster-wide objects named apart).
  const manifest = (await readFile(RBAC, 'utf8'))
    .replaceAll('namespace: godocker', `namespace: ${ns.name}`)
    .replaceAll('resourceNames: ["godocker"]', `resourceNames: ["${ns.name}"]`)
    .replaceAll('godocker-executor', `${ns.name}-executor`);
  rbacFile = join(scratch, 'rbac.yaml');
  await writeFile(rbacFile, manifest);
  kubectl('apply', '-f', rbacFile);
  const token = kubectl('-n', ns.name, 'create', 'token', 'godocker', '--duration=1h').trim();
  const admin = new KubeConfig();
  admin.loadFromFile(KUBECONFIG);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error(`no cluster in ${KUBECONFIG}`);
  const sa = new KubeConfig();
  sa.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'godocker', token }],
    contexts: [{ name: 'godocker', cluster: cluster.name, user: 'godocker' }],
    currentContext: 'godocker',
  });
  const kubeconfig = join(scratch, 'kubeconfig');
  await writeFile(kubeconfig, sa.exportConfig());
  executor = await createKubernetesExecutor(
    { kubeconfig, namespace: ns.name, imagePullPolicy: 'Never', killGraceSeconds: 1 },
    { clusterId, dataDir: scratch, logger: testLogger },
  );
}, 60_000);

afterAll(async () => {
  await executor?.close();
  if (rbacFile) kubectl('delete', '-f', rbacFile, '--wait=false', '--ignore-not-found');
  ns?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('kubernetes executor as the service account of deploy/kubernetes/rbac.yaml', () => {
  it('runs, follows, reads the usage of, kills, lists and collects jobs and reads the nodes with only those rights', async () => {
    expect((await executor.nodes()).map((n) => n.name)).toContain(K8S_NODE);
    // A script with a shebang needs its ConfigMap: create, own, delete.
    const a = makeRunSpec(clusterId, 1, { node: K8S_NODE, jobDir: join(scratch, 'logs', '1'), script: '#!/bin/sh\necho ok' });
    const b = makeRunSpec(clusterId, 2, { node: K8S_NODE, jobDir: join(scratch, 'logs', '2'), script: 'echo up; sleep 60' });
    const [ha, hb] = await Promise.all([executor.start(a), executor.start(b)]);
    expect((await executor.list()).map((t) => t.jobId).sort()).toEqual([1, 2]);
    expect(await executor.wait(ha)).toMatchObject({ exitCode: 0, error: null });
    await executor.collect(ha, a.jobDir);
    expect(await readFile(join(a.jobDir, 'stdout'), 'utf8')).toBe('ok\n');
    for (let i = 0; i < 100 && (await executor.status(hb)).state !== 'running'; i++) await delay(200);
    let seen = '';
    for (let i = 0; i < 50 && !seen.includes('up'); i++) {
      seen = await text(await executor.logs(hb, 'stdout', { follow: false }));
      if (!seen.includes('up')) await delay(200);
    }
    expect(seen).toBe('up\n');
    // Its usage, from the kubelet straight (nodes/stats), checked by the kubelet with the API server.
    let usage = await executor.usage?.(hb);
    for (let i = 0; i < 25 && !usage; i++) {
      await delay(200);
      usage = await executor.usage?.(hb);
    }
    expect(usage?.memoryBytes).toBeGreaterThan(0);
    expect(usage?.cpuSeconds).toBeGreaterThan(0);
    await executor.kill(hb, 1);
    expect(await executor.wait(hb)).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    await executor.collect(hb, b.jobDir);
    expect(await executor.list()).toEqual([]);
  }, 60_000);
});
