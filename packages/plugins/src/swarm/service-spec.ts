/**
 * Turns a RunSpec into a Swarm service (one replica, never restarted) and, when the script
 * must be a file, the Docker config object that carries it.
 *
 * How the script gets into the container. The docker executor copies a tar into the created
 * container before starting it; Swarm creates and starts the container itself, on whatever node,
 * so there is no moment to copy anything. What is left:
 * - A short plain script rides in the command (`sh -c SCRIPT`), exactly as with the docker
 *   executor (script-archive.ts): no object, no file.
 * - A script that must be a file (a shebang, or longer than an argument may be) is a Docker
 *   config object (`docker config create`), mounted by the engine at /godocker/job.sh with the
 *   job's uid:gid and mode 0755. Configs live in the swarm's raft store and reach the node the
 *   task runs on, whichever it is, through the engine's own channel; nothing of ours must be on
 *   that node and nothing is written into the image or onto a host path. The rejected ways: an
 *   environment variable unpacked by a wrapper needs a writable place in the image and shows the
 *   script in the job's environment; a bind mount of a file the executor writes works on the
 *   manager's host only (a multi-node swarm would need a shared file system).
 *   A config holds less than 1 024 000 bytes (the engine's limit), the job script up to 4 MiB:
 *   a larger script needing a file is refused at start, naming the limit.
 *   The config is named after the service and labelled like it, and removed with it by `collect`.
 */
import { createHash } from 'node:crypto';
import { containerEnv, containerMounts, ExecutorError, type RunSpec, TASK_LABELS } from '@godocker/sdk';
import type Docker from 'dockerode';
import { containerLabels } from '../docker/container-spec.js';
import { needsScriptFile, SCRIPT_PATH, scriptCommand } from '../docker/script-archive.js';
import { needsPrelude, preludeCommand } from '../docker/start-prelude.js';

const MIB = 1024 * 1024;

/** The engine refuses a config of 1 024 000 bytes or more. */
export const CONFIG_MAX_BYTES = 1_024_000 - 1;

/** Label holding the task key on the service and its config: the name may be a digest of it. */
export const KEY_LABEL = 'godocker.key';

/**
 * A service name is a DNS label (63 characters, letters, digits, '-' and '_', no '-' at either end);
 * a config name allows 64. A key that is not one becomes a digest of itself, so the same key
 * always gives the same name and the engine still refuses a second service for it.
 */
const SERVICE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$/;

