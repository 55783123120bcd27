/**
 * Turns a validated-by-schema submission into job documents, enforcing the
 * admin's policy: limits, image and volume catalogues, root and network rights.
 * Every refusal names the field at fault and says what would be accepted.
 */
import {
  DEFAULT_PROJECT,
  ErrorCodes,
  EXECUTOR_LABEL,
  ForbiddenError,
  formatMemory,
  type Job,
  type JobPort,
  type JobSubmission,
  type NodeInfo,
  type PortRequest,
  parseArraySpec,
  portText,
  type User,
  ValidationError,
  WIRE_LIMITS,
} from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import { carriesLabels, portCapacity } from '../engine/cluster.js';
import type { NewJob } from '../store/store.js';
import { resolveCommandPaths, taskPaths } from './command-paths.js';
import { resolveNotify } from './notify-request.js';

export interface ResolvedSubmission {
  /** The job, or the array's parent (`array.created` 0: its tasks are made by `arrayTask`). */
  job: NewJob;
  isArray: boolean;
}

function limitError(message: string, field: string): ValidationError {
  return new ValidationError(message, field, ErrorCodes.LIMIT_EXCEEDED);
}

export function mayRunAsRoot(config: GodockerConfig, user: User): boolean {
  return config.security.rootUsers.includes('*') || config.security.rootUsers.includes(user.name);
}

