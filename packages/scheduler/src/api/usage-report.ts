/**
 * `godocker usage`: what jobs used in a window, per user or per project, summed from the
 * job records themselves (so the totals are exactly what `godocker acct` lists), each job
 * charged for the part of its run inside the window, from its allocation: cores, MiB and
 * gpus asked for, times wall seconds (Slurm's CPUTime); and beside it the cpu the jobs really
 * used (Slurm's TotalCPU), from the sampled usage in their records, in the same share.
 */
import type { Job, UsageGrouping, UsageReportRow } from '@godocker/sdk';
import type { JobFilter, Store } from '../store/store.js';

const PAGE = 1000;

export async function usageReport(
  store: Store,
  by: UsageGrouping,
  since: Date,
  until: Date,
  /** Only this user's jobs (a user who is not an admin). */
  user?: string,
): Promise<UsageReportRow[]> {
  // Array parents hold no resources of their own: their tasks do.
  const filter: JobFilter = {
    arrayParent: false,
    window: { from: since.toISOString(), to: until.toISOString() },
    ...(user === undefined ? {} : { user }),
  };
  const rows = new Map<string, UsageReportRow>();
  let cursor: number | undefined;
  do {
    const page = await store.listJobs(filter, { limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
    for (const job of page.jobs) {
      const wall = wallInWindow(job, since.getTime(), until.getTime());
      if (wall === null) continue;
      const name = by === 'user' ? job.user.name : job.project;
      const row = rows.get(name) ?? {
        name,
        jobs: 0,
        cpuSeconds: 0,
        cpuUsedSeconds: 0,
        ramMbSeconds: 0,
        gpuSeconds: 0,
        wallSeconds: 0,
      };
      row.jobs++;
      row.wallSeconds += wall;
      row.cpuSeconds += wall * job.requirements.cpu;
      // A job's cpu is known as one total: the window gets the share of it its part of the run had.
      const used = job.usage.cpuSeconds;
      if (used !== null && job.usage.wallSeconds > 0) row.cpuUsedSeconds += used * Math.min(1, wall / job.usage.wallSeconds);
      else if (used !== null) row.cpuUsedSeconds += used;
      row.ramMbSeconds += wall * job.requirements.ram;
      row.gpuSeconds += wall * job.requirements.gpus;
      rows.set(name, row);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Seconds the job ran inside [from, to] (ms); null for a job that never started in it. */
function wallInWindow(job: Job, from: number, to: number): number | null {
  if (job.status.startedAt === null) return null;
  const start = Math.max(from, Date.parse(job.status.startedAt));
  const end = Math.min(to, job.status.endedAt === null ? to : Date.parse(job.status.endedAt));
  return end < start ? null : (end - start) / 1000;
}
