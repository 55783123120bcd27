/**
 * The DRMAA2 job template (GFD.231 field names) plus GoDocker's extensions, and
 * how it becomes a JobSubmission. A field GoDocker cannot honour is refused with
 * an UnsupportedAttributeError naming it, never silently ignored.
 *
 * ```ts
 * await session.runJob({ remoteCommand: '/bin/echo', args: ['hello'], minSlots: 2, minPhysMemory: 512 * 1024 });
 * ```
 *
 * | template field | GoDocker |
 * |---|---|
 * | `remoteCommand` + `args` | script `exec 'CMD' "$@"`, with `args` as its arguments |
 * | `script` (extension) | the script itself (`args` are its `$1`...) |
 * | `jobEnvironment`, `workingDirectory`, `jobName` | `command.env`, `command.workdir`, `meta.name` |
 * | `inputPath`, `outputPath`, `errorPath`, `joinFiles` | `command.stdin`, `stdout`, `stderr`, `joinStderr`: opened by the executor before the command starts (one it cannot open fails the job, which never runs); a relative path (`:out/log`) is in the working directory; an output or error path that is a directory gets `JOBNAME.oJOBID` / `.eJOBID` in it |
 * | `minSlots` (or `maxSlots`) | `requirements.cpu` |
 * | `minPhysMemory` (KiB) | `requirements.ram` (MiB, rounded up) |
 * | `wallclockTimeLimit`, `resourceLimits.WALLCLOCK_TIME` (s) | `requirements.timeLimit` |
 * | `priority`, `queueName`, `submitAsHold` | `priority`, `project`, `hold` |
 * | `startTime` (Date or ISO string) | `beginAt`: the job does not start before it |
 * | `email` (one address), `emailOnStarted`, `emailOnTerminated` | `notify`: mail types `begin`, `end` (no address: the user's own) |
 * | `candidateMachines` | accepted when it names every machine of the daemon (GoDocker places by labels) |
 */

import { hostname } from 'node:os';
import { UnsupportedAttributeError } from '../drmaa-errors.js';
import { ValidationError } from '../errors.js';
import type { Dependency, JobSubmission, VolumeRequest } from '../job.js';
import { HOME_PLACEHOLDER, TASK_INDEX_PLACEHOLDER } from '../job-paths.js';
import type { MailType, NotifySubmit } from '../notify.js';
import { parseDuration } from '../quantities.js';

export interface JobTemplate {
  /** The program to run, found on the image's PATH or given as an absolute path. */
  remoteCommand?: string;
  args?: string[];
  submitAsHold?: boolean;
  rerunnable?: boolean;
  jobEnvironment?: Record<string, string>;
  /** Absolute path where the job runs (inside its container); may start with `$DRMAA2_HOME_DIR$`. */
  workingDirectory?: string;
  jobCategory?: string;
  email?: string[];
  emailOnStarted?: boolean;
  emailOnTerminated?: boolean;
  jobName?: string;
  /**
   * `[host]:path`, the host empty or this one; a path without a leading `/` (or starting with
   * `$DRMAA2_WORKING_DIR$`) is in the working directory; `$DRMAA2_INDEX$` is a bulk job's task index.
   */
  inputPath?: string;
  outputPath?: string;
  errorPath?: string;
  joinFiles?: boolean;
  reservationId?: string;
  /** The project charged (DRMAA's queue). */
  queueName?: string;
  /** Cpu cores. */
  minSlots?: number;
  maxSlots?: number;
  priority?: number;
  candidateMachines?: string[];
  /** KiB, as GFD.231 says. */
  minPhysMemory?: number;
  machineOS?: string;
  machineArch?: string;
  /** The job does not start before it: a Date, or an ISO 8601 string with a zone. */
  startTime?: Date | string;
  deadlineTime?: Date | string;
  stageInFiles?: Record<string, string>;
  stageOutFiles?: Record<string, string>;
  /** Only `WALLCLOCK_TIME` (seconds, or a duration such as `1h30m`). */
  resourceLimits?: Record<string, string | number>;
  accountingId?: string;
  /** Seconds of wall time before the job is killed (DRMAA1's hard wallclock limit). */
  wallclockTimeLimit?: number;

  // GoDocker extensions
  /** A shell script to run instead of `remoteCommand`. */
  script?: string;
  image?: string;
  /** Catalogue volumes: `name`, `name:ro`, `name:rw`, or `{ name, mode }`. */
  volumes?: Array<VolumeRequest | string>;
  gpus?: number;
  tags?: string[];
  /** Jobs this one waits for (`afterok`, `afterany`, `afternotok`). */
  dependencies?: Dependency[];
  network?: boolean;
  description?: string;
  /** Node labels the job needs. */
  labels?: Record<string, string>;
}

type TemplateKey = keyof JobTemplate;