export function resolveSubmission(
  sub: JobSubmission,
  user: User,
  config: GodockerConfig,
  nodes: readonly NodeInfo[],
  now: Date,
  /** The daemon's executors, the default first. */
  executors: readonly string[],
): ResolvedSubmission {
  const limits = config.limits;
  const script = sub.command.script;
  const scriptBytes = Buffer.byteLength(script, 'utf8');
  if (scriptBytes > limits.maxScriptBytes) {
    throw limitError(
      `script is ${scriptBytes} bytes; the limit is ${limits.maxScriptBytes}: put large data in a volume`,
      'command.script',
    );
  }
  if (script.includes('\0')) throw new ValidationError('script contains a NUL byte', 'command.script');

  checkCommandSize(sub.command.env ?? {}, sub.command.args ?? []);
  const req = sub.requirements ?? {};
  const cpu = req.cpu ?? limits.defaultCpu;
  // 0.5 is 50 steps; 1e-9 or 0.015 is no whole number of them (with room for binary fractions).
  const steps = cpu / WIRE_LIMITS.cpuStep;
  if (cpu < WIRE_LIMITS.cpuStep || Math.abs(steps - Math.round(steps)) > 1e-6) {
    throw new ValidationError(
      `cpu ${cpu} is not a whole number of ${WIRE_LIMITS.cpuStep} cores (the least a job may ask for): ask for e.g. ${Math.max(WIRE_LIMITS.cpuStep, Math.round(steps) * WIRE_LIMITS.cpuStep).toFixed(2)}`,
      'requirements.cpu',
    );
  }
  const tmpstorage = req.tmpstorage ?? 0;
  if (tmpstorage > limits.maxTmpStorage) {
    throw limitError(
      `tmpstorage ${formatMemory(tmpstorage)} is over the limit of ${formatMemory(limits.maxTmpStorage)}`,
      'requirements.tmpstorage',
    );
  }
  const ram = req.ram ?? limits.defaultRam;
  const gpus = req.gpus ?? 0;
  if (cpu > limits.maxCpu) throw limitError(`cpu ${cpu} is over the limit of ${limits.maxCpu}`, 'requirements.cpu');
  if (ram > limits.maxRam)
    throw limitError(`ram ${formatMemory(ram)} is over the limit of ${formatMemory(limits.maxRam)}`, 'requirements.ram');
  if (gpus > limits.maxGpus) throw limitError(`gpus ${gpus} is over the limit of ${limits.maxGpus}`, 'requirements.gpus');
  const timeLimit = req.timeLimit ?? limits.defaultTimeLimit;
  if (timeLimit !== null && timeLimit > limits.maxTimeLimit) {
    throw limitError(`timeLimit ${timeLimit}s is over the limit of ${limits.maxTimeLimit}s`, 'requirements.timeLimit');
  }
  const labels = withExecutor(req.labels ?? {}, req.executor, executors);
  const c = sub.container ?? {};
  const ports = checkPorts(c.ports ?? [], limits.maxPorts);
  checkFitsSomeNode({ cpu, ram, gpus, labels, ports: ports.length }, nodes);

  const image = c.image ?? config.images.default;
  if (!config.images.allowUserImages && !config.images.catalogue.includes(image)) {
    throw new ValidationError(
      `image "${image}" is not in the image catalogue; use one of: ${config.images.catalogue.join(', ')}`,
      'container.image',
      ErrorCodes.IMAGE_NOT_ALLOWED,
    );
  }
  const volumes = (c.volumes ?? []).map((v, i) => {
    const entry = config.volumes.find((x) => x.name === v.name);
    const field = `container.volumes.${i}`;
    if (!entry) {
      const known = config.volumes.map((x) => x.name).join(', ') || 'none are defined';
      throw new ValidationError(
        `volume "${v.name}" is not in the volume catalogue (${known})`,
        `${field}.name`,
        ErrorCodes.VOLUME_NOT_ALLOWED,
      );
    }
    const mode = v.mode ?? entry.mode;
    if (mode === 'rw' && entry.mode === 'ro') {
      throw new ValidationError(
        `volume "${v.name}" is read-only; ask for mode "ro"`,
        `${field}.mode`,
        ErrorCodes.VOLUME_NOT_ALLOWED,
      );
    }
    return { name: v.name, mode };
  });
  const names = new Set(volumes.map((v) => v.name));
  if (names.size !== volumes.length) throw new ValidationError('a volume is asked for twice', 'container.volumes');
  if (c.root && !mayRunAsRoot(config, user)) {
    throw new ForbiddenError(
      `user ${user.name} may not run jobs as root; ask an admin (security.rootUsers)`,
      'container.root',
      ErrorCodes.ROOT_NOT_ALLOWED,
    );
  }
  if (c.network && config.network.allowedMode === null) {
    throw new ForbiddenError('jobs may not have network access here (network.allowedMode is not set)', 'container.network');
  }

  if (c.interactive && !config.ssh.enabled) {
    throw new ValidationError(
      'an interactive job waits for you to ssh into it, and this site serves no SSH (ssh.enabled is false): ask an admin, or submit a script',
      'container.interactive',
    );
  }
  if (c.interactive && sub.array !== undefined) {
    throw new ValidationError('an array cannot be interactive: submit one interactive job', 'container.interactive');
  }
  const array = sub.array === undefined ? null : parseArraySpec(sub.array, limits.maxArraySize);
  const paths = resolveCommandPaths(sub.command, user.home, array !== null);
  const beginAt = sub.beginAt === undefined ? undefined : parseBeginAt(sub.beginAt);
  const hold = sub.hold ?? false;
  const notify = resolveNotify(sub.notify, user, config);
  const base: NewJob = {
    user: { name: user.name, uid: user.uid, gid: user.gid },
    project: sub.project ?? DEFAULT_PROJECT,
    session: sub.session ?? null,
    meta: { name: sub.meta?.name ?? 'job', description: sub.meta?.description ?? '', tags: sub.meta?.tags ?? [] },
    command: { script, args: sub.command.args ?? [], env: sub.command.env ?? {}, ...paths },
    container: {
      image,
      volumes,
      network: c.network ?? false,
      root: c.root ?? false,
      ...(ports.length > 0 ? { ports } : {}),
      ...(c.interactive ? { interactive: true } : {}),
    },
    requirements: { cpu, ram, gpus, tmpstorage, timeLimit, labels },
    array: null,
    parentId: null,
    taskIndex: null,
    dependencies: sub.dependencies ?? [],
    priority: sub.priority ?? 0,
    hold,
    ...(beginAt === undefined ? {} : { beginAt }),
    ...(notify === undefined ? {} : { notify }),
    status: submittedStatus(hold, now.toISOString()),
    usage: { wallSeconds: 0, cpuSeconds: null, maxMemoryMb: null },
  };
  if (!array) return { job: base, isArray: false };
  return { job: { ...base, array: { ...array, created: 0, tasks: {} } }, isArray: true };
}

/** At most `max` ports, each asked once (one protocol of one port is one host port). */
function checkPorts(asked: readonly PortRequest[], max: number): JobPort[] {
  if (asked.length > max) {
    throw limitError(
      `asks for ${asked.length} container ports; the limit is ${max} per job (limits.maxPorts)`,
      'container.ports',
    );
  }
  const seen = new Set<string>();
  return asked.map((p, i) => {
    const port: JobPort = { containerPort: p.containerPort, protocol: p.protocol ?? 'tcp' };
    const text = portText(port);
    if (seen.has(text))
      throw new ValidationError(`port ${text} is asked for twice: ask for each port once`, `container.ports.${i}`);
    seen.add(text);
    return port;
  });
}

