/**
 * Builds what an executor needs to run a job: the admin's volume catalogue turned
 * into mounts for this user, network mode, uid/gid, env and labels.
 */
import { join } from 'node:path';
import { type Job, type Mount, type RunSpec, TASK_LABELS, taskKey, type User } from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import { jobEnv } from './submission.js';

export function logDirOf(config: GodockerConfig, jobId: number): string {
  return join(config.dataDir, 'logs', String(jobId));
}

/** `$USER` and `$HOME` in catalogue paths become the job owner's. */
export function substituteUser(path: string, user: Pick<User, 'name' | 'home'>): string {
  return path.replaceAll('$USER', user.name).replaceAll('$HOME', user.home);
}

export function mountsFor(job: Job, user: Pick<User, 'name' | 'home'>, config: GodockerConfig): Mount[] {
  return job.container.volumes.map((v) => {
    const entry = config.volumes.find((x) => x.name === v.name);
    // Checked at submit; a volume removed from the catalogue since then must not be mounted.
    if (!entry) throw new Error(`volume "${v.name}" is no longer in the volume catalogue`);
    const hostPath = substituteUser(entry.hostPath, user);
    return {
      hostPath,
      containerPath: substituteUser(entry.containerPath ?? entry.hostPath, user),
      readOnly: v.mode === 'ro' || entry.mode === 'ro',
    };
  });
}

export function buildRunSpec(
  job: Job,
  node: string,
  user: Pick<User, 'name' | 'home'>,
  config: GodockerConfig,
  clusterId: string,
): RunSpec {
  const env = jobEnv(job);
  env.HOME = user.home;
  return {
    job,
    key: taskKey(clusterId, job.id),
    node,
    image: job.container.image,
    script: job.command.script,
    args: job.command.args,
    env,
    workdir: job.command.workdir,
    uid: job.container.root ? 0 : job.user.uid,
    gid: job.container.root ? 0 : job.user.gid,
    cpu: job.requirements.cpu,
    ram: job.requirements.ram,
    gpus: job.requirements.gpus,
    mounts: mountsFor(job, user, config),
    network:
      job.container.network && config.network.allowedMode !== null ? config.network.allowedMode : config.network.defaultMode,
    labels: { [TASK_LABELS.user]: job.user.name },
    logDir: logDirOf(config, job.id),
  };
}
