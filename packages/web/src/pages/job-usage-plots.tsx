/**
 * A job's sampled cpu (cores busy on average over each point: its cpu seconds over its
 * seconds) and memory (held at the point's last reading, and the most held in it), loaded
 * with uPlot only when a job page has a series to show.
 */
import type { JobUsage, UsagePoint } from '@godocker/sdk/browser';
import { useMemo } from 'preact/hooks';
import { type Series, TimePlot } from '../components/time-plot.js';

function cores(p: UsagePoint): number | null {
  return p.cpuSeconds === null || p.seconds <= 0 ? null : p.cpuSeconds / p.seconds;
}

/** Series the executor does not count at all (every point null) are left out, not drawn as zero. */
function known(series: Series[]): Series[] {
  return series.filter((s) => s.values.some((v) => v !== null));
}

export function JobUsagePlots(props: { usage: JobUsage }) {
  const { series } = props.usage;
  const times = useMemo(() => series.map((p) => Date.parse(p.at) / 1000), [series]);
  const cpu = useMemo(() => known([{ label: 'cores', values: series.map(cores) }]), [series]);
  const memory = useMemo(
    () =>
      known([
        { label: 'now', values: series.map((p) => p.memoryMb) },
        { label: 'peak', values: series.map((p) => p.peakMemoryMb) },
      ]),
    [series],
  );
  return (
    <div class="usage-plots">
      <div data-testid="usage-cpu-plot">
        <TimePlot title="CPU (cores used)" unit="cores" times={times} series={cpu} />
      </div>
      <div data-testid="usage-memory-plot">
        <TimePlot title="Memory (MiB)" unit="MiB" times={times} series={memory} />
      </div>
    </div>
  );
}