const KNOWN: ReadonlySet<string> = new Set<TemplateKey>([
  'remoteCommand',
  'args',
  'submitAsHold',
  'rerunnable',
  'jobEnvironment',
  'workingDirectory',
  'jobCategory',
  'email',
  'emailOnStarted',
  'emailOnTerminated',
  'jobName',
  'inputPath',
  'outputPath',
  'errorPath',
  'joinFiles',
  'reservationId',
  'queueName',
  'minSlots',
  'maxSlots',
  'priority',
  'candidateMachines',
  'minPhysMemory',
  'machineOS',
  'machineArch',
  'startTime',
  'deadlineTime',
  'stageInFiles',
  'stageOutFiles',
  'resourceLimits',
  'accountingId',
  'wallclockTimeLimit',
  'script',
  'image',
  'volumes',
  'gpus',
  'tags',
  'dependencies',
  'network',
  'description',
  'labels',
]);

/** Fields GoDocker has no meaning for, and why: refused when set to anything but an unset value. */
const UNSUPPORTED: Partial<Record<TemplateKey, string>> = {
  rerunnable: 'GoDocker never reruns a job on its own',
  jobCategory: 'GoDocker has no job categories: choose an image with `image`',
  reservationId: 'GoDocker has no advance reservations',
  machineOS: 'jobs run in Linux containers; place them with `labels`',
  machineArch: 'place jobs on an architecture with `labels`',
  deadlineTime: 'GoDocker has no deadlines: use `wallclockTimeLimit`',
  stageInFiles: 'GoDocker stages no files: use catalogue `volumes`',
  stageOutFiles: 'GoDocker stages no files: use catalogue `volumes`',
  accountingId: 'jobs are accounted to their project: use `queueName`',
};

/** DRMAA's "unset": undefined, null, false, '', an empty list or dictionary. */
function isUnset(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (value instanceof Date) return false;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** DRMAA's placeholders, DRMAA2's name and DRMAA1's. */
const HOME_PLACEHOLDERS = ['$DRMAA2_HOME_DIR$', '$drmaa_hd_ph$'];
const WORKING_DIR_PLACEHOLDERS = ['$DRMAA2_WORKING_DIR$', '$drmaa_wd_ph$'];
const INDEX_PLACEHOLDERS = ['$DRMAA2_INDEX$', '$drmaa_incr_ph$'];

/** Single-quotes text for /bin/sh. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The names of this machine a `[host]:path` may give: it means the machine that runs the job. */
function isThisMachine(host: string): boolean {
  if (host === '' || host === 'localhost' || host === '127.0.0.1' || host === '::1') return true;
  const me = hostname().toLowerCase();
  const h = host.toLowerCase();
  // `node1` and `node1.cluster.example` name the same machine.
  return h === me || h.split('.')[0] === me.split('.')[0];
}

/** What follows a placeholder that is the path's first component; null when none is. */
function afterLeading(path: string, placeholders: readonly string[]): string | null {
  for (const p of placeholders) {
    if (path === p || path.startsWith(`${p}/`)) return path.slice(p.length);
  }
  return null;
}

/** Where a path is used: the working directory itself, or a file with or without a working directory set. */
export type PathUse = 'workingDirectory' | { hasWorkingDirectory: boolean };

/**
 * A DRMAA `[host]:path` (or a plain path) as a path of the job document
 * (job-paths.ts): the home placeholder becomes `$HOME`, the daemon fills it in;
 * the working directory placeholder, or no leading `/` (Grid Engine's `:relative/path`),
 * makes a file relative to the working directory; the index placeholder becomes
 * `$GODOCKER_TASK_ID`. The host must be empty or this machine: GoDocker writes a
 * job's files where the job runs, and copies none from other hosts.
 */
export function jobPath(value: string, field: string, use: PathUse): string {
  const m = /^([^/:$]*):(.*)$/.exec(value);
  const [host, given] = m ? [m[1] ?? '', m[2] ?? ''] : ['', value];
  if (!isThisMachine(host)) {
    throw new UnsupportedAttributeError(
      `${field} "${value}" names the host "${host}": GoDocker copies no files from other hosts; the path is on the machine that runs the job (write ":${given}")`,
      field,
    );
  }
  let path = given;
  for (const p of INDEX_PLACEHOLDERS) path = path.replaceAll(p, TASK_INDEX_PLACEHOLDER);
  const home = afterLeading(path, HOME_PLACEHOLDERS);
  const inWorkingDir = afterLeading(path, WORKING_DIR_PLACEHOLDERS);
  if (home !== null) path = `${HOME_PLACEHOLDER}${home}`;
  else if (inWorkingDir !== null) path = inWorkingDir.replace(/^\/+/, '') || '.';
  const misplaced = [...HOME_PLACEHOLDERS, ...WORKING_DIR_PLACEHOLDERS].find((p) => path.includes(p));
  if (misplaced) throw new ValidationError(`${field} "${value}": ${misplaced} may only begin the path`, field);
  if (path === '') throw new ValidationError(`${field} "${value}" names no path`, field);
  const relative = !path.startsWith('/') && home === null;
  if (use === 'workingDirectory' && relative) {
    throw new ValidationError(
      `${field} "${value}" must be an absolute path (or start with the home directory placeholder)`,
      field,
    );
  }
  if (use !== 'workingDirectory' && relative && !use.hasWorkingDirectory) {
    throw new ValidationError(
      `${field} "${value}" is relative to the working directory, but no working directory is set: set workingDirectory (drmaa_wd), or give an absolute path`,
      field,
    );
  }
  return path;
}

function positive(value: number, field: string, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ValidationError(`${field} must be a positive ${integer ? 'integer' : 'number'}, not ${String(value)}`, field);
  }
  return value;
}

