/**
 * The kubernetes executor: runs each job as a batch/v1 Job of one pod in one namespace, on the node
 * the daemon chose, through the API server (`@kubernetes/client-node`).
 *
 * State comes from watches (list+watch caches of the namespace's Jobs and pods, and of the nodes),
 * not from polling: a wait sleeps until its pod changes. While a watch is broken, calls ask the API
 * server directly, and one that gets no answer is an ExecutorUnavailableError, a passing fault.
 *
 * What Kubernetes cannot do, and what is done instead:
 * - Pause a pod: there is no such call. A job still waiting to be placed is suspended with its
 *   Job's spec.suspend (its pod is deleted, and made again on resume); one on a node is refused.
 * - Place a pod where the scheduler cannot: a pod left unschedulable for `unschedulableSeconds` is
 *   deleted and `wait` says TaskNotPlacedError, with the scheduler's reason; the job goes back to
 *   pending (the first GoDocker did the same).
 * - Signal a container with a grace of the caller's choosing: `kill` sets the pod's
 *   activeDeadlineSeconds (a field a running pod may have lowered), and the kubelet stops the pod
 *   with SIGTERM, then SIGKILL after the pod's terminationGracePeriodSeconds (the `killGraceSeconds`
 *   option), and keeps it, its exit code and its log. Deleting the pod instead would lose both.
 *   A pod not placed on a node yet is deleted with its Job.
 * - Keep stdout and stderr apart, on a cluster without the PodLogsQuerySplitStreams feature gate:
 *   one log per container, both streams in it (see pod-logs.ts). The executor asks for them apart
 *   and, once the API server has refused that, reads the one log into the job's `stdout` and leaves
 *   `stderr` empty (DRMAA's output and error paths still split them: they are files the job writes).
 */
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import {
  EXECUTOR_LABEL,
  type ExecRequest,
  type ExecSession,
  type Executor,
  ExecutorError,
  type ExecutorFactory,
  type ExecutorFeatures,
  type ExitInfo,
  InFlight,
  type ListedTask,
  type LogStream,
  type NodeInfo,
  NotSupportedError,
  type PluginContext,
  type RunSpec,
  signalOfStopStatus,
  TASK_LABELS,
  type TaskHandle,
  TaskNotPlacedError,
  type TaskStatus,
  type UsageSample,
  writingTo,
} from '@godocker/sdk';
import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Job,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { writeLogFiles } from '../docker/log-files.js';
import { PRELUDE_FAILED_EXIT, PRELUDE_LINE_MAX_BYTES, preludeArgs, preludeFailure } from '../docker/start-prelude.js';
import {
  CONTAINER,
  checkClusterId,
  clusterSelector,
  jobManifest,
  jobName,
  KEY_ANNOTATION,
  SCRIPT_VOLUME,
  scriptConfigMap,
} from './job-manifest.js';
import { KubeCache } from './kube-cache.js';
import { isAlreadyExists, isNotFound, kubeError, messageOf, statusOf } from './kube-errors.js';
import { nodeFingerprint, nodeInfos, requestsByNode } from './kube-nodes.js';
import { parseKubernetesOptions, type ResolvedKubernetesOptions } from './kube-options.js';
import { KubeletStats, kubeletEndpoint } from './kubelet-stats.js';
import { KubeletSummaries } from './kubelet-summaries.js';
import { execInPod } from './pod-exec.js';
import { isSplitRefused, podLog } from './pod-logs.js';
import { phaseOf, type TaskPhase, unschedulable } from './pod-outcome.js';
import { usageOfPodSummary } from './pod-usage.js';
import { poolAgents } from './pooled-agents.js';

/** How long exec waits for the container of a placed pod to start. */
const EXEC_START_WAIT_MS = 30_000;

/** The label the Job controller puts on its pods (Kubernetes ≥ 1.27). */
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** How often node listeners are told at most: a busy cluster changes its pods many times a second. */
const NODES_COALESCE_MS = 200;

interface View {
  job: V1Job | undefined;
  pod: V1Pod | undefined;
  phase: TaskPhase;
}

/** The pod of a Job that counts: the newest one (a Job with backoffLimit 0 makes one). */
function newest(pods: Iterable<V1Pod>): V1Pod | undefined {
  let best: V1Pod | undefined;
  for (const p of pods) {
    const t = p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).getTime() : 0;
    const b = best?.metadata?.creationTimestamp ? new Date(best.metadata.creationTimestamp).getTime() : -1;
    if (t >= b) best = p;
  }
  return best;
}

