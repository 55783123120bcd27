/**
 * Usage readings of kubernetes jobs: the parser of the kubelet's stats summary on a summary recorded
 * from the test cluster's kubelet (fixtures/kubelet-summary.json: a pod holding 100 MiB), and the
 * executor's `usage` against the real cluster of scripts/k8s-up.sh (local/memhog:latest imported
 * into its containerd), from the kubelet straight and through the API server's node proxy.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, type Executor, type UsageSample } from '@godocker/sdk';
import type { V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesExecutor } from '../src/index.js';
import { kubeletEndpoint } from '../src/kubernetes/kubelet-stats.js';
import { KubeletSummaries } from '../src/kubernetes/kubelet-summaries.js';
import { usageOfPodSummary } from '../src/kubernetes/pod-usage.js';
import { K8S_NODE, KUBECONFIG, requireKubernetes, testNamespace } from './helpers/kubernetes.js';
import { makeRunSpec, testLogger } from './helpers/run-spec.js';

const FIXTURE = join(import.meta.dirname, 'fixtures/kubelet-summary.json');
const MEMHOG = 'local/memhog:latest';
const MiB = 1024 * 1024;

describe('usageOfPodSummary (a summary recorded from the kubelet)', () => {
  it("sums the containers' cpu and working set; no io bytes, no peak; no network when the pod has none", async () => {
    const summary: unknown = JSON.parse(await readFile(FIXTURE, 'utf8'));
    const usage = usageOfPodSummary(summary, 'usageprobe', 'hog');
    expect(usage).toEqual({
      at: '2026-12-06T05:36:11.000Z',
      cpuSeconds: 0.095174062,
      memoryBytes: 105_512_960,
      peakMemoryBytes: null,
      readBytes: null,
      writeBytes: null,
      rxBytes: null,
      txBytes: null,
    });
    // The pod-level figures in the recording are zeroes (cgroup v1, CRI stats): not what is read.
    expect(usage?.memoryBytes).toBeGreaterThan(100 * MiB);
  });

  it('another namespace, another name, a pod with no container stats or a summary of the wrong shape is no reading', async () => {
    const summary = JSON.parse(await readFile(FIXTURE, 'utf8')) as { pods: { containers: unknown[] }[] };
    expect(usageOfPodSummary(summary, 'other', 'hog')).toBeNull();
    expect(usageOfPodSummary(summary, 'usageprobe', 'dog')).toBeNull();
    expect(usageOfPodSummary({ pods: 'none' }, 'usageprobe', 'hog')).toBeNull();
    expect(usageOfPodSummary('summary', 'usageprobe', 'hog')).toBeNull();
    const empty = structuredClone(summary);
    (empty.pods[0] as { containers: unknown[] }).containers = [];
    expect(usageOfPodSummary(empty, 'usageprobe', 'hog')).toBeNull();
  });

  it("sums a pod's containers and network interfaces; a negative or missing counter is null, not zero", () => {
    const at = '2026-12-06T05:36:11Z';
    const pod = {
      podRef: { namespace: 'ns', name: 'p' },
      containers: [
        { cpu: { time: at, usageCoreNanoSeconds: 2e9 }, memory: { time: at, workingSetBytes: 10 } },
        { cpu: { time: at, usageCoreNanoSeconds: 1e9 }, memory: { time: at, workingSetBytes: -5 } },
      ],
      // statsapi.NetworkStats: the default interface's counters, and every interface in `interfaces`.
      network: {
        rxBytes: 100,
        txBytes: 200,
        interfaces: [
          { name: 'eth0', rxBytes: 100, txBytes: 200 },
          { name: 'eth1', rxBytes: 1, txBytes: 2 },
        ],
      },
    };
    expect(usageOfPodSummary({ pods: [pod] }, 'ns', 'p')).toMatchObject({
      cpuSeconds: 3,
      memoryBytes: 10,
      rxBytes: 101,
      txBytes: 202,
    });
    const noCpu = { ...pod, containers: [{ cpu: { time: at }, memory: { time: at, workingSetBytes: 7 } }], network: undefined };
    expect(usageOfPodSummary({ pods: [noCpu] }, 'ns', 'p')).toMatchObject({ cpuSeconds: null, memoryBytes: 7, rxBytes: null });
    // Just ended: still listed, every counter zero (seen on the test cluster at the end of a pod).
    const ended = {
      ...pod,
      containers: [{ cpu: { time: at, usageCoreNanoSeconds: 0 }, memory: { time: at, workingSetBytes: 0 } }],
    };
    expect(usageOfPodSummary({ pods: [ended] }, 'ns', 'p')).toBeNull();
  });
});

describe('KubeletSummaries', () => {
  it('asks a node once while its answer is fresh, again after; a failed answer is not kept', async () => {
    let now = 0;
    const asked: string[] = [];
    let fail = false;
    const summaries = new KubeletSummaries(
      async (node) => {
        asked.push(node);
        if (fail) throw new Error('kubelet away');
        return { node };
      },
      1_000,
      () => now,
    );
    await Promise.all([summaries.get('a'), summaries.get('a'), summaries.get('b')]);
    expect(asked).toEqual(['a', 'b']);
    now = 999;
    expect(await summaries.get('a')).toEqual({ node: 'a' });
    expect(asked).toEqual(['a', 'b']);
    now = 1_000;
    fail = true;
    await expect(summaries.get('a')).rejects.toThrow('kubelet away');
    fail = false;
    expect(await summaries.get('a')).toEqual({ node: 'a' });
    expect(asked).toEqual(['a', 'b', 'a', 'a']);
  });
});

describe('kubeletEndpoint', () => {
  it("takes the node's InternalIP before its hostname, and the kubelet's port from the status", () => {
    const node: V1Node = {
      status: {
        addresses: [
          { type: 'Hostname', address: 'node-1' },
          { type: 'InternalIP', address: '10.0.0.7' },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      },
    };
    expect(kubeletEndpoint(node)).toEqual({ host: '10.0.0.7', port: 10250 });
    expect(kubeletEndpoint({ status: { addresses: [{ type: 'Hostname', address: 'node-1' }] } })).toEqual({
      host: 'node-1',
      port: 10250,
    });
    expect(kubeletEndpoint({ status: {} })).toBeNull();
  });
});

describe('kubernetes executor usage (real cluster)', () => {
  const clusterId = `k8susage-${process.pid}-${Date.now().toString(36)}`;
  let ns: { name: string; remove: () => void };
  let scratch: string;
  let nextJobId = 1;

  beforeAll(async () => {
    requireKubernetes();
    ns = testNamespace('gdusage');
    scratch = await mkdtemp(join(tmpdir(), 'godocker-k8s-usage-'));
  });

  afterAll(async () => {
    ns?.remove();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  async function executorFrom(usageFrom: 'kubelet' | 'apiserver' | 'off', extra: Record<string, unknown> = {}) {
    return createKubernetesExecutor(
      { kubeconfig: KUBECONFIG, namespace: ns.name, imagePullPolicy: 'Never', killGraceSeconds: 1, usageFrom, ...extra },
      { clusterId, dataDir: scratch, logger: testLogger },
    );
  }

  /** Runs memhog holding `mb` MiB and returns the readings taken every 300 ms while it runs. */
  async function readingsOf(executor: Executor, mb: number): Promise<UsageSample[]> {
    const jobId = nextJobId++;
    const spec = makeRunSpec(clusterId, jobId, {
      node: K8S_NODE,
      image: MEMHOG,
      script: `memhog ${mb} 4`,
      ram: 512,
      jobDir: join(scratch, 'logs', String(jobId)),
    });
    const handle = await executor.start(spec);
    const readings: UsageSample[] = [];
    const ended = executor.wait(handle).then((exit) => exit);
    let done = false;
    void ended.finally(() => {
      done = true;
    });
    while (!done) {
      const sample = await executor.usage?.(handle);
      if (sample) readings.push(sample);
      await delay(300);
    }
    expect((await ended).exitCode).toBe(0);
    await executor.collect(handle, spec.jobDir);
    return readings;
  }

  for (const from of ['kubelet', 'apiserver'] as const) {
    it(`from the ${from === 'kubelet' ? 'kubelet straight' : "API server's node proxy"}: a pod holding 200 MiB reads near 200 MiB`, async () => {
      const executor = await executorFrom(from);
      try {
        const readings = await readingsOf(executor, 200);
        expect(readings.length).toBeGreaterThanOrEqual(3);
        const peak = Math.max(...readings.map((r) => r.memoryBytes ?? 0));
        expect(peak).toBeGreaterThanOrEqual(195 * MiB);
        expect(peak).toBeLessThanOrEqual(240 * MiB);
        for (const r of readings) {
          expect(r.cpuSeconds).toBeGreaterThanOrEqual(0);
          expect(r.readBytes).toBeNull();
        }
        // Counters only grow.
        const cpu = readings.map((r) => r.cpuSeconds ?? 0);
        expect(cpu).toEqual([...cpu].sort((a, b) => a - b));
      } finally {
        await executor.close();
      }
    }, 90_000);
  }

  it('usageFrom: off reads nothing; a kubeletCaFile that cannot be read is a config error naming the option', async () => {
    const off = await executorFrom('off');
    try {
      expect(await readingsOf(off, 10)).toEqual([]);
    } finally {
      await off.close();
    }
    const missing = join(scratch, 'no-such-ca.pem');
    const refused = await executorFrom('kubelet', { kubeletCaFile: missing }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toContain(`kubeletCaFile: cannot read ${missing}`);
  }, 90_000);

  it('a kubelet whose certificate the CA does not sign gives no reading, and the admin is told which option fixes it', async () => {
    const warnings: string[] = [];
    const logger = { ...testLogger, warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? '') };
    // Debian's bundle of public CAs: none of them signed the test cluster's kubelet certificate.
    const executor = await createKubernetesExecutor(
      {
        kubeconfig: KUBECONFIG,
        namespace: ns.name,
        imagePullPolicy: 'Never',
        killGraceSeconds: 1,
        kubeletCaFile: '/etc/ssl/certs/ca-certificates.crt',
      },
      { clusterId, dataDir: scratch, logger },
    );
    try {
      expect(await readingsOf(executor, 10)).toEqual([]);
      expect(warnings.filter((w) => w.includes('not sampled for usage'))).toHaveLength(1);
      expect(warnings.join('\n')).toMatch(/serving certificate does not check out .*kubeletCaFile/);
    } finally {
      await executor.close();
    }
  }, 90_000);
});
