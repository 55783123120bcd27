/**
 * What the job used: the sampled totals (`GET /jobs/{id}/usage`), the efficiency hint
 * `godocker show` gives, and plots of cpu and memory over time. Read again every sampling
 * step while the job runs, once more when it ends (its final totals), then left alone. The
 * plots (uPlot) load only once there is something to plot: the job list stays small.
 */
import { efficiencyHints, formatBytePair, isTerminal, type Job, type JobUsage as Usage } from '@godocker/sdk/browser';
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { formatDuration, formatMemory, formatTime, messageOf } from '../format.js';
import { useSession } from '../session.js';

/** Never faster than this, whatever the daemon samples at. */
const MIN_POLL_SECONDS = 1;
/** After a failed read, while the job runs. */
const RETRY_SECONDS = 5;

export function JobUsage(props: { job: Job }) {
  const { client } = useSession();
  const { job } = props;
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const started = job.status.startedAt !== null;
  const ended = isTerminal(job.status.state);

  useEffect(() => {
    if (!started) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const again = (seconds: number) => {
      if (!ended && !stopped) timer = setTimeout(read, seconds * 1000);
    };
    const read = async () => {
      try {
        const u = await client.jobUsage(job.id);
        if (stopped) return;
        setUsage(u);
        setError(null);
        again(Math.max(MIN_POLL_SECONDS, u.stepSeconds));
      } catch (e) {
        if (stopped) return;
        setError(messageOf(e));
        again(RETRY_SECONDS);
      }
    };
    void read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, job.id, started, ended]);

  const t = usage?.totals;
  const cpuSeconds = t?.cpuSeconds ?? job.usage.cpuSeconds;
  const peakMb = t?.peakMemoryMb ?? job.usage.maxMemoryMb;
  const hints = efficiencyHints(job);
  return (
    <section class="card usage" aria-labelledby="usage">
      <h2 id="usage">Usage</h2>
      <dl class="facts">
        <dt>Wall time</dt>
        <dd>{formatDuration(Math.round(wallSeconds(job)))}</dd>
        <dt>CPU time</dt>
        <dd data-testid="usage-cpu">
          {cpuSeconds === null ? 'not measured' : `${formatDuration(cpuSeconds)} (${cpuSeconds.toFixed(1)} s)`}
        </dd>
        <dt>Memory now</dt>
        <dd>{ended || !t || t.memoryMb === null ? '—' : mib(t.memoryMb)}</dd>
        <dt>Peak memory</dt>
        <dd data-testid="usage-peak">
          {peakMb === null ? 'not measured' : `${mib(peakMb)} of ${formatMemory(job.requirements.ram)} asked`}
        </dd>
        <dt>Block io</dt>
        <dd>{t ? formatBytePair(t.samples, ['read', t.readBytes], ['written', t.writeBytes]) : '—'}</dd>
        <dt>Network</dt>
        <dd>{t ? formatBytePair(t.samples, ['received', t.rxBytes], ['sent', t.txBytes]) : '—'}</dd>
        <dt>Readings</dt>
        <dd data-testid="usage-readings">
          {!t || t.samples === 0 ? (started ? 'none yet' : '—') : `${t.samples}, last ${formatTime(t.sampledAt)}`}
        </dd>
      </dl>
      {hints.length > 0 && (
        <ul class="hints" data-testid="usage-hints">
          {hints.map((h) => (
            <li key={h}>Efficiency: {h}</li>
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {usage && usage.series.length > 0 && <LazyPlots usage={usage} />}
    </section>
  );
}

function mib(n: number): string {
  return formatMemory(Math.ceil(n));
}

type PlotsComponent = FunctionComponent<{ usage: Usage }>;

function LazyPlots(props: { usage: Usage }) {
  const [Plots, setPlots] = useState<PlotsComponent | null>(null);
  useEffect(() => {
    void import('./job-usage-plots.js').then((m) => setPlots(() => m.JobUsagePlots));
  }, []);
  return Plots ? <Plots usage={props.usage} /> : <p role="status">Loading the plots…</p>;
}

/** The stored wall time once the job has ended; while it runs, the time since its start (as of this render). */
function wallSeconds(job: Job): number {
  const { startedAt, endedAt } = job.status;
  if (endedAt || !startedAt) return job.usage.wallSeconds;
  return Math.max(0, (Date.now() - Date.parse(startedAt)) / 1000);
}