function volumeOf(v: VolumeRequest | string, field: string): VolumeRequest {
  if (typeof v !== 'string') return v;
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?::(ro|rw))?$/.exec(v);
  if (!m?.[1]) throw new ValidationError(`${field} "${v}" must be a catalogue volume NAME, NAME:ro or NAME:rw`, field);
  return m[2] ? { name: m[1], mode: m[2] as 'ro' | 'rw' } : { name: m[1] };
}

function wallclock(t: JobTemplate): number | undefined {
  const limits = t.resourceLimits ?? {};
  let fromLimits: number | undefined;
  for (const [key, value] of Object.entries(limits)) {
    const field = `resourceLimits.${key}`;
    if (key !== 'WALLCLOCK_TIME') {
      throw new UnsupportedAttributeError(
        `${field}: GoDocker enforces only WALLCLOCK_TIME (and memory through minPhysMemory)`,
        field,
      );
    }
    fromLimits = typeof value === 'number' ? positive(value, field) : parseDuration(value, field);
  }
  if (t.wallclockTimeLimit !== undefined) positive(t.wallclockTimeLimit, 'wallclockTimeLimit');
  if (fromLimits !== undefined && t.wallclockTimeLimit !== undefined && fromLimits !== t.wallclockTimeLimit) {
    throw new ValidationError(
      'wallclockTimeLimit and resourceLimits.WALLCLOCK_TIME disagree: give one of them',
      'wallclockTimeLimit',
    );
  }
  const seconds = t.wallclockTimeLimit ?? fromLimits;
  return seconds === undefined ? undefined : Math.ceil(seconds);
}

/**
 * The command: the script (or `remoteCommand` run by it), the working directory and
 * the files of the standard streams, which the executor opens before the command
 * starts, so that one it cannot open is a start failure (DRMAA's aborted), not an exit.
 */
function commandOf(t: JobTemplate): JobSubmission['command'] {
  const hasCommand = !isUnset(t.remoteCommand);
  const hasScript = !isUnset(t.script);
  if (hasCommand === hasScript) {
    throw new ValidationError(
      hasCommand ? 'give remoteCommand or script, not both' : 'nothing to run: set remoteCommand (or the script extension)',
      'remoteCommand',
    );
  }
  const command: JobSubmission['command'] = {
    script: hasCommand ? `exec ${shellQuote(t.remoteCommand as string)} "$@"` : (t.script as string),
  };
  const hasWorkingDirectory = !isUnset(t.workingDirectory);
  const use = { hasWorkingDirectory };
  if (hasWorkingDirectory) command.workdir = jobPath(t.workingDirectory as string, 'workingDirectory', 'workingDirectory');
  if (!isUnset(t.inputPath)) command.stdin = jobPath(t.inputPath as string, 'inputPath', use);
  if (!isUnset(t.outputPath)) command.stdout = jobPath(t.outputPath as string, 'outputPath', use);
  // DRMAA: with joinFiles the error path is ignored.
  if (t.joinFiles) command.joinStderr = true;
  else if (!isUnset(t.errorPath)) command.stderr = jobPath(t.errorPath as string, 'errorPath', use);
  return command;
}

/** A Date as it stands; a string must carry its zone, since the daemon's may differ from the caller's. */
function startTimeOf(value: Date | string): string {
  let ms = Number.NaN;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string' && /(?:Z|[+-]\d{2}:\d{2})$/i.test(value)) ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new ValidationError(
      `startTime ${String(value)} is not a time: give a Date or an ISO 8601 string with a zone, e.g. 2026-11-29T14:00:00Z`,
      'startTime',
    );
  }
  return new Date(ms).toISOString();
}

export interface TemplateContext {
  /** The session the job is submitted in. */
  session?: string;
  /** The daemon's machine names, asked for only when `candidateMachines` is set. */
  machines?: () => Promise<readonly string[]>;
}

