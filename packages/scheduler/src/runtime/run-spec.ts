/**
 * Builds what an executor needs to run a job: the admin's volume catalogue turned
 * into mounts for this user, network mode, uid/gid, env and labels.
 */
import { type Job, type Mount, portEnvName, type RunSpec, TASK_LABELS, type TaskFiles, taskKey, type User } from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import { jobDirOf } from '../job-files/job-dir.js';
import { jobEnv } from './submission.js';

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

/**
 * The files of the job's standard streams; a folder given as one gets the file Grid
 * Engine would write in it, NAME.oJOBID or NAME.eJOBID (a `/` of the name would make
 * it a path elsewhere, so it becomes `_`).
 */
export function filesOf(job: Job): TaskFiles | undefined {
  const { stdin, stdout, stderr, joinStderr } = job.command;
  if (stdin === undefined && stdout === undefined && stderr === undefined && !joinStderr) return undefined;
  const name = job.meta.name.replaceAll('/', '_');
  return {
    ...(stdin === undefined ? {} : { stdin }),
    ...(stdout === undefined ? {} : { stdout }),
    ...(stderr === undefined ? {} : { stderr }),
    ...(joinStderr ? { joinStderr } : {}),
    inDirectory: { stdout: `${name}.o${job.id}`, stderr: `${name}.e${job.id}` },
  };
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
  const ports = job.status.ports ?? [];
  // Where the job is reached from outside: its node and, per container port, the host port.
  if (ports.length > 0) env.GODOCKER_HOST = node;
  for (const p of ports) env[portEnvName(p)] = String(p.hostPort);
  const files = filesOf(job);
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
    // A published port needs a network to publish from: ports imply network (checked at submit).
    network:
      (job.container.network || ports.length > 0) && config.network.allowedMode !== null
        ? config.network.allowedMode
        : config.network.defaultMode,
    labels: { [TASK_LABELS.user]: job.user.name },
    jobDir: jobDirOf(config, job.id),
    ...(files ? { files } : {}),
    ...(ports.length > 0 ? { ports } : {}),
  };
}
