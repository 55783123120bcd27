/** How a job is shown to a person: a table row, a description, and the exit code it stands for. */
import {
  efficiencyHints,
  formatBytes,
  formatDuration,
  formatMemory,
  type HostPort,
  type Job,
  type JobPort,
  type JobState,
  type NotificationDelivery,
  portText,
} from '@godocker/sdk/client';
import { formatTable, truncate } from './table.js';

export const JOB_HEADERS = [
  'id',
  'name',
  'user',
  'project',
  'state',
  'exit',
  'cpu',
  'mem',
  'submitted',
  'node',
  'reason',
] as const;

/** "in 3m", or "passed" once the time has come. */
export function untilText(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '?';
  return t > now ? `in ${formatDuration(Math.max(1, Math.ceil((t - now) / 1000)))}` : 'passed';
}

/** "3m ago"; the clock is a parameter so a table's rows agree on "now". */
export function age(iso: string | null, now: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${formatDuration(Math.max(0, (now - t) / 1000))} ago`;
}

function exitText(job: Job): string {
  if (job.status.signal) return job.status.signal;
  return job.status.exitCode === null ? '-' : String(job.status.exitCode);
}

function stateText(job: Job): string {
  if (job.array) {
    const counts = Object.entries(job.array.tasks)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${s}:${n}`)
      .join(',');
    return counts ? `${job.status.state}(${counts})` : job.status.state;
  }
  return job.status.state;
}

export function jobRow(job: Job, now: number): string[] {
  const id = job.parentId !== null && job.taskIndex !== null ? `${job.id} (${job.parentId}[${job.taskIndex}])` : String(job.id);
  return [
    id,
    truncate(job.meta.name, 24),
    job.user.name,
    job.project,
    stateText(job),
    exitText(job),
    String(job.requirements.cpu),
    formatMemory(job.requirements.ram),
    age(job.status.submittedAt, now),
    job.status.node ?? '-',
    truncate(job.status.reason, 40),
  ];
}

export function jobTable(jobs: readonly Job[], now: number, header = true): string {
  return formatTable(
    JOB_HEADERS,
    jobs.map((j) => jobRow(j, now)),
    { header },
  );
}

/**
 * The exit code a command should end with for a terminated job: the job's own code;
 * 1 when it failed without one (killed, timed out, never started).
 */
export function jobExitCode(job: Job): number {
  const { state, exitCode } = job.status;
  if (state === 'done') return exitCode === null ? 0 : oneByte(exitCode);
  if (state === 'failed') return exitCode === null || exitCode === 0 ? 1 : oneByte(exitCode);
  return 0;
}

