/**
 * The Helm chart deploy/helm/godocker (issue 12, part 4), with a real Helm (built from the Go module
 * proxy by scripts/helm-build.sh) and the test Kubernetes cluster (scripts/k8s-up.sh): `helm lint`,
 * what `helm template` gives the daemon and refuses, and a real install: the daemon's image (built
 * here by scripts/build-daemon-image.sh, copied into the cluster's containerd) in a namespace of its
 * own, running a job in that namespace through the kubernetes executor with the chart's RBAC.
 *
 * The test cluster's pods reach nothing but the host, its API server listens on 127.0.0.1 and no
 * kube-proxy serves its Service address: the pods reach it through a relay on the pod bridge's host
 * address (tcp-cut), by the name its certificate carries (hostAliases, KUBERNETES_SERVICE_HOST/PORT
 * in extraEnv), with the service account the chart makes. FerretDB and Redis, on loopback, are
 * relayed there too for the two daemons.
 *
 * The image is built from the packages as `npm run build` left them (--no-build), as in
 * deploy-compose.test.ts; it is tagged with a name of this run's own, so that other runs building
 * local/godocker:latest at the same time change nothing here.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KUBECONFIG, KUBECTL, kubectl, requireKubernetes, testNamespace } from '../../plugins/test/helpers/kubernetes.js';
import { startTcpCut, type TcpCut } from '../../plugins/test/helpers/tcp-cut.js';
import { loadConfig } from '../src/config/load-config.js';
import { MONGO_URL, mongoDatabases, requireMongo } from './helpers/mongo.js';
import { startRedisServer } from './helpers/redis-server.js';
import { until } from './helpers/test-daemon.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const chart = `${repo}deploy/helm/godocker`;
const SOCKET = process.env.GODOCKER_DOCKER_SOCKET ?? '/var/run/docker.sock';
const CONTAINERD = `${process.env.GODOCKER_K8S_DIR ?? '/var/lib/godocker-ci/k8s'}/containerd/containerd.sock`;
const token = randomBytes(24).toString('hex');
const database = mongoDatabases('gdhelm');

let helmBin = '';

async function buildHelm(): Promise<void> {
  if (helmBin) return;
  // Cold: about 3.5 min on this 2-core machine (scripts/setup.sh builds it first in CI).
  const { stdout } = await run('bash', [`${repo}scripts/helm-build.sh`], { timeout: 600_000, maxBuffer: 16 << 20 });
  helmBin = stdout.trim();
}

/** helm ARGS; rejects with Helm's stderr (its refusal message) on a non-zero exit. */
async function helm(args: string[], timeout = 60_000): Promise<string> {
  try {
    const { stdout } = await run(helmBin, args, {
      timeout,
      maxBuffer: 16 << 20,
      env: { ...process.env, KUBECONFIG, HELM_CACHE_HOME: helmHome, HELM_CONFIG_HOME: helmHome, HELM_DATA_HOME: helmHome },
    });
    return stdout;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`helm ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}
const helmHome = mkdtempSync(join(tmpdir(), 'godocker-helm-'));

interface Manifest {
  kind: string;
  metadata: { name: string };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read field by field
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

async function template(values: string[]): Promise<Manifest[]> {
  const out = await helm(['template', 'site', chart, '--namespace', 'batch', ...values]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}
function kind(ms: Manifest[], k: string): Manifest {
  const m = ms.find((x) => x.kind === k);
  if (!m) throw new Error(`no ${k} rendered: ${ms.map((x) => x.kind).join(', ')}`);
  return m;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: { fieldPath: string } };
}
function daemonContainer(ms: Manifest[]) {
  return kind(ms, 'Deployment').spec.template.spec.containers[0] as {
    env: EnvVar[];
    ports: { containerPort: number }[];
    securityContext: Record<string, unknown>;
    readinessProbe: { httpGet: { path: string } };
    livenessProbe: { httpGet: { path: string } };
  };
}

/**
 * The configuration the daemon of a rendered pod starts with: the ConfigMap's config.yaml read by
 * the daemon's own loader, with the environment the pod gives it (Secret keys and the downward API
 * resolved as the kubelet would), over the image's (deploy/Dockerfile).
 */
function daemonConfig(ms: Manifest[], podIp: string) {
  const secret = kind(ms, 'Secret').stringData ?? {};
  const env: NodeJS.ProcessEnv = { GODOCKER_HOST: '0.0.0.0', GODOCKER_PORT: '6543', GODOCKER_DATA_DIR: '/var/lib/godocker' };
  for (const v of daemonContainer(ms).env) {
    if (v.valueFrom?.secretKeyRef) env[v.name] = secret[v.valueFrom.secretKeyRef.key] ?? '';
    else if (v.valueFrom?.fieldRef?.fieldPath === 'status.podIP') env[v.name] = podIp;
    else env[v.name] = (v.value ?? '').replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? '');
  }
  const dir = mkdtempSync(join(tmpdir(), 'godocker-helm-config-'));
  try {
    writeFileSync(join(dir, 'config.yaml'), kind(ms, 'ConfigMap').data?.['config.yaml'] ?? '');
    return loadConfig({ path: join(dir, 'config.yaml'), env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const site = [
  `--set=adminToken=${token}`,
  '--set=replicaCount=2',
  '--set=store.mongodb.url=mongodb://godocker:s3cret@db.example.org:27017/',
  '--set=redis.url=redis://:r3dis@redis.example.org:6379',
  '--set=persistence.enabled=true',
  '--set=persistence.accessModes={ReadWriteMany}',
];

describe('deploy/helm/godocker rendered: helm lint, helm template', () => {
  beforeAll(buildHelm, 660_000);
  afterAll(() => rmSync(helmHome, { recursive: true, force: true }));

  it('passes helm lint', async () => {
    const out = await helm(['lint', chart, `--set=adminToken=${token}`]);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('with the defaults: one daemon on the sqlite store, the kubernetes executor in the release namespace, non-root', async () => {
    const ms = await template([`--set=adminToken=${token}`]);
    expect(ms.map((m) => m.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'Deployment',
        'Role',
        'RoleBinding',
        'Secret',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const deployment = kind(ms, 'Deployment').spec;
    expect(deployment.replicas).toBe(1);
    expect(deployment.strategy.type).toBe('Recreate');
    expect(deployment.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    const c = daemonContainer(ms);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(['/healthz', '/readyz']);

    const config = daemonConfig(ms, '10.1.2.3');
    // Jobs in another namespace than the daemon's claim (and no claim at all here): no /mnt/godocker.
    expect(config.executor).toEqual({ type: 'kubernetes', options: { inCluster: true, namespace: 'batch', mountJobDir: false } });
    expect(config.store.type).toBe('sqlite');
    expect(config.coordination.type).toBe('none');
    // A folder of the daemon's own inside the volume, whose root belongs to root.
    expect(config.dataDir).toBe('/var/lib/godocker/data');
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 6543 });
    expect(kind(ms, 'Secret').stringData?.['admin-token']).toBe(token);
  });

  it('with two replicas on MongoDB and Redis: the election through Redis, each pod advertising its IP, URLs in the Secret, a PDB, a shared claim', async () => {
    const ms = await template(site);
    const config = daemonConfig(ms, '10.1.2.3');
    expect(config.store).toMatchObject({
      type: 'mongodb',
      url: 'mongodb://godocker:s3cret@db.example.org:27017/',
      database: 'godocker',
    });
    expect(config.coordination).toEqual({
      type: 'redis',
      url: 'redis://:r3dis@redis.example.org:6379',
      leaseMs: 10_000,
      advertiseUrl: 'http://10.1.2.3:6543',
    });
    // The passwords are in the Secret only.
    expect(kind(ms, 'ConfigMap').data?.['config.yaml']).not.toMatch(/s3cret|r3dis/);
    expect(JSON.stringify(kind(ms, 'Deployment'))).not.toMatch(/s3cret|r3dis/);
    const env = daemonContainer(ms).env;
    expect(env.find((v) => v.name === 'GODOCKER_REDIS_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'site-godocker',
      key: 'redis-url',
    });

    const deployment = kind(ms, 'Deployment').spec;
    expect(deployment.replicas).toBe(2);
    expect(deployment.strategy.type).toBe('RollingUpdate');
    expect(kind(ms, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1 });
    expect(kind(ms, 'PersistentVolumeClaim').spec.accessModes).toEqual(['ReadWriteMany']);
    expect(deployment.template.spec.volumes.find((v: { name: string }) => v.name === 'data')).toEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'site-godocker-data' },
    });
  });

  const withToken = (...values: string[]) => [`--set=adminToken=${token}`, ...values];
  it.each([
    ['no adminToken', [], /adminToken is needed \(16 characters or more/],
    ['a short adminToken', ['--set=adminToken=short'], /adminToken must be 16 characters or more/],
    [
      'two replicas on sqlite',
      withToken('--set=replicaCount=2'),
      /replicaCount 2 needs store\.mongodb\.url: the sqlite store is one daemon's file/,
    ],
    [
      'two replicas without Redis',
      withToken('--set=replicaCount=2', '--set=store.mongodb.url=mongodb://db:27017/'),
      /replicaCount 2 needs redis\.url: the daemons elect their leader there/,
    ],
    [
      'two replicas, each with a data folder of its own',
      site.filter((s) => !s.startsWith('--set=persistence')),
      /replicaCount 2 needs persistence\.enabled with a ReadWriteMany claim/,
    ],
    [
      'two replicas on a ReadWriteOnce claim',
      site.filter((s) => !s.includes('accessModes')),
      /needs the data folder's claim ReadWriteMany \(persistence\.accessModes is \["ReadWriteOnce"\]\)/,
    ],
    ['Redis on the sqlite store', withToken('--set=redis.url=redis://r:6379'), /redis\.url needs store\.mongodb\.url/],
    [
      'a store URL that is not mongodb://',
      withToken('--set=store.mongodb.url=db:27017'),
      /store\.mongodb\.url must start with mongodb:\/\//,
    ],
    ['no replica', withToken('--set=replicaCount=0'), /replicaCount is 0: it must be 1 or more/],
  ])('refuses %s, saying what to set', async (_what, values, message) => {
    await expect(template(values)).rejects.toThrow(message);
  });

  it('deploy/kubernetes/godocker.yaml is the chart rendered by scripts/k8s-manifest.sh', async () => {
    const { stdout } = await run('bash', [`${repo}scripts/k8s-manifest.sh`], { timeout: 600_000, maxBuffer: 16 << 20 });
    expect(
      readFileSync(`${repo}deploy/kubernetes/godocker.yaml`, 'utf8') === stdout,
      'deploy/kubernetes/godocker.yaml differs from the chart: run `bash scripts/k8s-manifest.sh > deploy/kubernetes/godocker.yaml`',
    ).toBe(true);
  });
});

describe('deploy/helm/godocker installed on the test cluster', () => {
  const imageTag = `helmtest-${process.pid}-${randomBytes(3).toString('hex')}`;
  const relays: TcpCut[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let imported = false;
  let bridge = '';
  let apiPort = 0;

  const docker = (...args: string[]) =>
    run('docker', ['-H', `unix://${SOCKET}`, ...args], { timeout: 120_000, maxBuffer: 16 << 20 });
  const ctr = (...args: string[]) =>
    run('ctr', ['--address', CONTAINERD, '-n', 'k8s.io', ...args], { timeout: 120_000, maxBuffer: 16 << 20 });
  /** A relay on the pod bridge's host address to a server on this host's loopback. */
  const reachableFromPods = async (host: string, port: number) => {
    const relay = await startTcpCut({ host, port }, bridge);
    relays.push(relay);
    return relay.port;
  };

  beforeAll(async () => {
    requireKubernetes();
    if (!existsSync(`${repo}packages/cli/dist/godocker.cjs`)) throw new Error('the packages are not built: npm run build');
    bridge = podBridgeAddress();
    await buildHelm();
    const scriptEnv = { ...process.env, GODOCKER_DOCKER_SOCKET: SOCKET };
    // Cold (debootstrap, the base) about 4 min on this 2-core machine, warm about 30 s.
    await run('bash', [`${repo}scripts/build-daemon-image.sh`, '--no-build'], {
      env: scriptEnv,
      timeout: 600_000,
      maxBuffer: 16 << 20,
    });
    const id = (await docker('image', 'inspect', '-f', '{{.Id}}', 'local/godocker:latest')).stdout.trim();
    await docker('tag', id, `local/godocker:${imageTag}`);
    // As scripts/k8s-up.sh copies local/busybox: nothing is pulled, the pods use imagePullPolicy Never.
    await run(
      'bash',
      [
        '-c',
        'docker -H "unix://$1" save "$2" | ctr --address "$3" -n k8s.io images import -',
        'import',
        SOCKET,
        `local/godocker:${imageTag}`,
        CONTAINERD,
      ],
      { timeout: 300_000 },
    );
    imported = true;
    const api = new URL(readKubeServer());
    apiPort = await reachableFromPods(api.hostname, Number(api.port || 443));
  }, 1_300_000);

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch((e: Error) => console.error(e.message));
    for (const r of relays) await r.close();
    if (imported) await ctr('images', 'rm', `docker.io/local/godocker:${imageTag}`).catch((e: Error) => console.error(e.message));
    await docker('rmi', `local/godocker:${imageTag}`).catch(() => undefined);
  }, 300_000);

  /**
   * helm install in a namespace of its own, --wait until the Deployment is ready. The pods reach the
   * API server through the relay on the bridge: its certificate names kubernetes.default.svc, which
   * the pods' /etc/hosts points there (hostAliases).
   */
  async function install(values: string[], prepare: (namespace: string) => Promise<string[]> = async () => []) {
    const release = `gd${randomBytes(3).toString('hex')}`;
    const namespace = testNamespace('gdhelm');
    const logs = () => {
      try {
        return kubectl('-n', namespace.name, 'logs', '-l', `app.kubernetes.io/instance=${release}`, '--tail', '30', '--prefix');
      } catch (error) {
        return `(no logs: ${(error as Error).message.split('\n')[0]})`;
      }
    };
    let installed = false;
    cleanups.push(async () => {
      if (installed) await helm(['uninstall', release, '-n', namespace.name, '--wait', '--timeout', '90s'], 120_000);
      namespace.remove();
    });
    const more = await prepare(namespace.name);
    await helm(
      [
        'install',
        release,
        chart,
        '--namespace',
        namespace.name,
        `--set=adminToken=${token}`,
        `--set=image.tag=${imageTag}`,
        '--set=image.pullPolicy=Never',
        `--set=hostAliases[0].ip=${bridge}`,
        '--set=hostAliases[0].hostnames[0]=kubernetes.default.svc',
        '--set=extraEnv[0].name=KUBERNETES_SERVICE_HOST',
        '--set=extraEnv[0].value=kubernetes.default.svc',
        '--set=extraEnv[1].name=KUBERNETES_SERVICE_PORT',
        `--set-string=extraEnv[1].value=${apiPort}`,
        '--set=config.images.default=local/busybox:latest',
        ...values,
        ...more,
        '--wait',
        '--timeout=180s',
      ],
      240_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nthe daemons' logs:\n${logs()}`);
    });
    installed = true;
    const podIps = kubectl(
      '-n',
      namespace.name,
      'get',
      'pods',
      '-l',
      `app.kubernetes.io/instance=${release}`,
      '--field-selector=status.phase=Running',
      '-o',
      'jsonpath={.items[*].status.podIP}',
    )
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    /** The daemon of a pod, from this host through the pod bridge. */
    const api = (ip: string, path: string, init: RequestInit = {}) =>
      fetch(`http://${ip}:6543${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(90_000),
      });
    return { namespace: namespace.name, podIps, api, logs };
  }

  /** echo hello in local/busybox through the daemon at `ip`: the job's end, and its stdout read there. */
  async function runHello(at: Awaited<ReturnType<typeof install>>, ip: string) {
    const submitted = await at.api(ip, '/api/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({ command: { script: 'echo hello' }, container: { image: 'local/busybox:latest' } }),
    });
    expect(submitted.status, await submitted.clone().text()).toBe(201);
    const { id } = (await submitted.json()) as { id: number };
    const waited = (await (await at.api(ip, `/api/v1/jobs/${id}/wait?timeout=60&for=terminated`)).json()) as {
      timedOut: boolean;
      job: { status: { state: string; exitCode: number | null; containerId: string | null } };
    };
    expect(waited.timedOut, at.logs()).toBe(false);
    expect(waited.job.status, at.logs()).toMatchObject({ state: 'done', exitCode: 0 });
    const stdout = await at.api(ip, `/api/v1/jobs/${id}/logs/stdout`);
    expect(stdout.status).toBe(200);
    expect(await stdout.text()).toBe('hello\n');
    // It ran as a batch/v1 Job of the release's namespace, created through the chart's RBAC (the
    // daemon deletes the Job once it has the end; its events stay).
    expect(waited.job.status.containerId).toMatch(/^godocker-/);
    expect(kubectl('-n', at.namespace, 'get', 'events', '-o', 'jsonpath={.items[*].involvedObject.name}')).toContain(
      String(waited.job.status.containerId),
    );
    return id;
  }

  it('deploy/kubernetes/godocker.yaml is accepted by the API server (kubectl apply --dry-run=server)', () => {
    const namespace = testNamespace('gdhelm');
    try {
      const out = kubectl('-n', namespace.name, 'apply', '--dry-run=server', '-f', `${repo}deploy/kubernetes/godocker.yaml`);
      expect(out.split('\n').filter(Boolean).sort()).toEqual([
        'configmap/godocker created (server dry run)',
        'deployment.apps/godocker created (server dry run)',
        'service/godocker created (server dry run)',
      ]);
    } finally {
      namespace.remove();
    }
  });

  it('runs one daemon on the sqlite store: ready, and a job it submits to the cluster ends done with its stdout', async () => {
    const at = await install([]);
    expect(at.podIps).toHaveLength(1);
    const ip = at.podIps[0] as string;
    const info = (await (await at.api(ip, '/api/v1/info')).json()) as { executor: string };
    expect(info.executor).toBe('kubernetes');
    await runHello(at, ip);
  }, 360_000);

  it('runs two daemons on FerretDB and Redis: one leader, one follower at its pod IP; a job through the follower ends done, its logs in the shared folder', async () => {
    await requireMongo();
    const redis = await startRedisServer();
    cleanups.push(() => redis.close());
    const mongo = new URL(MONGO_URL);
    const mongoPort = await reachableFromPods(mongo.hostname, Number(mongo.port || 27017));
    const redisPort = await reachableFromPods('127.0.0.1', redis.port);
    // The shared data folder: a ReadWriteMany volume on this node's disk, a folder uid 10001 writes in.
    const folder = mkdtempSync(join(tmpdir(), 'godocker-helm-data-'));
    chownSync(folder, 10001, 10001);
    cleanups.push(async () => rmSync(folder, { recursive: true, force: true }));

    const at = await install(
      [
        '--set=replicaCount=2',
        `--set=store.mongodb.url=mongodb://${bridge}:${mongoPort}/`,
        `--set=store.mongodb.database=${database()}`,
        `--set=redis.url=redis://${bridge}:${redisPort}`,
        '--set=redis.leaseMs=5000',
        '--set=persistence.enabled=true',
      ],
      async (namespace) => {
        const pv = `${namespace}-data`;
        cleanups.push(async () => void kubectl('delete', 'pv', pv, '--wait=false'));
        applyManifest(sharedClaim(pv, folder, namespace, 'shared-data'));
        return ['--set=persistence.existingClaim=shared-data'];
      },
    );
    expect(at.podIps).toHaveLength(2);
    const roles = await until('one leader and one follower in GET /api/v1/status', 60, async () => {
      const body = (await (await at.api(at.podIps[0] as string, '/api/v1/status')).json()) as {
        daemons: { role: string; url: string; stale: boolean }[];
      };
      const live = body.daemons.filter((d) => !d.stale && d.role !== 'stopped');
      return live.length === 2 && live.some((d) => d.role === 'leader') ? live : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}; the daemons' logs:\n${at.logs()}`);
    });
    expect(roles.map((d) => d.role).sort()).toEqual(['follower', 'leader']);
    expect(roles.map((d) => d.url).sort()).toEqual(at.podIps.map((ip) => `http://${ip}:6543`).sort());
    const follower = new URL((roles.find((d) => d.role === 'follower') as { url: string }).url).hostname;
    const id = await runHello(at, follower);
    // Written by the leader in the claim both daemons mount.
    expect(readFileSync(join(folder, 'data', 'jobs', String(id), 'stdout'), 'utf8')).toBe('hello\n');
  }, 420_000);
});

