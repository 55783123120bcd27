/**
 * Turns a RunSpec into the body of a Docker "create container" call.
 */
import { containerEnv, containerMounts, ExecutorError, portText, type RunSpec, TASK_LABELS } from '@godocker/sdk';
import type Docker from 'dockerode';
import { scriptCommand } from './script-archive.js';
import { needsPrelude, preludeCommand } from './start-prelude.js';

const MIB = 1024 * 1024;

function bind(hostPath: string, containerPath: string, readOnly: boolean): string {
  // The Binds syntax is colon-separated: a colon inside a path would be read as a mode.
  if (hostPath.includes(':') || containerPath.includes(':')) {
    throw new ExecutorError(
      `mount ${hostPath} -> ${containerPath}: paths with ':' cannot be bind-mounted by the docker executor`,
    );
  }
  return `${hostPath}:${containerPath}:${readOnly ? 'ro' : 'rw'}`;
}

export function containerLabels(spec: RunSpec, clusterId: string): Record<string, string> {
  return {
    ...spec.labels,
    // Ours last: a job label must not be able to hide a task from its cluster.
    [TASK_LABELS.cluster]: clusterId,
    [TASK_LABELS.job]: String(spec.job.id),
    [TASK_LABELS.user]: spec.job.user.name,
  };
}

/**
 * `ExposedPorts` and `PortBindings` of the job's ports: each `containerPort/protocol` on
 * `hostIp:hostPort` of the node (every address unless the pool names one).
 */
export function portBindings(spec: RunSpec): Pick<Docker.ContainerCreateOptions, 'ExposedPorts'> & {
  PortBindings?: Docker.PortMap;
} {
  const ports = spec.ports ?? [];
  if (ports.length === 0) return {};
  if (spec.network === 'none') {
    throw new ExecutorError(
      `job ${spec.job.id} publishes ports (${ports.map(portText).join(', ')}) but runs with no network: ` +
        'the admin sets network.allowedMode to a network ports can be published from (e.g. a bridge network)',
    );
  }
  const exposed: Record<string, object> = {};
  const bindings: Docker.PortMap = {};
  for (const p of ports) {
    const key = portText(p);
    exposed[key] = {};
    bindings[key] = [{ HostIp: p.hostIp ?? '', HostPort: String(p.hostPort) }];
  }
  return { ExposedPorts: exposed, PortBindings: bindings };
}

/** Whether a container was made with these port bindings (none and empty are the same). */
export function sameBindings(had: Docker.PortMap | undefined | null, want: Docker.PortMap | undefined): boolean {
  const text = (m: Docker.PortMap | undefined | null) =>
    Object.entries(m ?? {})
      .map(
        ([k, v]) =>
          `${k}=${(v as Array<{ HostIp?: string; HostPort?: string }> | null)?.map((b) => `${b.HostIp ?? ''}:${b.HostPort ?? ''}`).join(',')}`,
      )
      .sort()
      .join(';');
  return text(had) === text(want);
}

export function createOptions(spec: RunSpec, clusterId: string): Docker.ContainerCreateOptions {
  const { ExposedPorts, PortBindings } = portBindings(spec);
  const memory = spec.ram > 0 ? Math.round(spec.ram * MIB) : 0;
  const hostConfig: Docker.HostConfig = {
    NanoCpus: spec.cpu > 0 ? Math.round(spec.cpu * 1e9) : 0,
    Memory: memory,
    // Equal to Memory: no swap, so a job over its ram is OOM-killed instead of thrashing the node.
    ...(memory > 0 ? { MemorySwap: memory } : {}),
    NetworkMode: spec.network,
    Binds: containerMounts(spec).map((m) => bind(m.hostPath, m.containerPath, m.readOnly)),
    SecurityOpt: ['no-new-privileges'],
    Init: false,
    // The exit code and the logs are read after the end, then `collect` removes the container.
    AutoRemove: false,
    ...(spec.gpus > 0 ? { DeviceRequests: [{ Driver: '', Count: spec.gpus, Capabilities: [['gpu']] }] } : {}),
    ...(PortBindings ? { PortBindings } : {}),
  };
  return {
    name: spec.key,
    Image: spec.image,
    // An image ENTRYPOINT would swallow our command; the job's script is the whole program.
    Entrypoint: [],
    // No WorkingDir: the engine would create a missing one as root; the prelude enters it as the job's user.
    Cmd: needsPrelude(spec.workdir, spec.files)
      ? preludeCommand(spec.workdir, spec.files, scriptCommand(spec.script, spec.args))
      : scriptCommand(spec.script, spec.args),
    Env: Object.entries(containerEnv(spec)).map(([name, value]) => `${name}=${value}`),
    User: `${spec.uid}:${spec.gid}`,
    Labels: containerLabels(spec, clusterId),
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: hostConfig,
    ...(ExposedPorts ? { ExposedPorts } : {}),
  };
}
