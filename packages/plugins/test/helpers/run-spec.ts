/**
 * Builds complete RunSpecs (with a complete Job) for executor tests, so each test
 * states only what it is about.
 */
import type { Job, Mount, RunSpec, TaskFiles } from '@godocker/sdk';
import { taskKey } from '@godocker/sdk';

export const TEST_IMAGE = 'local/busybox:latest';

export interface RunSpecOverrides {
  script?: string;
  args?: string[];
  env?: Record<string, string>;
  workdir?: string | null;
  image?: string;
  uid?: number;
  gid?: number;
  cpu?: number;
  ram?: number;
  gpus?: number;
  mounts?: Mount[];
  network?: string;
  labels?: Record<string, string>;
  jobDir?: string;
  node?: string;
  user?: string;
  /** Overrides the key derived from the cluster and job id. */
  key?: string;
  files?: TaskFiles;
}

export function makeJob(id: number, o: RunSpecOverrides = {}): Job {
  const now = new Date().toISOString();
  return {
    id,
    user: { name: o.user ?? 'alice', uid: o.uid ?? 1234, gid: o.gid ?? 1234 },
    project: 'default',
    session: null,
    meta: { name: `test-job-${id}`, description: 'executor test job', tags: ['test'] },
    command: {
      script: o.script ?? 'echo hello',
      args: o.args ?? [],
      env: o.env ?? {},
      workdir: o.workdir ?? null,
    },
    container: { image: o.image ?? TEST_IMAGE, volumes: [], network: false, root: false },
    requirements: {
      cpu: o.cpu ?? 0.5,
      ram: o.ram ?? 64,
      gpus: o.gpus ?? 0,
      tmpstorage: 0,
      timeLimit: null,
      labels: {},
    },
    array: null,
    parentId: null,
    taskIndex: null,
    dependencies: [],
    priority: 0,
    hold: false,
    status: {
      state: 'running',
      reason: 'placed by the test',
      exitCode: null,
      signal: null,
      oomKilled: false,
      submittedAt: now,
      startedAt: now,
      endedAt: null,
      node: o.node ?? null,
      containerId: null,
      history: [{ state: 'pending', at: now, reason: 'submitted' }],
    },
    usage: { wallSeconds: 0, cpuSeconds: null, maxMemoryMb: null },
  };
}

export function makeRunSpec(clusterId: string, jobId: number, o: RunSpecOverrides = {}): RunSpec {
  const job = makeJob(jobId, o);
  return {
    job,
    key: o.key ?? taskKey(clusterId, jobId),
    node: o.node ?? 'local',
    image: job.container.image,
    script: job.command.script,
    args: job.command.args,
    env: { ...job.command.env, GODOCKER_JOB_ID: String(jobId) },
    workdir: job.command.workdir,
    uid: job.user.uid,
    gid: job.user.gid,
    cpu: job.requirements.cpu,
    ram: job.requirements.ram,
    gpus: job.requirements.gpus,
    mounts: o.mounts ?? [],
    network: o.network ?? 'none',
    labels: o.labels ?? {},
    jobDir: o.jobDir ?? `/tmp/godocker-test-logs/${clusterId}/${jobId}`,
    ...(o.files ? { files: o.files } : {}),
  };
}

/** A logger that keeps quiet unless GODOCKER_TEST_LOG is set. */
export const testLogger = {
  debug: (obj: object | string, msg?: string): void => log('debug', obj, msg),
  info: (obj: object | string, msg?: string): void => log('info', obj, msg),
  warn: (obj: object | string, msg?: string): void => log('warn', obj, msg),
  error: (obj: object | string, msg?: string): void => log('error', obj, msg),
};

function log(level: string, obj: object | string, msg?: string): void {
  if (process.env.GODOCKER_TEST_LOG) console.error(level, msg ?? '', obj);
}
