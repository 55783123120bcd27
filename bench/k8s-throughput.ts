/**
 * Kubernetes throughput: 200 trivial jobs (`true` in local/busybox:latest) through the daemon
 * with the kubernetes executor and 8 slots (the node's 2 allocatable cpu, each job cpu 0.25),
 * against the same work sent straight to the cluster in the same run: 200 batch/v1 Jobs (one pod,
 * restartPolicy Never, backoffLimit 0, the same requests = limits) created 8 at a time with the
 * same client (@kubernetes/client-node), each read every 100 ms until it has succeeded, then
 * deleted (propagation Background). Target: GoDocker jobs/s ≥ 0.8 × direct Jobs/s.
 *
 * Also submit-to-running latency, median of LATENCY_RUNS jobs sent one at a time to an idle
 * cluster: from the submit call (GoDocker) or the create call (direct) until the pod's container
 * is seen running, by the same observer for both (the namespace's pods listed every 25 ms):
 * Kubernetes records start times to the second only.
 *
 * The cluster is the test cluster of scripts/k8s-up.sh (GODOCKER_K8S_KUBECONFIG); everything runs
 * in a namespace of the bench's own, deleted at the end. BENCH_K8S_JOBS (200) changes the size.
 */
import { randomUUID } from 'node:crypto';
import type { JobSubmission } from '@godocker/sdk';
import { BatchV1Api, CoreV1Api, KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { shutdown, startBenchDaemon } from './lib/daemon.js';
import { IMAGE } from './lib/docker.js';
import { runBatch } from './lib/jobs.js';
import { cpuDetail, phase } from './lib/phase.js';
import { pool } from './lib/pool.js';
import { fixed, memory, row, runMain, target, title } from './lib/report.js';
import { median, perSecond, since } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_K8S_JOBS ?? 200);
const SLOTS = 8;
const JOB_CPU = 0.25;
const SUBMIT_WIDTH = 16;
const TARGET_RATIO = 0.8;
const KUBECONFIG = process.env.GODOCKER_K8S_KUBECONFIG ?? '/var/lib/godocker-ci/k8s/admin.kubeconfig';
const LABEL = 'godocker.bench';
const LATENCY_RUNS = 10;

const job: JobSubmission = {
  command: { script: 'true' },
  container: { image: IMAGE },
  requirements: { cpu: JOB_CPU, ram: 64 },
};

interface Cluster {
  batch: BatchV1Api;
  core: CoreV1Api;
  namespace: string;
}

function directJob(c: Cluster, run: string, command: string[]): V1Job {
  const resources = { cpu: `${JOB_CPU * 1000}m`, memory: String(64 * 2 ** 20) };
  const labels = { [LABEL]: run };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `bench-${randomUUID().slice(0, 13)}`, namespace: c.namespace, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true },
          containers: [
            {
              name: 'job',
              image: IMAGE,
              imagePullPolicy: 'Never',
              command,
              resources: { requests: resources, limits: resources },
            },
          ],
        },
      },
    },
  };
}