function submittedStatus(hold: boolean, at: string): NewJob['status'] {
  const state = hold ? 'held' : 'pending';
  const reason = hold ? 'held at submission: release it to let it run' : 'submitted';
  return {
    state,
    reason,
    exitCode: null,
    signal: null,
    oomKilled: false,
    submittedAt: at,
    startedAt: null,
    endedAt: null,
    node: null,
    containerId: null,
    history: [{ state, at, reason }],
  };
}

/**
 * Task `ordinal` (0-based) of an array, made from its parent alone: the same
 * document whether it is made at submit or after a restart that finishes the
 * array (the parent keeps the submission, its paths still holding $GODOCKER_TASK_ID).
 * What tasks have in common (script, env, container, requirements) is shared with
 * the parent, not copied: job documents are never changed in place, and 100,000
 * copies of an environment would cost the daemon's memory for nothing.
 */
export function arrayTask(parent: NewJob, ordinal: number): NewJob {
  if (!parent.array) throw new Error('arrayTask needs an array parent');
  const index = parent.array.start + ordinal * parent.array.step;
  // The parent tells for the whole array (Slurm's default): a task keeps no copy of it.
  const { notify: _parentOnly, ...shared } = parent;
  return {
    ...shared,
    meta: { ...parent.meta, name: `${parent.meta.name}[${index}]` },
    command: { ...parent.command, ...taskPaths(parent.command, index) },
    array: null,
    parentId: null,
    taskIndex: index,
    status: submittedStatus(parent.hold, parent.status.submittedAt),
    usage: { wallSeconds: 0, cpuSeconds: null, maxMemoryMb: null },
  };
}

// A zone is required: a bare local time would mean the daemon's zone, which the submitter may not share.
const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/** Date.parse rolls 02-30 over to March; a date that does not exist is a mistake to report. */
function isoFieldsExist(m: RegExpExecArray): boolean {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, zh = 0, zm = 0] = m.slice(1).map((x) => Number(x ?? 0));
  const monthDays = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const dateOk = month >= 1 && month <= 12 && day >= 1 && day <= monthDays;
  return dateOk && hour <= 23 && minute <= 59 && second <= 59 && zh <= 23 && zm <= 59;
}

/**
 * A begin time as the engine reads it fastest (`toISOString`'s shape). One in
 * the past is kept as given: the job is eligible at once, and `show` still says
 * what was asked.
 */
export function parseBeginAt(text: string): string {
  const m = ISO_WITH_ZONE.exec(text);
  const ms = m && isoFieldsExist(m) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ValidationError(
      `beginAt "${text}" is not an ISO 8601 timestamp with a zone: write e.g. 2026-11-29T14:00:00Z or 2026-11-29T15:00:00+01:00`,
      'beginAt',
    );
  }
  return new Date(ms).toISOString();
}

/**
 * The job's labels with the executor it runs on. With several executors every job names one
 * (the first when it asks for none), so the engine places it only on that executor's nodes;
 * with one, every node is that executor's and the label would say nothing.
 */
function withExecutor(
  labels: Record<string, string>,
  asked: string | undefined,
  executors: readonly string[],
): Record<string, string> {
  const labelled = labels[EXECUTOR_LABEL];
  if (asked !== undefined && labelled !== undefined && asked !== labelled) {
    throw new ValidationError(
      `executor "${asked}" and label ${EXECUTOR_LABEL}=${labelled} disagree: ask for one executor`,
      'requirements.executor',
    );
  }
  const name = asked ?? labelled;
  if (name !== undefined && !executors.includes(name)) {
    throw new ValidationError(
      `no executor named "${name}" (this daemon runs: ${executors.join(', ')})`,
      asked !== undefined ? 'requirements.executor' : 'requirements.labels',
    );
  }
  if (executors.length < 2) {
    if (labelled === undefined) return labels;
    const { [EXECUTOR_LABEL]: _one, ...rest } = labels;
    return rest;
  }
  return { ...labels, [EXECUTOR_LABEL]: name ?? (executors[0] as string) };
}

