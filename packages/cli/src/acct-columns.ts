/**
 * The columns of `godocker acct`, named as `sacct --format` names them (any case), so
 * `-o JobID,State,Elapsed` reads the same on both. Values are raw (numbers stay numbers)
 * for --json and --csv; the table shows them as text.
 */
import { formatElapsed, formatMemory, type Job } from '@godocker/sdk/client';

type Value = string | number | null;

export interface AcctColumn {
  name: string;
  help: string;
  value(job: Job, now: number): Value;
}

const seconds = (from: string | null, to: string | null, now: number): number | null =>
  from === null ? null : Math.max(0, ((to === null ? now : Date.parse(to)) - Date.parse(from)) / 1000);
// Seconds are enough for history, and the column stays narrow.
const time = (iso: string | null): string | null => (iso === null ? null : `${iso.slice(0, 19)}Z`);

export const ACCT_COLUMNS: readonly AcctColumn[] = [
  {
    name: 'JobID',
    help: "the job's id; an array task as PARENT_INDEX",
    value: (j) => (j.parentId === null ? String(j.id) : `${j.parentId}_${j.taskIndex}`),
  },
  { name: 'JobIDRaw', help: "the job's own id, a task's too", value: (j) => j.id },
  { name: 'JobName', help: 'the name given at submit', value: (j) => j.meta.name },
  { name: 'User', help: 'the owner', value: (j) => j.user.name },
  { name: 'Project', help: 'the project it is accounted to (Slurm: Account)', value: (j) => j.project },
  { name: 'State', help: 'pending, held, running, suspended, done or failed', value: (j) => j.status.state },
  { name: 'ExitCode', help: "the command's exit code (empty until it ends)", value: (j) => j.status.exitCode },
  { name: 'Signal', help: 'the signal that ended it, if one did', value: (j) => j.status.signal },
  { name: 'Submit', help: 'when it was submitted (UTC)', value: (j) => time(j.status.submittedAt) },
  { name: 'Start', help: 'when it started (UTC)', value: (j) => time(j.status.startedAt) },
  { name: 'End', help: 'when it ended (UTC)', value: (j) => time(j.status.endedAt) },
  {
    name: 'Elapsed',
    help: 'wall time run, to its end or to now (D-HH:MM:SS)',
    value: (j, now) => fmt(seconds(j.status.startedAt, j.status.endedAt, now)),
  },
  {
    name: 'ElapsedRaw',
    help: 'wall time in seconds',
    value: (j, now) => round(seconds(j.status.startedAt, j.status.endedAt, now)),
  },
  { name: 'CPU', help: 'cores asked for (Slurm: ReqCPUS)', value: (j) => j.requirements.cpu },
  {
    name: 'CPUTimeRaw',
    help: 'cores times wall seconds',
    value: (j, now) => round(mul(seconds(j.status.startedAt, j.status.endedAt, now), j.requirements.cpu)),
  },
  { name: 'ReqMem', help: 'memory asked for', value: (j) => formatMemory(j.requirements.ram) },
  { name: 'ReqGPU', help: 'gpus asked for', value: (j) => j.requirements.gpus },
  {
    name: 'MaxRSS',
    help: 'most memory used, as sampled from its executor (docker, swarm, local)',
    value: (j) => (j.usage.maxMemoryMb === null ? null : formatMemory(Math.round(j.usage.maxMemoryMb))),
  },
  {
    name: 'TotalCPU',
    help: 'cpu time it really used, as sampled from its executor (D-HH:MM:SS)',
    value: (j) => fmt(j.usage.cpuSeconds),
  },
  { name: 'TotalCPURaw', help: 'cpu seconds it really used', value: (j) => j.usage.cpuSeconds },
  { name: 'MaxDiskRead', help: 'bytes it read from disk', value: (j) => j.usage.readBytes ?? null },
  { name: 'MaxDiskWrite', help: 'bytes it wrote to disk', value: (j) => j.usage.writeBytes ?? null },
  { name: 'NetIn', help: 'bytes it received over the network', value: (j) => j.usage.rxBytes ?? null },
  { name: 'NetOut', help: 'bytes it sent over the network', value: (j) => j.usage.txBytes ?? null },
  { name: 'Node', help: 'where it ran (Slurm: NodeList)', value: (j) => j.status.node },
  { name: 'Reason', help: 'why it waits, or how it ended', value: (j) => j.status.reason },
];

export const DEFAULT_ACCT_COLUMNS = ['JobID', 'JobName', 'User', 'Project', 'State', 'ExitCode', 'Start', 'Elapsed', 'Node'];

const fmt = (s: number | null): string | null => (s === null ? null : formatElapsed(s));
const round = (s: number | null): number | null => (s === null ? null : Math.round(s));
const mul = (s: number | null, k: number): number | null => (s === null ? null : s * k);

/** The columns `-o` names, in its order; null for a name no column has. */
export function pickColumns(names: readonly string[]): { columns: AcctColumn[]; unknown: string[] } {
  const columns: AcctColumn[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    const c = ACCT_COLUMNS.find((x) => x.name.toLowerCase() === n.trim().toLowerCase());
    if (c) columns.push(c);
    else unknown.push(n);
  }
  return { columns, unknown };
}