/**
 * A ReadWriteMany claim `name` in `namespace`, bound to a volume `pv` of its own on this node's
 * folder (the test cluster has no storage provisioner).
 */
function sharedClaim(pv: string, folder: string, namespace: string, name: string): string {
  return `apiVersion: v1
kind: PersistentVolume
metadata: { name: ${pv} }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: { path: ${folder}, type: Directory }
  claimRef: { namespace: ${namespace}, name: ${name} }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  accessModes: [ReadWriteMany]
  storageClassName: ""
  volumeName: ${pv}
  resources: { requests: { storage: 1Gi } }
`;
}

function applyManifest(yaml: string): void {
  execFileSync(KUBECTL, ['--kubeconfig', KUBECONFIG, 'apply', '-f', '-'], {
    input: yaml,
    timeout: 60_000,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * The host's address on the test cluster's pod bridge (scripts/k8s-up.sh: gdk8s0, the CIDR's first
 * address). Read with ip(8): with no pod on it the bridge is down, which os.networkInterfaces() omits.
 */
function podBridgeAddress(): string {
  let out = '';
  try {
    out = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'gdk8s0'], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    // no such bridge: said below
  }
  const address = /\binet ([\d.]+)\//.exec(out)?.[1];
  if (!address) throw new Error('no pod bridge gdk8s0 on this host: start the test cluster with `bash scripts/k8s-up.sh`');
  return address;
}

function readKubeServer(): string {
  const server = /server: (https:\/\/[^\s]+)/.exec(readFileSync(KUBECONFIG, 'utf8'));
  if (!server) throw new Error(`no server: line in ${KUBECONFIG}`);
  return server[1] as string;
}
