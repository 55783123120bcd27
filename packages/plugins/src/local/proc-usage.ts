/**
 * A local task's usage from /proc, summed over the job's process group (the job's process
 * and what it started, unless a process left the group with setsid):
 *
 * - cpu: utime + stime of each member, plus cutime + cstime (children it has waited for);
 *   a child that ended before its parent waited for it is counted once the parent does;
 * - memory: the sum of VmRSS; peak: the highest VmHWM of one member with the others' VmRSS
 *   added (the kernel keeps no peak for a group outside a cgroup), and the series keeps the
 *   highest reading;
 * - block io: read_bytes/write_bytes of /proc/PID/io (readable to the job's user and root;
 *   null when the daemon may not read it);
 * - network: none of its own (the task shares the host's): null.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { UsageSample } from '@godocker/sdk';
import { type JobProcess, readStat, statFields } from './process-probe.js';

/** How long one scan of /proc serves the readings of every task (one sampling round reads them together). */
const SCAN_MAX_AGE_MS = 500;

/**
 * Every live process by its process group, from one walk of /proc shared by the readings of
 * all tasks made within SCAN_MAX_AGE_MS: a hundred local tasks cost one walk, not a hundred.
 */
export class ProcessGroups {
  #scan: { at: number; groups: Promise<Map<number, Array<{ pid: number; startTime: number }>>> } | null = null;

  async members(pgid: number): Promise<Array<{ pid: number; startTime: number }>> {
    const now = Date.now();
    if (this.#scan === null || now - this.#scan.at > SCAN_MAX_AGE_MS) this.#scan = { at: now, groups: scanGroups() };
    return (await this.#scan.groups).get(pgid) ?? [];
  }
}

async function scanGroups(): Promise<Map<number, Array<{ pid: number; startTime: number }>>> {
  const groups = new Map<number, Array<{ pid: number; startTime: number }>>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return groups;
  }
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        const stat = await readStat(Number(entry)).catch(() => null);
        if (stat === null || stat.state === 'Z') return;
        const list = groups.get(stat.pgid) ?? [];
        list.push({ pid: Number(entry), startTime: Number(stat.startTime) });
        groups.set(stat.pgid, list);
      }),
  );
  return groups;
}

let ticks: number | undefined;

/** Clock ticks per second of /proc/PID/stat times (100 on every Linux GoDocker runs on, asked once). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      const answer = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      ticks = Number.isInteger(answer) && answer > 0 ? answer : 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** `Key: value` lines (/proc/PID/status, /proc/PID/io) as numbers; units are left to the caller. */
function fields(text: string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
  }
  return out;
}

interface Member {
  cpuTicks: number;
  rss: number;
  hwm: number;
  read: number | null;
  write: number | null;
}

async function memberUsage(pid: number): Promise<Member | null> {
  const [stat, status, io] = await Promise.all([
    readOrNull(`/proc/${pid}/stat`),
    readOrNull(`/proc/${pid}/status`),
    readOrNull(`/proc/${pid}/io`),
  ]);
  if (stat === null) return null;
  // utime, stime, cutime, cstime are fields 14 to 17.
  const f = statFields(stat);
  const cpuTicks = [11, 12, 13, 14].reduce((sum, i) => sum + (Number(f[i]) || 0), 0);
  const s = fields(status);
  const i = io === null ? null : fields(io);
  const kib = 1024;
  return {
    cpuTicks,
    rss: (s.get('VmRSS') ?? 0) * kib,
    hwm: (s.get('VmHWM') ?? 0) * kib,
    read: i?.get('read_bytes') ?? null,
    write: i?.get('write_bytes') ?? null,
  };
}

/** null when the group has no member left (the task ended). */
export async function groupUsage(groups: ProcessGroups, job: JobProcess, at: Date): Promise<UsageSample | null> {
  // A member that started before the job is not the job's: the group id may be a reused one.
  const pids = (await groups.members(job.pid)).filter((m) => m.startTime >= Number(job.startTime)).map((m) => m.pid);
  const members = (await Promise.all(pids.map(memberUsage))).filter((m) => m !== null);
  if (members.length === 0) return null;
  const rss = members.reduce((sum, m) => sum + m.rss, 0);
  const peak = members.reduce((best, m) => Math.max(best, m.hwm + rss - m.rss), rss);
  const io = members.every((m) => m.read !== null && m.write !== null);
  return {
    at: at.toISOString(),
    cpuSeconds: members.reduce((sum, m) => sum + m.cpuTicks, 0) / clockTicks(),
    memoryBytes: rss,
    peakMemoryBytes: peak,
    readBytes: io ? members.reduce((sum, m) => sum + (m.read ?? 0), 0) : null,
    writeBytes: io ? members.reduce((sum, m) => sum + (m.write ?? 0), 0) : null,
    rxBytes: null,
    txBytes: null,
  };
}
