/**
 * The fair-share tree as a bar chart: for each project, and each user under it, the share of
 * its level it is owed against the share of its level's usage it had (decayed). A bar of usage
 * longer than the share's is a project or user over its share: its jobs wait behind the others'.
 */
import type { ShareTreeView } from '@godocker/sdk/browser';

function percent(fraction: number): string {
  return `${(Math.max(0, fraction) * 100).toFixed(1)}%`;
}

export function ShareBars(props: { tree: ShareTreeView }) {
  const rows = props.tree.rows;
  // Both are fractions of a level (at most 1), but decayed usage from a tree that changed may pass it.
  const scale = Math.max(1, ...rows.map((r) => Math.max(r.normShares, r.effectiveUsage)));
  const width = (fraction: number) => `${((Math.max(0, fraction) / scale) * 100).toFixed(2)}%`;
  return (
    <figure class="share-plot" aria-labelledby="share-plot-caption">
      <figcaption id="share-plot-caption">
        Share owed against usage had, each as a part of its level (a project among projects, a user within its project)
      </figcaption>
      <p class="legend" aria-hidden="true">
        <span class="key owed" /> share owed <span class="key used" /> usage had
      </p>
      <ul class="share-bars">
        {rows.map((r) => {
          const name = r.user ?? r.project;
          return (
            <li
              key={`${r.project}/${r.user ?? ''}`}
              data-row={`${r.project}/${r.user ?? ''}`}
              class={r.user ? 'child' : 'parent'}
            >
              <span class="bar-label">{name}</span>
              <span class="bars">
                <span class="bar owed" style={{ width: width(r.normShares) }} data-fraction={r.normShares} />
                <span class="bar-value">owed {percent(r.normShares)}</span>
                <span class="bar used" style={{ width: width(r.effectiveUsage) }} data-fraction={r.effectiveUsage} />
                <span class="bar-value">had {percent(r.effectiveUsage)}</span>
              </span>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}