export function loadKubeConfig(o: ResolvedKubernetesOptions, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (o.inCluster) kc.loadFromCluster();
    else if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
    else if (env.KUBECONFIG || existsSync(join(homedir(), '.kube', 'config')) || !env.KUBERNETES_SERVICE_HOST)
      kc.loadFromDefault();
    else kc.loadFromCluster();
    if (o.context) kc.setCurrentContext(o.context);
  } catch (e) {
    throw new ExecutorError(
      `kubernetes executor: cannot load the kubeconfig${o.kubeconfig ? ` ${o.kubeconfig}` : ''}: ${messageOf(e)}`,
      e,
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new ExecutorError(
      'kubernetes executor: no cluster to talk to: set the option kubeconfig (or KUBECONFIG), or run the daemon in a pod (inCluster: true)',
    );
  }
  return kc;
}

export class KubernetesExecutor implements Executor {
  readonly name = 'kubernetes';
  private readonly closing = new AbortController();
  private readonly starting = new InFlight<string, TaskHandle>();
  private readonly openLogs = new Set<Readable>();
  /** Tasks this executor stopped: their 128+N status is the signal it sent. */
  private readonly stopped = new Set<string>();
  /** Waiters per Job name, woken when its Job or pod changes. */
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Pods per Job name, kept from the pod watch. */
  private readonly podsByJob = new Map<string, Map<string, V1Pod>>();
  private readonly nodeListeners = new Set<() => void>();
  private readonly nodePrints = new Map<string, string>();
  private nodesTimer: NodeJS.Timeout | null = null;
  private readonly jobs: KubeCache<V1Job>;
  private readonly pods: KubeCache<V1Pod>;
  private readonly nodeCache: KubeCache<V1Node>;
  private readonly otherPods: KubeCache<V1Pod> | null;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private closed = false;
  private readonly releaseAgents: () => void;
  /** Whether the API server reads stdout and stderr apart; null until it has been asked once. */
  private splitStreams: boolean | null = null;
  private readonly summaries = new KubeletSummaries((node) => this.readSummary(node));
  /** Reads the kubelets straight (the option usageFrom: kubelet). */
  private readonly kubelets: KubeletStats | null;
  /** Said once: the kubelets or the API server refuse the usage readings (a right missing). */
  private usageRefusedSaid = false;