// A process exit status is one byte; a non-zero code that is 0 modulo 256 must still read as failure.
function oneByte(code: number): number {
  const b = code & 0xff;
  return code !== 0 && b === 0 ? 1 : b;
}

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(16)}${value}\n`;
}

function indent(text: string, by = '  '): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n')
    .concat('\n');
}

/**
 * Whether the reason adds something to the exit code: a job that just exited non-zero
 * needs no more words, one killed, timed out or never started does.
 */
export function reasonWorthShowing(job: Job): boolean {
  return job.status.state === 'failed' && (job.status.exitCode === null || job.status.signal !== null);
}

/** `godocker show`: kubectl-describe-like text. */
/**
 * The job's notifications, when it asked for any: who hears of which events, then one line per
 * delivery (event and channel) with how it went, the last error of one not yet or never sent.
 */
export function describeNotifications(job: Job, deliveries: readonly NotificationDelivery[]): string {
  const notify = job.notify;
  if (!notify) return '';
  const to = [notify.mailUser && `mail to ${notify.mailUser}`, notify.url && `POST to ${notify.url}`].filter(Boolean);
  let out = 'Notifications:\n';
  out += field('  Events', notify.events.join(', '));
  out += field('  To', to.join(', ') || '-');
  if (deliveries.length === 0) return `${out}  (no delivery yet, or purged)\n`;
  const rows = deliveries.map((d) => [
    d.event.join(','),
    d.channel,
    d.status,
    String(d.attempts),
    d.doneAt ?? (d.nextAttemptAt ? `next ${d.nextAttemptAt}` : d.createdAt),
    d.lastError === null ? '-' : truncate(d.lastError, 100),
  ]);
  return out + indent(formatTable(['event', 'channel', 'status', 'attempts', 'time', 'last error'], rows), '  ');
}

export function describeJob(job: Job, now: number): string {
  const s = job.status;
  const r = job.requirements;
  const c = job.container;
  let out = '';
  out += field('ID', String(job.id));
  out += field('Name', job.meta.name);
  if (job.meta.description) out += field('Description', job.meta.description);
  if (job.meta.tags.length) out += field('Tags', job.meta.tags.join(', '));
  out += field('User', `${job.user.name} (uid ${job.user.uid}, gid ${job.user.gid})`);
  out += field('Project', job.project);
  if (job.session) out += field('Session', job.session);
  if (job.parentId !== null) out += field('Array task', `${job.taskIndex} of job ${job.parentId}`);
  if (job.array) {
    const a = job.array;
    out += field(
      'Array',
      `${a.start}-${a.end}:${a.step}${a.throttle ? `%${a.throttle}` : ''} (${a.count} tasks; list them with \`godocker jobs --parent ${job.id}\`)`,
    );
  }
  out += field('State', stateText(job));
  out += field('Reason', s.reason || '-');
  out += field('Exit code', s.exitCode === null ? '-' : String(s.exitCode));
  if (s.signal) out += field('Signal', s.signal);
  if (s.oomKilled) out += field('OOM killed', 'yes: the job used more memory than it asked for (raise --mem)');
  out += field('Priority', `${job.priority}${job.hold ? ' (held)' : ''}`);
  if (job.beginAt !== undefined) out += field('Begin', `${job.beginAt} (${untilText(job.beginAt, now)})`);
  out += field('Submitted', `${s.submittedAt} (${age(s.submittedAt, now)})`);
  out += field('Started', s.startedAt ?? '-');
  out += field('Ended', s.endedAt ?? '-');
  if (s.archivedAt !== undefined) {
    out += field('Archived', `${s.archivedAt}: its files and logs were removed; this record and its usage stay`);
  }
  out += field('Node', s.node ?? '-');
  if (s.containerId) out += field('Container', s.containerId);
  out += 'Requirements:\n';
  out += field('  CPU', String(r.cpu));
  out += field('  Memory', formatMemory(r.ram));
  out += field('  GPUs', String(r.gpus));
  if (r.tmpstorage) out += field('  Tmp storage', formatMemory(r.tmpstorage));
  out += field('  Time limit', r.timeLimit === null ? 'none' : formatDuration(r.timeLimit));
  const labels = Object.entries(r.labels);
  if (labels.length) out += field('  Labels', labels.map(([k, v]) => `${k}=${v}`).join(', '));
  out += 'Container:\n';
  out += field('  Image', c.image);
  out += field('  Volumes', c.volumes.length ? c.volumes.map((v) => `${v.name}:${v.mode}`).join(', ') : '-');
  out += field('  Network', c.network ? 'yes' : 'no');
  out += field('  Root', c.root ? 'yes' : 'no');
  if (c.ports?.length) out += field('  Ports', portsText(c.ports, s.ports ?? [], s.state));
  out += 'Usage:\n';
  out += field('  Wall time', formatDuration(job.usage.wallSeconds));
  out += field('  CPU time', job.usage.cpuSeconds === null ? '-' : formatDuration(job.usage.cpuSeconds));
  out += field('  Max memory', job.usage.maxMemoryMb === null ? '-' : formatMemory(Math.ceil(job.usage.maxMemoryMb)));
  const u = job.usage;
  if (u.readBytes !== undefined || u.writeBytes !== undefined) {
    out += field('  Block io', `read ${formatBytes(u.readBytes ?? null)}, written ${formatBytes(u.writeBytes ?? null)}`);
  }
  if (u.rxBytes !== undefined || u.txBytes !== undefined) {
    out += field('  Network', `received ${formatBytes(u.rxBytes ?? null)}, sent ${formatBytes(u.txBytes ?? null)}`);
  }
  for (const hint of efficiencyHints(job)) out += field('  Efficiency', hint);
  out += 'Command:\n';
  if (job.command.workdir) out += field('  Workdir', job.command.workdir);
  if (job.command.stdin !== undefined) out += field('  Stdin', job.command.stdin);
  if (job.command.stdout !== undefined) out += field('  Stdout', job.command.stdout);
  if (job.command.joinStderr) out += field('  Stderr', 'with stdout');
  else if (job.command.stderr !== undefined) out += field('  Stderr', job.command.stderr);
  if (job.command.args.length) out += field('  Args', job.command.args.map((a) => JSON.stringify(a)).join(' '));
  const env = Object.entries(job.command.env);
  if (env.length) out += field('  Env', env.map(([k, v]) => `${k}=${v}`).join(' '));
  out += '  Script:\n';
  out += indent(job.command.script, '    ');
  out += 'History:\n';
  out += indent(
    formatTable(
      ['time', 'state', 'reason'],
      s.history.map((h) => [h.at, h.state, h.reason]),
    ),
  );
  return out;
}

/** "8080/tcp -> node1:20003": where to reach each port while the job runs, and where it was after. */
function portsText(asked: readonly JobPort[], given: readonly HostPort[], state: JobState): string {
  const holds = state === 'running' || state === 'suspended';
  return asked
    .map((p) => {
      const h = given.find((g) => g.containerPort === p.containerPort && g.protocol === p.protocol);
      if (!h) return `${portText(p)} (gets a host port when it starts)`;
      const where = `${h.hostIp && h.hostIp !== '0.0.0.0' ? h.hostIp : h.node}:${h.hostPort}`;
      return holds ? `${portText(p)} -> ${where}` : `${portText(p)} (had ${where}, released)`;
    })
    .join(', ');
}
