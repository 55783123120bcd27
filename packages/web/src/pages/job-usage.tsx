/**
 * What the job used. Today the totals the daemon keeps (wall time, cpu time, peak memory);
 * the sampled time series of a running job (cpu, memory, io, network: issue 14, item 2) is
 * plotted here with TimePlot once the job document carries it.
 */
import type { Job } from '@godocker/sdk/browser';
import { formatDuration, formatMemory } from '../format.js';

export function JobUsage(props: { job: Job }) {
  const u = props.job.usage;
  const asked = props.job.requirements.ram;
  return (
    <section class="card" aria-labelledby="usage">
      <h2 id="usage">Usage</h2>
      <dl class="facts">
        <dt>Wall time</dt>
        <dd>{formatDuration(Math.round(wallSeconds(props.job)))}</dd>
        <dt>CPU time</dt>
        <dd>{u.cpuSeconds === null ? 'not measured' : formatDuration(Math.round(u.cpuSeconds))}</dd>
        <dt>Peak memory</dt>
        <dd>
          {u.maxMemoryMb === null ? 'not measured' : `${formatMemory(Math.round(u.maxMemoryMb))} of ${formatMemory(asked)} asked`}
        </dd>
      </dl>
    </section>
  );
}

/** The stored wall time once the job has ended; while it runs, the time since its start (as of this render). */
function wallSeconds(job: Job): number {
  const { startedAt, endedAt } = job.status;
  if (endedAt || !startedAt) return job.usage.wallSeconds;
  return Math.max(0, (Date.now() - Date.parse(startedAt)) / 1000);
}
