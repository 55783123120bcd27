/**
 * A real daemon for tests: in-process, on a free port, with its own data folder
 * and the executor under test (the real Docker engine, or local processes).
 */

import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type Daemon,
  type DaemonOptions,
  type DeepPartial,
  type GodockerConfig,
  mergeConfig,
  startDaemon,
} from '@godocker/scheduler';
import type { Job, User } from '@godocker/sdk';
import { destination, pino } from 'pino';
import { type Caller, caller } from './api-caller.js';

export type ExecutorKind = 'docker' | 'local' | 'swarm' | 'kubernetes';

/** The test swarm's manager (scripts/swarm-up.sh), apart from the main engine. */
export const SWARM_SOCKET = process.env.GODOCKER_SWARM_SOCKET ?? '/var/run/godocker-swarm.sock';

/** The test cluster's admin kubeconfig (scripts/k8s-up.sh) and the namespace daemons under test run jobs in. */
export const K8S_KUBECONFIG = process.env.GODOCKER_K8S_KUBECONFIG ?? '/var/lib/godocker-ci/k8s/admin.kubeconfig';
export const K8S_NAMESPACE = 'godocker-test';
const K8S_KUBECTL = process.env.GODOCKER_KUBECTL ?? '/var/cache/godocker/k8s/v1.34.4/bin/kubectl';

export const TEST_IMAGE = 'local/busybox:latest';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestDaemon {
  daemon: Daemon;
  url: string;
  dataDir: string;
  admin: Caller;
  /** Creates a user (uid/gid as given; `home` when jobs need a real one) and returns a caller with their token. */
  addUser(name: string, uid: number, gid?: number, home?: string): Promise<Caller & { user: User }>;
  /** Submits and waits for the end; fails the test on an API error. */
  run(who: Caller, submission: Record<string, unknown>, timeoutSeconds?: number): Promise<Job>;
  stop(): Promise<void>;
}

/** The namespace daemons under test share (each one's Jobs carry its own cluster id); made once. */
export function ensureK8sNamespace(): void {
  const kubectl = (...args: string[]) =>
    execFileSync(K8S_KUBECTL, ['--kubeconfig', K8S_KUBECONFIG, ...args], { stdio: 'pipe', timeout: 30_000 });
  try {
    kubectl('get', 'namespace', K8S_NAMESPACE);
  } catch {
    kubectl('create', 'namespace', K8S_NAMESPACE);
  }
}

export function baseConfig(kind: ExecutorKind, dataDir: string): DeepPartial<GodockerConfig> {
  if (kind === 'kubernetes') ensureK8sNamespace();
  return {
    dataDir,
    server: { host: '127.0.0.1', port: 0 },
    executor: {
      type: kind,
      // Room for many small jobs at once on a 2-core machine.
      options:
        kind === 'swarm'
          ? // Swarm itself keeps a task pending while reservations are full: over-subscribing needs them off.
            { socketPath: SWARM_SOCKET, capacity: { cpu: 16, ram: 16384 }, reserveResources: false }
          : kind === 'kubernetes'
            ? // The cluster reserves what each job asks: capacity is the node's, as the cluster says.
              { kubeconfig: K8S_KUBECONFIG, namespace: K8S_NAMESPACE, imagePullPolicy: 'Never', killGraceSeconds: 1 }
            : { capacity: { cpu: 16, ram: 16384 } },
    },
    limits: { defaultCpu: 0.5, defaultRam: 128, killGraceSeconds: 1 },
    scheduler: { tickSeconds: 1, reconcileSeconds: 2 },
  };
}