  /**
   * Suspend only before the pod has a node (the Job's spec.suspend; a running pod cannot be paused,
   * and `suspend` refuses it). Exec through the API server (pod-exec.ts), as the pod's uid. Ports as `hostPort`s
   * of the pod (the cluster's CNI must have the portmap plugin). GPUs as the cluster's device plugin
   * counts them (`gpuResource`).
   */
  features(): ExecutorFeatures {
    return { suspend: true, logsFollow: true, exec: true, ports: true, gpus: true };
  }

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: ResolvedKubernetesOptions,
    private readonly context: PluginContext,
  ) {
    setMaxListeners(0, this.closing.signal);
    this.releaseAgents = poolAgents(kc);
    this.kubelets =
      options.usageFrom === 'kubelet'
        ? new KubeletStats(kc, { caFile: options.kubeletCaFile, insecure: options.kubeletInsecureTls })
        : null;
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    const ns = options.namespace;
    const selector = clusterSelector(context.clusterId);
    const log = context.logger;
    const wakeAll = () => this.wakeAll();
    this.jobs = new KubeCache<V1Job>(
      kc,
      'jobs',
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      () => this.batch.listNamespacedJob({ namespace: ns, labelSelector: selector }),
      { label: selector },
      { change: (job) => this.wake(job.metadata?.name), health: wakeAll },
      log,
    );
    this.pods = new KubeCache<V1Pod>(
      kc,
      'pods',
      `/api/v1/namespaces/${ns}/pods`,
      () => this.core.listNamespacedPod({ namespace: ns, labelSelector: selector }),
      { label: selector },
      { change: (pod, deleted) => this.podChanged(pod, deleted), health: wakeAll },
      log,
    );
    this.nodeCache = new KubeCache<V1Node>(
      kc,
      'nodes',
      '/api/v1/nodes',
      () => this.core.listNode({}),
      {},
      { change: (node, deleted) => this.nodeChanged(node, deleted), health: () => this.nodesChanged() },
      log,
    );
    // Pods that are not this cluster's jobs and hold resources: what they request is not GoDocker's to give.
    const others = `${TASK_LABELS.cluster}!=${context.clusterId}`;
    const live = 'status.phase!=Succeeded,status.phase!=Failed';
    this.otherPods = options.countOtherPods
      ? new KubeCache<V1Pod>(
          kc,
          'pods of other workloads',
          '/api/v1/pods',
          () => this.core.listPodForAllNamespaces({ labelSelector: others, fieldSelector: live }),
          { label: others, field: live },
          { change: () => this.nodesChanged(), health: () => this.nodesChanged() },
          log,
        )
      : null;
  }

  async init(): Promise<void> {
    checkClusterId(this.context.clusterId);
    try {
      await this.core.readNamespace({ name: this.options.namespace });
    } catch (e) {
      if (isNotFound(e)) {
        throw new ExecutorError(
          `kubernetes executor: the namespace ${this.options.namespace} does not exist: create it (kubectl create namespace ${this.options.namespace}) or set the option namespace`,
        );
      }
      throw kubeError(`kubernetes executor: reading namespace ${this.options.namespace}`, e);
    }
    await Promise.all([this.jobs.start(), this.pods.start(), this.nodeCache.start(), this.otherPods?.start()]);
    const broken = [this.jobs, this.pods, this.nodeCache, this.otherPods].find((c) => c && !c.current);
    if (broken) {
      throw kubeError(`kubernetes executor: watching ${broken.what}`, broken.lastError);
    }
  }

  // ---- nodes ---------------------------------------------------------------------------

  async nodes(): Promise<NodeInfo[]> {
    this.assertOpen();
    const nodes = this.nodeCache.current
      ? this.nodeCache.list()
      : await this.call('listing nodes', () => this.core.listNode({})).then((l) => l.items);
    let others: readonly V1Pod[] = [];
    if (this.otherPods) {
      others = this.otherPods.current
        ? this.otherPods.list()
        : await this.call('listing the pods of other workloads', () =>
            this.core.listPodForAllNamespaces({
              labelSelector: `${TASK_LABELS.cluster}!=${this.context.clusterId}`,
              fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
            }),
          ).then((l) => l.items);
    }
    return nodeInfos(nodes, requestsByNode(others, this.options.gpuResource), this.options.gpuResource);
  }

  watchNodes(listener: () => void): () => void {
    this.nodeListeners.add(listener);
    return () => this.nodeListeners.delete(listener);
  }

  private nodeChanged(node: V1Node, deleted: boolean): void {
    const name = node.metadata?.name ?? '';
    const print = deleted ? null : nodeFingerprint(node);
    if (print !== null && this.nodePrints.get(name) === print) return;
    if (print === null) this.nodePrints.delete(name);
    else this.nodePrints.set(name, print);
    this.nodesChanged();
  }

  private nodesChanged(): void {
    if (this.nodesTimer || this.nodeListeners.size === 0) return;
    this.nodesTimer = setTimeout(() => {
      this.nodesTimer = null;
      for (const l of this.nodeListeners) l();
    }, NODES_COALESCE_MS);
    this.nodesTimer.unref();
  }

  // ---- tasks ---------------------------------------------------------------------------

  start(spec: RunSpec): Promise<TaskHandle> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.starting.run(spec.key, () => this.createJob(spec));
  }

  private async createJob(spec: RunSpec): Promise<TaskHandle> {
    await writingTo(`starting task ${spec.key}`, spec.jobDir, () => mkdir(spec.jobDir, { recursive: true }));
    const ns = this.options.namespace;
    const name = jobName(spec.key);
    const handle: TaskHandle = { key: spec.key, id: name, node: spec.node || null };
    const configMap = scriptConfigMap(spec, this.context.clusterId, ns);
    const manifest = jobManifest(spec, this.context.clusterId, this.options, EXECUTOR_LABEL);
    const doing = `starting task ${spec.key}`;
    if (configMap) {
      await this.call(doing, () => this.core.createNamespacedConfigMap({ namespace: ns, body: configMap })).catch((e) => {
        if (!isAlreadyExists(e.cause ?? e)) throw e;
      });
    }
    let job: V1Job;
    try {
      job = await this.batch.createNamespacedJob({ namespace: ns, body: manifest });
    } catch (e) {
      // The same key started before (a daemon that crashed after its create): that Job is the task.
      if (!isAlreadyExists(e)) throw kubeError(doing, e);
      job = await this.call(doing, () => this.batch.readNamespacedJob({ name, namespace: ns }));
    }
    if (configMap && job.metadata?.uid) {
      // Owned by the Job: deleted with it, by whoever deletes it (collect, or the TTL controller).
      const owner = { apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid, blockOwnerDeletion: false };
      await this.core
        .patchNamespacedConfigMap({ name, namespace: ns, body: { metadata: { ownerReferences: [owner] } } }, MERGE_PATCH)
        .catch((e: unknown) =>
          this.context.logger.warn(
            { err: e, key: spec.key },
            'could not make the Job own its script ConfigMap; collect removes it',
          ),
        );
    }
    return handle;
  }

  async wait(handle: TaskHandle): Promise<ExitInfo> {
    this.assertOpen();
    const name = jobName(handle.key);
    for (;;) {
      // At the top, so that no path through the loop (the unschedulable one continues) outlives close().
      if (this.closed) throw new ExecutorError(`kubernetes executor closed while waiting for task ${handle.key}`);
      // Registered before the read, so a change between the read and the sleep is not missed.
      const changed = this.changed(name);
      try {
        const view = await this.view(handle);
        if (!view) throw this.missing(handle, 'wait for');
        if (view.phase.phase === 'ended') return await this.endOf(handle, view);
        if (view.phase.phase === 'lost') throw this.lost(handle, view.phase.why);
        const stuck = view.phase.phase === 'created' ? unschedulable(view.pod) : null;
        if (stuck) {
          const left = stuck.since + this.options.unschedulableSeconds * 1000 - Date.now();
          if (left <= 0) {
            // Deleted before the job goes back to the queue: it must not start here later as well.
            await this.deleteJob(handle, `giving up on placing task ${handle.key}`, view.job);
            throw new TaskNotPlacedError(
              `the cluster could not place it on node ${handle.node ?? '(any)'} for ${this.options.unschedulableSeconds} s: ${stuck.why}`,
            );
          }
          const timer = delay(left, undefined, { signal: this.closing.signal }).catch(() => undefined);
          await Promise.race([changed.promise, timer]);
          continue;
        }
        await changed.promise;
      } finally {
        changed.cancel();
      }
    }
  }

  async status(handle: TaskHandle): Promise<TaskStatus> {
    this.assertOpen();
    // Straight from the API server: the reconciler asks to compare with the store, and a watch may lag.
    const view = await this.view(handle, { fresh: true });
    if (!view) return { state: 'missing' };
    switch (view.phase.phase) {
      case 'created':
        return { state: 'created' };
      case 'suspended':
        return { state: 'paused' };
      case 'running':
        return { state: 'running' };
      case 'ended':
        return { state: 'exited', ...(await this.endOf(handle, view)) };
      case 'lost':
        return { state: 'missing' };
    }
  }

  /**
   * From the stats summary of the kubelet of the pod's node (the option usageFrom): one summary per
   * node and round answers for all its pods (pod-usage.ts).
   */
  async usage(handle: TaskHandle): Promise<UsageSample | null> {
    this.assertOpen();
    if (this.options.usageFrom === 'off') return null;
    const view = await this.view(handle);
    const pod = view?.phase.phase === 'running' ? view.pod : undefined;
    const node = pod?.spec?.nodeName;
    const name = pod?.metadata?.name;
    if (!node || !name) return null;
    let summary: unknown;
    try {
      summary = await this.summaries.get(node);
    } catch (e) {
      const status = statusOf(e);
      if (status === 401 || status === 403 || isCertificateError(e)) {
        this.sayUsageRefused(node, e);
        return null;
      }
      throw kubeError(`reading the usage of task ${handle.key} from the kubelet of node ${node}`, e);
    }
    return usageOfPodSummary(summary, this.options.namespace, name);
  }

  private async readSummary(node: string): Promise<unknown> {
    if (!this.kubelets) {
      const answer: unknown = await this.core.connectGetNodeProxyWithPath({ name: node, path: 'stats/summary' });
      // Typed as a string, but the client parses a JSON answer.
      return typeof answer === 'string' ? JSON.parse(answer) : answer;
    }
    const known = this.nodeCache.current ? this.nodeCache.get(node) : undefined;
    const info = known ?? (await this.call(`reading node ${node}`, () => this.core.readNode({ name: node })));
    const endpoint = kubeletEndpoint(info);
    if (!endpoint) throw new ExecutorError(`node ${node} has no address in its status: its kubelet cannot be asked for usage`);
    return this.kubelets.summary(endpoint);
  }

  private sayUsageRefused(node: string, error: unknown): void {
    if (this.usageRefusedSaid) return;
    this.usageRefusedSaid = true;
    const fix = isCertificateError(error)
      ? `the kubelet's serving certificate does not check out (${messageOf(error)}): set the option kubeletCaFile to the CA that signed it, or kubeletInsecureTls: true for self-signed kubelet certificates`
      : this.options.usageFrom === 'kubelet'
        ? "the kubelet refused the daemon's credentials: grant get on nodes/stats (deploy/kubernetes/rbac.yaml does); the kubelets must check tokens with the API server (authentication.webhook, authorization.mode Webhook)"
        : 'the API server refused the node proxy: grant get on nodes/proxy, or set the option usageFrom: kubelet';
    this.context.logger.warn({ err: error, node }, `kubernetes jobs are not sampled for usage: ${fix}`);
  }

  async list(): Promise<ListedTask[]> {
    this.assertOpen();
    // Straight from the API server: the reconciler compares it with the store, and a Job created a
    // moment ago may not have reached the watch yet.
    const namespace = this.options.namespace;
    const labelSelector = clusterSelector(this.context.clusterId);
    const [jobs, pods] = await this.call('listing jobs', () =>
      Promise.all([
        this.batch.listNamespacedJob({ namespace, labelSelector }),
        this.core.listNamespacedPod({ namespace, labelSelector }),
      ]),
    );
    const podsByJob = new Map<string, V1Pod[]>();
    for (const pod of pods.items) {
      const job = pod.metadata?.labels?.[JOB_NAME_LABEL];
      if (job) podsByJob.set(job, [...(podsByJob.get(job) ?? []), pod]);
    }
    const tasks: ListedTask[] = [];
    for (const job of jobs.items) {
      const key = job.metadata?.annotations?.[KEY_ANNOTATION];
      const jobId = Number(job.metadata?.labels?.[TASK_LABELS.job]);
      const name = job.metadata?.name;
      if (!key || !name || !Number.isInteger(jobId)) continue;
      const pod = newest(podsByJob.get(name) ?? []);
      tasks.push({ key, jobId, handle: { key, id: name, node: pod?.spec?.nodeName ?? null } });
    }
    return tasks;
  }

  async kill(handle: TaskHandle, _graceSeconds: number): Promise<void> {
    this.assertOpen();
    const view = await this.view(handle, { fresh: true });
    if (!view || view.phase.phase === 'ended' || view.phase.phase === 'lost') return;
    this.stopped.add(handle.key);
    const ns = this.options.namespace;
    const pod = view.pod;
    if (pod?.metadata?.name && pod.spec?.nodeName && pod.status?.startTime) {
      // The kubelet ends a pod past its deadline with the pod's grace and keeps its exit code and log.
      await this.call(`killing task ${handle.key}`, () =>
        this.core.patchNamespacedPod(
          { name: pod.metadata?.name as string, namespace: ns, body: { spec: { activeDeadlineSeconds: 1 } } },
          MERGE_PATCH,
        ),
      ).catch((e) => {
        if (!isNotFound(e.cause)) throw e;
      });
      return;
    }
    // Not on a node yet: nothing ran, nothing to keep.
    this.killedBeforeStart.add(handle.key);
    await this.deleteJob(handle, `killing task ${handle.key}`, view.job);
    this.wake(jobName(handle.key));
  }

  /** Tasks killed before their pod reached a node: their Job is gone, their end is this kill. */
  private readonly killedBeforeStart = new Set<string>();

  /**
   * Only a job whose pod has no node yet: the Job's spec.suspend makes the Job controller delete
   * that pod, and resume makes a new one. Once the scheduler has bound the pod its kubelet may
   * start it at any moment, and suspending would then kill a running job: refused.
   */
  async suspend(handle: TaskHandle): Promise<void> {
    this.assertOpen();
    const view = await this.view(handle, { fresh: true });
    if (!view) throw this.missing(handle, 'suspend');
    if (view.phase.phase === 'suspended') return;
    if (view.phase.phase !== 'created' || view.pod?.spec?.nodeName) {
      throw new NotSupportedError(
        this.name,
        'suspend a job once its pod is on a node (Kubernetes cannot pause a pod; a job is suspended only while it waits to be placed)',
      );
    }
    await this.call(`suspending task ${handle.key}`, () =>
      this.batch.patchNamespacedJob(
        { name: jobName(handle.key), namespace: this.options.namespace, body: { spec: { suspend: true } } },
        MERGE_PATCH,
      ),
    );
    this.wake(jobName(handle.key));
  }

  async resume(handle: TaskHandle): Promise<void> {
    this.assertOpen();
    const view = await this.view(handle, { fresh: true });
    if (!view) throw this.missing(handle, 'resume');
    if (view.phase.phase !== 'suspended') return;
    await this.call(`resuming task ${handle.key}`, () =>
      this.batch.patchNamespacedJob(
        { name: jobName(handle.key), namespace: this.options.namespace, body: { spec: { suspend: false } } },
        MERGE_PATCH,
      ),
    );
    this.wake(jobName(handle.key));
  }

  async logs(handle: TaskHandle, stream: LogStream, options: { follow: boolean }): Promise<Readable> {
    this.assertOpen();
    let view = await this.view(handle);
    if (!view) throw this.missing(handle, 'read the logs of');
    // Followed before its container started (the pod is being placed, its image unpacked): the
    // output is to come, so wait for the start rather than end the stream empty.
    while (options.follow && view.phase.phase === 'created' && !containerStarted(view.pod)) {
      const changed = this.changed(jobName(handle.key));
      try {
        const again = await this.view(handle);
        if (!again) throw this.missing(handle, 'read the logs of');
        view = again;
        if (view.phase.phase !== 'created' || containerStarted(view.pod)) break;
        await changed.promise;
      } finally {
        changed.cancel();
      }
      if (this.closed) throw this.closedError();
    }
    const pod = view.pod;
    const started = containerStarted(pod);
    if (!pod?.metadata?.name || !started) return Readable.from([]);
    const hangUp = new AbortController();
    const signal = AbortSignal.any([hangUp.signal, this.closing.signal]);
    const source = await this.podStream(handle, pod.metadata.name, stream, { follow: options.follow, signal });
    // Without split streams both are in the container's one log, shown as stdout: stderr has nothing of its own.
    if (!source) return Readable.from([]);
    const out = new PassThrough();
    source.pipe(out);
    source.on('error', (e) => out.destroy(e));
    out.on('close', () => {
      hangUp.abort();
      this.openLogs.delete(out);
    });
    this.openLogs.add(out);
    return out;
  }

  /**
   * Kubernetes exec has no user option: the command runs as the container does, the job's
   * uid/gid (job-manifest.ts). Asked for another, it refuses rather than run as the wrong one.
   */
  async exec(handle: TaskHandle, request: ExecRequest): Promise<ExecSession> {
    this.assertOpen();
    let view = await this.view(handle, { fresh: true });
    // Running for the daemon once placed: its image may still be unpacking. Wait for the start, a while.
    const until = Date.now() + EXEC_START_WAIT_MS;
    while (view && view.phase.phase === 'created' && !containerStarted(view.pod) && Date.now() < until) {
      const changed = this.changed(jobName(handle.key));
      try {
        await Promise.race([changed.promise, delay(500)]);
      } finally {
        changed.cancel();
      }
      if (this.closed) throw this.closedError();
      view = await this.view(handle, { fresh: true });
    }
    const pod = view?.pod;
    if (!view || !pod?.metadata?.name || view.phase.phase === 'ended' || !containerStarted(pod)) {
      throw new ExecutorError(`task ${handle.key} has no running container to run a command in`);
    }
    const context = pod.spec?.securityContext;
    if (
      context?.runAsUser !== undefined &&
      (context.runAsUser !== request.uid || (context.runAsGroup ?? request.gid) !== request.gid)
    ) {
      throw new ExecutorError(
        `task ${handle.key} runs as ${context.runAsUser}:${context.runAsGroup}; kubernetes exec cannot run as ${request.uid}:${request.gid}`,
      );
    }
    return execInPod(this.kc, { namespace: this.options.namespace, pod: pod.metadata.name, container: CONTAINER }, request);
  }

  async collect(handle: TaskHandle, jobDir: string): Promise<void> {
    this.assertOpen();
    await writingTo(`collecting task ${handle.key}`, jobDir, () => mkdir(jobDir, { recursive: true }));
    const view = await this.view(handle, { fresh: true });
    const pod = view?.pod;
    if (pod?.metadata?.name && containerStarted(pod)) {
      const name = pod.metadata.name;
      const o = { follow: false, signal: this.closing.signal };
      // Both read before the files are opened: a log the API server cannot give leaves no empty files behind.
      const stdout = await this.podStream(handle, name, 'stdout', o);
      const stderr = await this.podStream(handle, name, 'stderr', o).catch((e: unknown) => {
        stdout?.destroy();
        throw e;
      });
      await writingTo(`collecting task ${handle.key}`, jobDir, () => writeLogFiles(frames(stdout, stderr), jobDir));
    } else if (view) {
      await writingTo(`collecting task ${handle.key}`, jobDir, () => writeLogFiles(frames(null, null), jobDir));
    }
    await this.deleteJob(handle, `collecting task ${handle.key}`, view?.job);
    this.killedBeforeStart.delete(handle.key);
    this.stopped.delete(handle.key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    if (this.nodesTimer) clearTimeout(this.nodesTimer);
    for (const s of this.openLogs) s.destroy();
    this.wakeAll();
    await this.stopCaches();
    this.releaseAgents();
    this.kubelets?.close();
  }

  // ---- inner workings ----------------------------------------------------------------

  private async stopCaches(): Promise<void> {
    await Promise.all([this.jobs.stop(), this.pods.stop(), this.nodeCache.stop(), this.otherPods?.stop()]);
  }

  /** The Job and its pod, from the watches when they are current, else from the API server. */
  private async view(handle: TaskHandle, o: { fresh?: boolean } = {}): Promise<View | null> {
    const name = jobName(handle.key);
    const ns = this.options.namespace;
    let job: V1Job | undefined;
    let pod: V1Pod | undefined;
    const cached = !o.fresh && this.jobs.current && this.pods.current ? this.jobs.get(name, ns) : undefined;
    if (cached) {
      job = cached;
      pod = newest(this.podsByJob.get(name)?.values() ?? []);
    } else {
      const doing = `reading task ${handle.key}`;
      job = await this.call(doing, () => this.batch.readNamespacedJob({ name, namespace: ns })).catch((e) => {
        if (isNotFound(e.cause)) return undefined;
        throw e;
      });
      if (job) {
        const pods = await this.call(doing, () =>
          this.core.listNamespacedPod({ namespace: ns, labelSelector: `${JOB_NAME_LABEL}=${name}` }),
        );
        pod = newest(pods.items);
      }
    }
    if (!job) {
      if (!this.killedBeforeStart.has(handle.key)) return null;
      return { job, pod, phase: { phase: 'ended', deadline: false, info: killedInfo() } };
    }
    const image = job.spec?.template.spec?.containers.find((c) => c.name === CONTAINER)?.image;
    return { job, pod, phase: phaseOf(job, pod, image) };
  }

  private async endOf(handle: TaskHandle, view: View): Promise<ExitInfo> {
    if (view.phase.phase !== 'ended') throw new Error('endOf on a task that has not ended');
    const info = { ...view.phase.info };
    if (info.error === null && info.signal === null && (this.stopped.has(handle.key) || view.phase.deadline)) {
      info.signal = signalOfStopStatus(info.exitCode);
    }
    if (info.exitCode === PRELUDE_FAILED_EXIT && info.error === null && view.pod?.metadata?.name) {
      const args = preludeArgs(view.job?.spec?.template.spec?.containers.find((c) => c.name === CONTAINER)?.command);
      if (args) {
        const last = await this.lastLogLine(handle, view.pod.metadata.name).catch(() => '');
        const error = preludeFailure(args, last);
        if (error) return { ...info, error };
      }
    }
    return info;
  }

  /**
   * One stream of a pod's log. Without split streams on the API server, stdout is the whole log
   * and stderr is null (nothing of its own).
   */
  private async podStream(
    handle: TaskHandle,
    pod: string,
    stream: LogStream,
    o: { follow: boolean; signal: AbortSignal },
  ): Promise<Readable | null> {
    const doing = `reading the ${stream} of task ${handle.key}`;
    const read = (split: 'Stdout' | 'Stderr' | undefined) =>
      this.call(doing, () =>
        podLog(this.kc, this.options.namespace, pod, CONTAINER, { ...o, ...(split ? { stream: split } : {}) }),
      );
    if (this.splitStreams !== false) {
      try {
        const source = await read(stream === 'stdout' ? 'Stdout' : 'Stderr');
        this.splitStreams = true;
        return source;
      } catch (e) {
        if (!isSplitRefused(e)) throw e;
        this.splitStreams = false;
        this.context.logger.info(
          { namespace: this.options.namespace },
          'the Kubernetes API server cannot read stdout and stderr apart (feature gate PodLogsQuerySplitStreams off): both go to the stdout log',
        );
      }
    }
    return stream === 'stdout' ? read(undefined) : null;
  }

  /** The last line of a pod's log, read bounded (the prelude's failure line is short, on stderr). */
  private async lastLogLine(handle: TaskHandle, pod: string): Promise<string> {
    const o = { follow: false, signal: this.closing.signal };
    const source = (await this.podStream(handle, pod, 'stderr', o)) ?? (await this.podStream(handle, pod, 'stdout', o));
    if (!source) return '';
    let tail = Buffer.alloc(0);
    for await (const chunk of source) {
      tail = Buffer.concat([tail, chunk as Buffer]);
      if (tail.length > 2 * PRELUDE_LINE_MAX_BYTES) tail = tail.subarray(tail.length - 2 * PRELUDE_LINE_MAX_BYTES);
    }
    const text = tail.toString('utf8').replace(/\n$/, '');
    return text.slice(text.lastIndexOf('\n') + 1);
  }

  private async deleteJob(handle: TaskHandle, doing: string, job?: V1Job): Promise<void> {
    const name = jobName(handle.key);
    const ns = this.options.namespace;
    // Background: the Job goes now, the garbage collector deletes its pod and its ConfigMap after it.
    await this.call(doing, () => this.batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: 'Background' })).catch(
      (e) => {
        if (!isNotFound(e.cause)) throw e;
      },
    );
    // Its script's ConfigMap, when it has one, or when the Job is not known (a start cut off
    // between the two creates): the Job's owner reference alone would miss both a failed patch and that.
    const script = job?.spec?.template.spec?.volumes?.some((v) => v.name === SCRIPT_VOLUME) ?? true;
    if (script) await this.core.deleteNamespacedConfigMap({ name, namespace: ns }).catch(() => undefined);
  }

  /** Runs an API call; its failure becomes a typed error that keeps the API's own as its cause. */
  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw kubeError(doing, e);
    }
  }

  private podChanged(pod: V1Pod, deleted: boolean): void {
    const job = pod.metadata?.labels?.[JOB_NAME_LABEL];
    const name = pod.metadata?.name;
    if (!job || !name) return;
    let pods = this.podsByJob.get(job);
    if (deleted) {
      pods?.delete(name);
      if (pods?.size === 0) this.podsByJob.delete(job);
    } else {
      if (!pods) {
        pods = new Map();
        this.podsByJob.set(job, pods);
      }
      pods.set(name, pod);
    }
    this.wake(job);
  }

  private changed(name: string): { promise: Promise<void>; cancel: () => void } {
    let wake = () => {};
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let set = this.waiters.get(name);
    if (!set) {
      set = new Set();
      this.waiters.set(name, set);
    }
    set.add(wake);
    return {
      promise,
      cancel: () => {
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(name) === set) this.waiters.delete(name);
      },
    };
  }

  private wake(name: string | undefined): void {
    if (!name) return;
    for (const w of this.waiters.get(name) ?? []) w();
  }

  private wakeAll(): void {
    for (const set of this.waiters.values()) for (const w of set) w();
  }

  private missing(handle: TaskHandle, doing: string): ExecutorError {
    return new ExecutorError(
      `cannot ${doing} task ${handle.key}: no such Job in namespace ${this.options.namespace} (collected or deleted)`,
    );
  }

  private lost(handle: TaskHandle, why: string): ExecutorError {
    return new ExecutorError(`task ${handle.key} is lost: ${why}; how the job would have ended is unknown`);
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): ExecutorError {
    return new ExecutorError('the kubernetes executor is closed');
  }
}

/** TLS refused the peer's certificate (Node's codes: UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID...). */
function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code);
}

function containerStarted(pod: V1Pod | undefined): boolean {
  return Boolean(pod?.status?.containerStatuses?.some((c) => c.state?.running || c.state?.terminated));
}

function killedInfo(): ExitInfo {
  return {
    exitCode: 137,
    signal: 'SIGKILL',
    oomKilled: false,
    startedAt: null,
    endedAt: null,
    error: null,
    cpuSeconds: null,
    maxMemoryMb: null,
  };
}

async function* frames(stdout: Readable | null, stderr: Readable | null): AsyncGenerator<{ stream: LogStream; data: Buffer }> {
  for (const [stream, source] of [
    ['stdout', stdout],
    ['stderr', stderr],
  ] as const) {
    if (!source) continue;
    for await (const chunk of source) yield { stream, data: Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string) };
  }
}

export const createKubernetesExecutor: ExecutorFactory = async (options, context) => {
  const resolved = parseKubernetesOptions(options);
  const executor = new KubernetesExecutor(loadKubeConfig(resolved), resolved, context);
  try {
    await executor.init();
  } catch (e) {
    // Its watches and pooled connections must not outlive a start that failed.
    await executor.close();
    throw e;
  }
  return executor;
};
