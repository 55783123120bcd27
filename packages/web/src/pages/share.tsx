/**
 * Fair share: the tree the scheduler orders the queue by (`GET /share`, like Slurm's
 * sshare), and the cpu each project and user used over time.
 */
import type { ShareTreeView } from '@godocker/sdk/browser';
import { useEffect, useState } from 'preact/hooks';
import { ShareBars } from '../components/share-bars.js';
import { TimePlot } from '../components/time-plot.js';
import { messageOf } from '../format.js';
import { useSession } from '../session.js';
import { inReadableUnit, type UsageHistory, usageHistory } from '../usage-history.js';

const WINDOWS = {
  day: { label: 'last 24 hours, per hour', buckets: 24, seconds: 3600 },
  week: { label: 'last 7 days, per day', buckets: 7, seconds: 86400 },
} as const;

export function SharePage() {
  const { client } = useSession();
  const [tree, setTree] = useState<ShareTreeView | null>(null);
  const [span, setSpan] = useState<keyof typeof WINDOWS>('day');
  const [byProject, setByProject] = useState<UsageHistory | null>(null);
  const [byUser, setByUser] = useState<UsageHistory | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    client
      .share()
      .then(setTree)
      .catch((e: unknown) => setError(messageOf(e)));
  }, [client]);
  useEffect(() => {
    const w = WINDOWS[span];
    Promise.all([usageHistory(client, 'project', w.buckets, w.seconds), usageHistory(client, 'user', w.buckets, w.seconds)])
      .then(([p, u]) => {
        setByProject(p);
        setByUser(u);
      })
      .catch((e: unknown) => setError(messageOf(e)));
  }, [client, span]);

  return (
    <section aria-labelledby="share-title">
      <h1 id="share-title">Fair share and usage</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <section class="card" aria-labelledby="tree-title">
        <h2 id="tree-title">Fair-share tree</h2>
        <p class="muted">
          A factor near 1 means under its share (its jobs go first), near 0 over it. Usage decays with the configured half-life.
        </p>
        {tree && <ShareBars tree={tree} />}
        {tree && (
          <div class="table-wrap">
            <table class="responsive share">
              <thead>
                <tr>
                  <th scope="col">Project / user</th>
                  <th scope="col">Shares</th>
                  <th scope="col">Share of its level</th>
                  <th scope="col">Usage (effective)</th>
                  <th scope="col">Factor</th>
                </tr>
              </thead>
              <tbody>
                {tree.rows.map((r) => (
                  <tr key={`${r.project}/${r.user ?? ''}`} class={r.user ? 'child' : 'parent'}>
                    <th scope="row" data-label="Project / user">
                      {r.user ? <span class="indent">{r.user}</span> : r.project}
                    </th>
                    <td data-label="Shares">{r.rawShares}</td>
                    <td data-label="Share of its level">{(r.normShares * 100).toFixed(1)}%</td>
                    <td data-label="Usage (effective)">{(r.effectiveUsage * 100).toFixed(1)}%</td>
                    <td data-label="Factor">
                      <meter min={0} max={1} value={r.factor} aria-label={`factor of ${r.user ?? r.project}`} />{' '}
                      {r.factor.toFixed(3)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="usage-title">
        <div class="title-row">
          <h2 id="usage-title">CPU used over time</h2>
          <label>
            Window{' '}
            <select value={span} onChange={(e) => setSpan((e.currentTarget as HTMLSelectElement).value as keyof typeof WINDOWS)}>
              {Object.entries(WINDOWS).map(([k, w]) => (
                <option key={k} value={k}>
                  {w.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        {byProject && <UsagePlot title="Per project" history={byProject} />}
        {byUser && <UsagePlot title="Per user" history={byUser} />}
      </section>
    </section>
  );
}

function UsagePlot(props: { title: string; history: UsageHistory }) {
  const { unit, series } = inReadableUnit(props.history);
  return <TimePlot title={`${props.title} (${unit})`} unit={unit} times={props.history.times} series={series} />;
}