export async function startTestDaemon(
  kind: ExecutorKind,
  overrides: DeepPartial<GodockerConfig> = {},
  dataDir?: string,
  executor?: DaemonOptions['executor'],
): Promise<TestDaemon> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), `godocker-${kind}-`)));
  // Jobs start in their user's home, which must exist (the data folder is the daemon's alone).
  const homes = await mkdtemp(join(tmpdir(), 'godocker-homes-'));
  await chmod(homes, 0o755);
  const config = mergeConfig(
    mergeConfig(baseConfig(kind, dir) as Record<string, unknown>, {
      auth: { admin: { home: await makeHome(homes, 'admin', 1000, 1000) } },
    }),
    overrides as Record<string, unknown>,
  ) as DeepPartial<GodockerConfig>;
  // Engines carry their own capacity: the one-engine default would be refused next to them.
  const options = config.executor?.options as Record<string, unknown> | undefined;
  if (options?.engines !== undefined) delete options.capacity;
  const daemon = await startDaemon({
    config,
    env: { GODOCKER_ADMIN_TOKEN: ADMIN_TOKEN, HOME: dir },
    // GODOCKER_TEST_DAEMON_LOG=FILE: the daemon's log, to read what it did in a test that failed.
    logger: process.env.GODOCKER_TEST_DAEMON_LOG
      ? pino({ level: 'debug' }, destination(process.env.GODOCKER_TEST_DAEMON_LOG))
      : false,
    ...(executor ? { executor } : {}),
  });
  const admin = caller(daemon.url, ADMIN_TOKEN);
  return {
    daemon,
    url: daemon.url,
    dataDir: dir,
    admin,
    async addUser(name, uid, gid = uid, home) {
      const r = await admin.call<{ user: User; token: string }>('POST', '/api/v1/users', {
        name,
        uid,
        gid,
        home: home ?? (await makeHome(homes, name, uid, gid)),
      });
      if (r.status !== 201) throw new Error(`could not create user ${name}: ${r.text}`);
      return { ...caller(daemon.url, r.body.token), user: r.body.user };
    },
    async run(who, submission, timeoutSeconds = 60) {
      const s = await who.call<Job>('POST', '/api/v1/jobs', submission);
      if (s.status !== 201) throw new Error(`submit failed: ${s.status} ${s.text}`);
      return waitJob(who, s.body.id, 'terminated', timeoutSeconds);
    },
    async stop() {
      await daemon.stop();
      if (!dataDir) await rm(dir, { recursive: true, force: true });
      await rm(homes, { recursive: true, force: true });
    },
  };
}

/** A home folder for a test user, theirs when the tests run as root. */
async function makeHome(root: string, name: string, uid: number, gid: number): Promise<string> {
  const home = join(root, name);
  await mkdir(home, { recursive: true });
  if (process.getuid?.() === 0) await chown(home, uid, gid);
  return home;
}

export async function waitJob(
  who: Caller,
  id: number,
  what: 'started' | 'terminated' = 'terminated',
  timeoutSeconds = 60,
): Promise<Job> {
  const r = await who.call<{ job: Job; timedOut: boolean }>(
    'GET',
    `/api/v1/jobs/${id}/wait?for=${what}&timeout=${timeoutSeconds}`,
  );
  if (r.status !== 200) throw new Error(`wait failed: ${r.status} ${r.text}`);
  if (r.body.timedOut)
    throw new Error(`job ${id} did not reach ${what} in ${timeoutSeconds}s: ${JSON.stringify(r.body.job.status)}`);
  return r.body.job;
}

export async function logsOf(who: Caller, id: number, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  const r = await who.call('GET', `/api/v1/jobs/${id}/logs/${stream}`);
  if (r.status !== 200) throw new Error(`logs failed: ${r.status} ${r.text}`);
  return r.text;
}

/** The tasks of an array job. */
export async function tasksOf(who: Caller, parent: number): Promise<Job[]> {
  const r = await who.call<{ jobs: Job[] }>('GET', `/api/v1/jobs?parent=${parent}&limit=1000`);
  if (r.status !== 200) throw new Error(`list failed: ${r.status} ${r.text}`);
  return r.body.jobs;
}

/** Polls `probe` until it gives a value (its errors count as not yet). */
export async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`${what}: not seen within ${seconds} s`);
    await delay(100);
  }
}
