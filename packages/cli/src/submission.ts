/** Turns `godocker submit` options into a JobSubmission (pure, apart from reading the script). */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  type JobSubmission,
  type NotifySubmit,
  type PortRequest,
  parseArraySpec,
  parseDependencies,
  parsePortSpec,
  type VolumeRequest,
} from '@godocker/sdk/client';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';

export interface SubmitFlags {
  cmd?: string;
  cpu?: number;
  mem?: number;
  gpus?: number;
  /** KEY=VALUE node labels the job must run on (repeatable). */
  constraint?: string[];
  /** The executor to run on, by its name in the daemon's `executors:` list. */
  executor?: string;
  image?: string;
  volume?: string[];
  time?: number;
  array?: string;
  dependency?: string;
  name?: string;
  project?: string;
  tag?: string[];
  env?: string[];
  workdir?: string;
  root?: boolean;
  network?: boolean;
  /** Container ports to publish, `8080` or `9090/udp` (repeatable). */
  port?: string[];
  priority?: number;
  hold?: boolean;
  /** ISO timestamp, already read by `beginOption`. */
  begin?: string;
  /** Slurm's --mail-type, read by `mailTypeListOption`. */
  mailType?: string[];
  mailUser?: string;
  notifyUrl?: string;
}

/** A file the command line names, relative to the working folder; a usage error when unreadable. */
export function readTextFile(file: string, cwd: string, what: string): string {
  try {
    // Synchronous on purpose: node:fs/promises alone costs a few ms of startup, and the command waits anyway.
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot read ${what} ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
}

/** The script: from the file, from stdin when the file is `-`, or the --cmd text. */
export async function readScript(file: string | undefined, flags: SubmitFlags, io: CliIo): Promise<string> {
  if (file !== undefined && flags.cmd !== undefined) throw new UsageError('give either a SCRIPT_FILE or --cmd, not both');
  if (flags.cmd !== undefined) return flags.cmd;
  if (file === undefined)
    throw new UsageError("nothing to run: give a SCRIPT_FILE, - to read the script from stdin, or --cmd 'COMMAND'");
  const script = file === '-' ? await io.readStdin() : readTextFile(file, io.cwd, 'script file');
  if (script.trim() === '') throw new UsageError(`the script ${file === '-' ? 'read from stdin' : file} is empty`);
  return script;
}

export function parsePort(text: string): PortRequest {
  try {
    return parsePortSpec(text);
  } catch (e) {
    throw new UsageError(`invalid --port: ${(e as Error).message}`);
  }
}

export function parseVolume(text: string): VolumeRequest {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?::(ro|rw))?$/.exec(text);
  if (!m)
    throw new UsageError(`invalid --volume "${text}": use a catalogue volume NAME or NAME:ro / NAME:rw (see \`godocker info\`)`);
  return m[2] ? { name: m[1] as string, mode: m[2] as 'ro' | 'rw' } : { name: m[1] as string };
}

/** `--constraint disk=ssd`: the node labels a job asks for (GoDocker's constraints, Slurm's --constraint). */
export function parseConstraints(list: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const text of list) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._/-]*)=(.+)$/.exec(text);
    if (!m) throw new UsageError(`invalid --constraint "${text}": use KEY=VALUE, a node label (see \`godocker nodes\`)`);
    const [, key, value] = m as unknown as [string, string, string];
    if (key in labels && labels[key] !== value) {
      throw new UsageError(`--constraint ${key} is given twice, as ${labels[key]} and ${value}: a node has one value per label`);
    }
    labels[key] = value;
  }
  return labels;
}

/** K=V; a bare K takes the value from this shell's environment, as `docker run -e K` does. */
export function parseEnv(list: readonly string[], env: CliIo['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      throw new UsageError(`invalid --env "${item}": use NAME=VALUE, NAME a shell variable name`);
    const value = eq === -1 ? env[key] : item.slice(eq + 1);
    if (value === undefined) throw new UsageError(`--env ${key}: ${key} is not set in this shell; use ${key}=VALUE`);
    out[key] = value;
  }
  return out;
}

export function buildSubmission(script: string, file: string | undefined, f: SubmitFlags, env: CliIo['env']): JobSubmission {
  if (f.array !== undefined) {
    try {
      // The daemon applies its own size limit; here only the form is checked, before anything is sent.
      parseArraySpec(f.array, Number.MAX_SAFE_INTEGER);
    } catch (e) {
      throw new UsageError(`--array: ${(e as Error).message}`);
    }
  }
  if (f.workdir !== undefined && !f.workdir.startsWith('/'))
    throw new UsageError(`--workdir "${f.workdir}" must be an absolute path in the container`);

  const name = f.name ?? (file && file !== '-' ? basename(file) : undefined);
  const tags = f.tag ?? [];
  const envVars = parseEnv(f.env ?? [], env);
  const volumes = (f.volume ?? []).map(parseVolume);

  const sub: JobSubmission = { command: { script } };
  if (Object.keys(envVars).length) sub.command.env = envVars;
  if (f.workdir !== undefined) sub.command.workdir = f.workdir;
  if (name !== undefined || tags.length) sub.meta = { ...(name !== undefined ? { name } : {}), ...(tags.length ? { tags } : {}) };
  if (f.project !== undefined) sub.project = f.project;

  const container: NonNullable<JobSubmission['container']> = {};
  if (f.image !== undefined) container.image = f.image;
  if (volumes.length) container.volumes = volumes;
  if (f.network) container.network = true;
  if (f.root) container.root = true;
  if (f.port?.length) container.ports = f.port.map(parsePort);
  if (Object.keys(container).length) sub.container = container;

  const req: NonNullable<JobSubmission['requirements']> = {};
  if (f.cpu !== undefined) req.cpu = f.cpu;
  if (f.mem !== undefined) req.ram = f.mem;
  if (f.gpus !== undefined) req.gpus = f.gpus;
  if (f.constraint?.length) req.labels = parseConstraints(f.constraint);
  if (f.executor !== undefined) req.executor = f.executor;
  if (f.time !== undefined) req.timeLimit = f.time;
  if (Object.keys(req).length) sub.requirements = req;

  if (f.array !== undefined) sub.array = f.array;
  if (f.dependency !== undefined) {
    try {
      sub.dependencies = parseDependencies(f.dependency);
    } catch (e) {
      throw new UsageError(`--dependency: ${(e as Error).message}`);
    }
  }
  if (f.priority !== undefined) sub.priority = f.priority;
  if (f.hold) sub.hold = true;
  if (f.begin !== undefined) sub.beginAt = f.begin;
  if (f.mailType !== undefined || f.mailUser !== undefined || f.notifyUrl !== undefined) {
    sub.notify = {
      ...(f.mailType === undefined ? {} : { mailTypes: f.mailType as NotifySubmit['mailTypes'] }),
      ...(f.mailUser === undefined ? {} : { mailUser: f.mailUser }),
      ...(f.notifyUrl === undefined ? {} : { url: f.notifyUrl }),
    };
  }
  return sub;
}