export function serviceName(key: string): string {
  if (SERVICE_NAME.test(key)) return key;
  return `godocker-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** Configs and services are named apart by the engine: the config takes the service's name. */
export const scriptConfigName = serviceName;

export interface ScriptConfig {
  Name: string;
  Labels: Record<string, string>;
  /** base64 */
  Data: string;
}

function serviceLabels(spec: RunSpec, clusterId: string): Record<string, string> {
  return { ...containerLabels(spec, clusterId), [KEY_LABEL]: spec.key };
}

/** The config carrying the script, or null when it rides in the command. */
export function scriptConfig(spec: RunSpec, clusterId: string): ScriptConfig | null {
  if (!needsScriptFile(spec.script)) return null;
  const size = Buffer.byteLength(spec.script, 'utf8');
  if (size > CONFIG_MAX_BYTES) {
    throw new ExecutorError(
      `the script of task ${spec.key} is ${size} bytes and must be a file (it has a shebang or is longer than ` +
        `${64 * 1024} bytes); the swarm executor passes such a script as a Docker config, which holds at most ${CONFIG_MAX_BYTES} bytes. ` +
        'Shorten it, or put the bulk in a file on a volume and call that',
    );
  }
  return {
    Name: scriptConfigName(spec.key),
    Labels: serviceLabels(spec, clusterId),
    Data: Buffer.from(spec.script, 'utf8').toString('base64'),
  };
}

/**
 * Swarm's constraint grammar (swarmkit's constraint parser): what `node.labels.KEY==VALUE` may
 * hold. A job label it cannot express is not turned into a constraint: the daemon has already
 * matched it against the node's labels when it placed the job, and the node constraint pins it there.
 */
const CONSTRAINT_LABEL_KEY = /^[a-z0-9_.-]+$/i;
const CONSTRAINT_VALUE = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;

export function labelConstraints(labels: Record<string, string>): string[] {
  return Object.entries(labels)
    .filter(([key, value]) => CONSTRAINT_LABEL_KEY.test(key) && value.trim() !== '' && CONSTRAINT_VALUE.test(value))
    .map(([key, value]) => `node.labels.${key}==${value.trim()}`);
}

/**
 * Networks of the task. Swarm has no "none" network (`--network none` is refused: its predefined
 * swarm networks are host and bridge), so "none" attaches nothing: the task then gets the node's
 * default network, which is empty on an engine started with --bridge=none (loopback only, as in CI)
 * but is the docker0 bridge on a stock engine. The factory warns when the manager has that bridge.
 */
export function taskNetworks(mode: string, network: string | null): Docker.NetworkAttachmentConfig[] {
  if (mode === 'none') return [];
  if (network !== null) return [{ Target: network }];
  if (mode === 'bridge' || mode === 'default') return [];
  return [{ Target: mode }];
}

export interface ServiceOptions {
  killGraceSeconds: number;
  network: string | null;
  reserveResources: boolean;
  /** Constraint pinning the task to the node the daemon chose (swarm-nodes.ts); null: any node. */
  nodeConstraint: string | null;
  /** The script's config, once created. */
  config: { id: string; name: string } | null;
}

export function serviceSpec(spec: RunSpec, clusterId: string, o: ServiceOptions): Docker.CreateServiceOptions {
  const command = needsPrelude(spec.workdir, spec.files)
    ? preludeCommand(spec.workdir, spec.files, scriptCommand(spec.script, spec.args))
    : scriptCommand(spec.script, spec.args);
  const limits = {
    NanoCPUs: spec.cpu > 0 ? Math.round(spec.cpu * 1e9) : 0,
    MemoryBytes: spec.ram > 0 ? Math.round(spec.ram * MIB) : 0,
  };
  const labels = serviceLabels(spec, clusterId);
  const nonRoot = spec.uid !== 0;
  const containerSpec: Docker.ContainerSpec = {
    Image: spec.image,
    // Command replaces the image's ENTRYPOINT: the job's script is the whole program.
    Command: command,
    Args: [],
    // No Dir: the engine would create a missing one as root; the prelude enters it as the job's user.
    Env: Object.entries(containerEnv(spec)).map(([name, value]) => `${name}=${value}`),
    User: `${spec.uid}:${spec.gid}`,
    Labels: labels,
    Mounts: containerMounts(spec).map((m) => ({
      Type: 'bind',
      Source: m.hostPath,
      Target: m.containerPath,
      ReadOnly: m.readOnly,
    })),
    Init: false,
    TTY: false,
    OpenStdin: false,
    // Swarm (API 1.41) has no no-new-privileges for services; dropping every capability from the
    // bounding set keeps a set-uid binary of the image from giving a non-root job any privilege.
    ...(nonRoot ? { CapabilityDrop: ['ALL'] } : {}),
    StopGracePeriod: Math.round(o.killGraceSeconds * 1e9),
    ...(o.config
      ? {
          Configs: [
            {
              ConfigID: o.config.id,
              ConfigName: o.config.name,
              // Owned by the job's user so a non-root job may read its own script.
              File: { Name: SCRIPT_PATH, UID: String(spec.uid), GID: String(spec.gid), Mode: 0o755 },
            },
          ],
        }
      : {}),
  };
  return {
    Name: serviceName(spec.key),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: containerSpec,
      Resources: { Limits: limits, ...(o.reserveResources ? { Reservations: { ...limits } } : {}) },
      // The job runs once: its end, whatever its exit code, is final.
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Placement: {
        Constraints: [...(o.nodeConstraint ? [o.nodeConstraint] : []), ...labelConstraints(spec.job.requirements.labels ?? {})],
      },
      Networks: taskNetworks(spec.network, o.network),
    },
    Mode: { Replicated: { Replicas: 1 } },
    ...endpointSpec(spec),
  };
}

/**
 * The job's ports, published in host mode: on the node the task runs on (the one the daemon
 * chose and pinned), at the host port the daemon picked from that node's pool, not through
 * Swarm's routing mesh (which would take the port on every node of the swarm).
 */
export function endpointSpec(spec: RunSpec): Pick<Docker.CreateServiceOptions, 'EndpointSpec'> {
  const ports = spec.ports ?? [];
  if (ports.length === 0) return {};
  return {
    EndpointSpec: {
      Ports: ports.map((p) => ({
        Protocol: p.protocol,
        TargetPort: p.containerPort,
        PublishedPort: p.hostPort,
        PublishMode: 'host' as const,
      })),
    },
  };
}

/** The labels every object of this cluster carries, for list filters. */
export function clusterFilter(clusterId: string): string {
  return `${TASK_LABELS.cluster}=${clusterId}`;
}
