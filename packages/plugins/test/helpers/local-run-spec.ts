/**
 * Builds complete RunSpecs (with a complete Job) for the local executor tests.
 */
import { join } from 'node:path';
import { type Job, type RunSpec, taskKey } from '@godocker/sdk';

export interface LocalSpecInput {
  clusterId: string;
  jobId: number;
  script: string;
  logRoot: string;
  args?: string[];
  env?: Record<string, string>;
  workdir?: string | null;
  uid?: number;
  gid?: number;
  node?: string;
}

export function makeJob(input: LocalSpecInput): Job {
  const now = new Date().toISOString();
  const uid = input.uid ?? process.getuid?.() ?? 0;
  const gid = input.gid ?? process.getgid?.() ?? 0;
  return {
    id: input.jobId,
    user: { name: `user${uid}`, uid, gid },
    project: 'default',
    session: null,
    meta: { name: `job-${input.jobId}`, description: '', tags: [] },
    command: { script: input.script, args: input.args ?? [], env: input.env ?? {}, workdir: input.workdir ?? null },
    container: { image: 'local', volumes: [], network: false, root: false },
    requirements: { cpu: 1, ram: 64, gpus: 0, tmpstorage: 0, timeLimit: null, labels: {} },
    array: null,
    parentId: null,
    taskIndex: null,
    dependencies: [],
    priority: 0,
    hold: false,
    status: {
      state: 'running',
      reason: 'started',
      exitCode: null,
      signal: null,
      oomKilled: false,
      submittedAt: now,
      startedAt: now,
      endedAt: null,
      node: input.node ?? 'local-test',
      containerId: null,
      history: [{ state: 'pending', at: now, reason: 'submitted' }],
    },
    usage: { wallSeconds: 0, cpuSeconds: null, maxMemoryMb: null },
  };
}

export function makeRunSpec(input: LocalSpecInput): RunSpec {
  const job = makeJob(input);
  return {
    job,
    key: taskKey(input.clusterId, input.jobId),
    node: input.node ?? 'local-test',
    image: 'local',
    script: input.script,
    args: input.args ?? [],
    env: {
      GODOCKER_JOB_ID: String(input.jobId),
      GODOCKER_USER: job.user.name,
      GODOCKER_PROJECT: job.project,
      ...input.env,
    },
    workdir: input.workdir ?? null,
    uid: job.user.uid,
    gid: job.user.gid,
    cpu: 1,
    ram: 64,
    gpus: 0,
    mounts: [],
    network: 'none',
    labels: {},
    jobDir: join(input.logRoot, String(input.jobId)),
  };
}