/** Whether the node carries the job's labels and is big enough for it, empty. */
export function nodeFits(r: { cpu: number; ram: number; gpus: number; labels: Record<string, string> }, n: NodeInfo): boolean {
  return carriesLabels(n, r.labels) && n.cpu >= r.cpu && n.ram >= r.ram && n.gpus >= r.gpus;
}

export function checkFitsSomeNode(
  r: { cpu: number; ram: number; gpus: number; labels: Record<string, string>; ports?: number },
  nodes: readonly NodeInfo[],
): void {
  // Nothing known yet of the nodes of the job's executor (it has not answered since the daemon
  // started): the job is taken and waits for it, as a job does before any node is known.
  const executor = r.labels[EXECUTOR_LABEL];
  const own = executor === undefined ? nodes : nodes.filter((n) => n.labels[EXECUTOR_LABEL] === executor);
  if (own.length === 0) return;
  // What each node has in all: one that other workloads fill now may hold the job later.
  const matching = own.filter((n) => carriesLabels(n, r.labels)).map((n) => n.total ?? n);
  if (matching.length === 0) throw limitError(`no node has the labels ${JSON.stringify(r.labels)}`, 'requirements.labels');
  const maxCpu = Math.max(...matching.map((n) => n.cpu));
  const maxRam = Math.max(...matching.map((n) => n.ram));
  const maxGpus = Math.max(...matching.map((n) => n.gpus));
  if (!matching.some((n) => n.cpu >= r.cpu))
    throw limitError(`needs ${r.cpu} cpu; the largest node has ${maxCpu}`, 'requirements.cpu');
  if (!matching.some((n) => n.ram >= r.ram)) {
    throw limitError(`needs ${formatMemory(r.ram)} ram; the largest node has ${formatMemory(maxRam)}`, 'requirements.ram');
  }
  if (!matching.some((n) => n.gpus >= r.gpus))
    throw limitError(`needs ${r.gpus} gpus; the largest node has ${maxGpus}`, 'requirements.gpus');
  const ports = r.ports ?? 0;
  const pools = own.filter((n) => carriesLabels(n, r.labels)).map(portCapacity);
  if (ports > 0 && !pools.some((size) => size >= ports)) {
    const largest = Math.max(...pools);
    throw limitError(
      largest === 0
        ? `needs ${ports} host ports; no node it may run on has a port pool (its executor publishes no ports)`
        : `needs ${ports} host ports; the largest port pool of a node has ${largest} (ports.range)`,
      'container.ports',
    );
  }
  if (!matching.some((n) => n.cpu >= r.cpu && n.ram >= r.ram && n.gpus >= r.gpus)) {
    throw limitError('no single node has this much cpu, ram and gpus together', 'requirements');
  }
}

/** Env every job sees, after its own (ours win: a job cannot fake its id). */
export function jobEnv(job: Job): Record<string, string> {
  const env: Record<string, string> = { ...job.command.env };
  env.GODOCKER_JOB_ID = String(job.id);
  env.GODOCKER_JOB_NAME = job.meta.name;
  env.GODOCKER_USER = job.user.name;
  env.GODOCKER_PROJECT = job.project;
  env.USER = job.user.name;
  env.LOGNAME = job.user.name;
  if (job.taskIndex !== null) {
    env.GODOCKER_TASK_ID = String(job.taskIndex);
    env.GODOCKER_ARRAY_JOB_ID = String(job.parentId);
  }
  if (job.requirements.timeLimit !== null) env.GODOCKER_TIME_LIMIT = String(job.requirements.timeLimit);
  return env;
}

/** The env and args travel whole into every exec (and every listing of the job): bounded in bytes. */
function checkCommandSize(env: Record<string, string>, args: readonly string[]): void {
  let envBytes = 0;
  for (const [name, value] of Object.entries(env)) envBytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  if (envBytes > WIRE_LIMITS.envBytes) {
    throw limitError(
      `env is ${envBytes} bytes; the limit is ${WIRE_LIMITS.envBytes}: pass large values in a file on a volume`,
      'command.env',
    );
  }
  let argsBytes = 0;
  for (const arg of args) argsBytes += Buffer.byteLength(arg) + 1;
  if (argsBytes > WIRE_LIMITS.argsBytes) {
    throw limitError(
      `args are ${argsBytes} bytes; the limit is ${WIRE_LIMITS.argsBytes}: pass large values in a file on a volume`,
      'command.args',
    );
  }
}