/** One Job to its end, as a script would drive Kubernetes: create, read it until done, delete. */
async function directRun(c: Cluster, run: string, command = ['true']): Promise<void> {
  const body = directJob(c, run, command);
  const name = body.metadata?.name as string;
  await c.batch.createNamespacedJob({ namespace: c.namespace, body });
  try {
    for (;;) {
      const status = (await c.batch.readNamespacedJobStatus({ name, namespace: c.namespace })).status;
      if (status?.succeeded) return;
      if (status?.failed) throw new Error(`a direct Job failed: ${JSON.stringify(status.conditions)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await c.batch.deleteNamespacedJob({ name, namespace: c.namespace, propagationPolicy: 'Background' });
  }
}

function containerStarted(pod: V1Pod): boolean {
  return Boolean(pod.status?.containerStatuses?.some((s) => s.state?.running || s.state?.terminated));
}

/** ms from `t0` until a pod with `selector` is seen with its container started. */
async function seenRunning(c: Cluster, selector: string, t0: number): Promise<number> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const pods = await c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: selector });
    if (pods.items.some(containerStarted)) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no pod with ${selector} started within 60 s`);
}

async function main(): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(KUBECONFIG);
  const namespace = `godocker-bench-${process.pid}`;
  const c: Cluster = { batch: kc.makeApiClient(BatchV1Api), core: kc.makeApiClient(CoreV1Api), namespace };
  await c.core.createNamespace({ body: { metadata: { name: namespace } } });
  // The namespace's default service account, which every pod needs, comes from a controller.
  for (let i = 0; i < 100; i++) {
    const sa = await c.core.listNamespacedServiceAccount({ namespace });
    if (sa.items.some((s) => s.metadata?.name === 'default')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const run = randomUUID();
  const daemon = await startBenchDaemon({
    executor: 'kubernetes',
    options: { kubeconfig: KUBECONFIG, namespace, imagePullPolicy: 'Never' },
  });
  try {
    title('k8s-throughput', [
      `what:     ${JOBS} jobs \`true\` in ${IMAGE}, kubernetes executor (namespace ${namespace}), ${SLOTS} slots (2 cpu, job cpu ${JOB_CPU});`,
      `          ${JOBS} single submits (${SUBMIT_WIDTH} in flight) + POST /api/v1/jobs/wait mode all`,
      `baseline: ${JOBS} batch/v1 Jobs created ${SLOTS} at a time with @kubernetes/client-node, each read every 100 ms to its end and deleted`,
    ]);
    // Warm the cluster, the daemon's code paths and the store; not timed.
    await pool(SLOTS, SLOTS, () => directRun(c, run));
    await runBatch(daemon.client, job, SLOTS, SUBMIT_WIDTH);

    const baseStart = performance.now();
    await pool(JOBS, SLOTS, () => directRun(c, run));
    const baseMs = since(baseStart);
    const batch = await phase(daemon, () => runBatch(daemon.client, job, JOBS, SUBMIT_WIDTH));

    const ourLatency: number[] = [];
    const directLatency: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) {
      const t0 = Date.now();
      const submitted = await daemon.client.submit({ ...job, command: { script: 'sleep 1' } });
      ourLatency.push(await seenRunning(c, `godocker.job=${submitted.id}`, t0));
      await daemon.client.wait(submitted.id, { for: 'terminated' });
      const alone = `${run}-${i}`;
      const t1 = Date.now();
      const done = directRun(c, alone, ['sleep', '1']);
      directLatency.push(await seenRunning(c, `${LABEL}=${alone}`, t1));
      await done;
    }

    const ours = perSecond(JOBS, batch.result.totalMs);
    const base = perSecond(JOBS, baseMs);
    row('godocker', `${fixed(ours, 2)} jobs/s`, `${JOBS} jobs in ${fixed(batch.result.totalMs / 1000, 2)} s`);
    row('', '', cpuDetail(batch, JOBS, 'job'));
    row('direct', `${fixed(base, 2)} Jobs/s`, `${JOBS} Jobs in ${fixed(baseMs / 1000, 2)} s`);
    row('ratio', fixed(ours / base, 2), 'godocker / direct');
    const ourMedian = median(ourLatency);
    const directMedian = median(directLatency);
    row(
      'latency',
      `${fixed(ourMedian)} ms`,
      `submit to running, median of ${LATENCY_RUNS} alone (direct: ${fixed(directMedian)} ms)`,
    );
    row('latency ratio', fixed(ourMedian / directMedian, 2), 'godocker / direct (lower is better)');
    target(`ratio >= ${TARGET_RATIO}`, ours / base >= TARGET_RATIO);
    memory('daemon', await daemon.memory());
  } finally {
    await shutdown(daemon);
    await c.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
}

runMain(main);