/**
 * The submission a template stands for. Throws UnsupportedAttributeError for a
 * field GoDocker cannot honour (or an unknown one), ValidationError for a bad value.
 */
export async function templateToSubmission(template: JobTemplate, context: TemplateContext = {}): Promise<JobSubmission> {
  const t = template;
  for (const key of Object.keys(t)) {
    const value = t[key as TemplateKey];
    if (!KNOWN.has(key)) throw new UnsupportedAttributeError(`"${key}" is not a job template field`, key);
    const why = UNSUPPORTED[key as TemplateKey];
    if (why && !isUnset(value)) throw new UnsupportedAttributeError(`${key} is not supported: ${why}`, key);
  }
  if (!isUnset(t.candidateMachines)) {
    const wanted = new Set(t.candidateMachines);
    const all = context.machines ? await context.machines() : [];
    const outside = all.filter((m) => !wanted.has(m));
    if (all.length === 0 || outside.length > 0) {
      throw new UnsupportedAttributeError(
        `candidateMachines: GoDocker places jobs by node labels, not names, and cannot keep the job off ${outside.join(', ') || 'the other machines'}: use the labels extension`,
        'candidateMachines',
      );
    }
  }
  const command = commandOf(t);
  for (const name of Object.keys(t.jobEnvironment ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ValidationError(`jobEnvironment: "${name}" is not a variable name`, `jobEnvironment.${name}`);
    }
  }
  if (t.minSlots !== undefined) positive(t.minSlots, 'minSlots');
  if (t.maxSlots !== undefined) positive(t.maxSlots, 'maxSlots');
  if (t.minSlots !== undefined && t.maxSlots !== undefined && t.maxSlots < t.minSlots) {
    throw new ValidationError(`maxSlots ${t.maxSlots} is below minSlots ${t.minSlots}`, 'maxSlots');
  }
  const cpu = t.minSlots ?? t.maxSlots;
  const ram = t.minPhysMemory === undefined ? undefined : Math.ceil(positive(t.minPhysMemory, 'minPhysMemory') / 1024);
  const timeLimit = wallclock(t);
  const requirements: NonNullable<JobSubmission['requirements']> = {
    ...(cpu === undefined ? {} : { cpu }),
    ...(ram === undefined ? {} : { ram }),
    ...(t.gpus === undefined ? {} : { gpus: t.gpus }),
    ...(timeLimit === undefined ? {} : { timeLimit }),
    ...(isUnset(t.labels) ? {} : { labels: t.labels }),
  };
  const meta: NonNullable<JobSubmission['meta']> = {
    ...(isUnset(t.jobName) ? {} : { name: t.jobName }),
    ...(isUnset(t.description) ? {} : { description: t.description }),
    ...(isUnset(t.tags) ? {} : { tags: t.tags }),
  };
  const container: NonNullable<JobSubmission['container']> = {
    ...(isUnset(t.image) ? {} : { image: t.image }),
    ...(isUnset(t.volumes) ? {} : { volumes: (t.volumes ?? []).map((v, i) => volumeOf(v, `volumes.${i}`)) }),
    ...(t.network ? { network: true } : {}),
  };
  return {
    command: {
      ...command,
      ...(isUnset(t.args) ? {} : { args: t.args }),
      ...(isUnset(t.jobEnvironment) ? {} : { env: t.jobEnvironment }),
    },
    ...(Object.keys(meta).length > 0 ? { meta } : {}),
    ...(Object.keys(container).length > 0 ? { container } : {}),
    ...(Object.keys(requirements).length > 0 ? { requirements } : {}),
    ...(isUnset(t.queueName) ? {} : { project: t.queueName }),
    ...(context.session === undefined ? {} : { session: context.session }),
    ...(t.priority === undefined ? {} : { priority: t.priority }),
    ...(t.submitAsHold ? { hold: true } : {}),
    ...(isUnset(t.startTime) ? {} : { beginAt: startTimeOf(t.startTime as Date | string) }),
    ...(isUnset(t.dependencies) ? {} : { dependencies: t.dependencies }),
    ...notifyOf(t),
  };
}

/** DRMAA2's mail fields as the job's `notify`: none unless emailOnStarted or emailOnTerminated asks. */
function notifyOf(t: JobTemplate): { notify?: NotifySubmit } {
  const types: MailType[] = [...(t.emailOnStarted ? ['begin' as const] : []), ...(t.emailOnTerminated ? ['end' as const] : [])];
  if ((t.email?.length ?? 0) > 1) {
    throw new UnsupportedAttributeError('email: GoDocker mails one address per job; give one', 'email');
  }
  if (types.length === 0) return {};
  const address = t.email?.[0];
  return { notify: { mailTypes: types, ...(address ? { mailUser: address } : {}) } };
}
