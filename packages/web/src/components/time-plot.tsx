/**
 * A time series plot (uPlot: small, canvas, no dependencies), with the same numbers in a
 * table beside it for a screen reader and for copying.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  /** null: not known at that time (a gap in the line, a dash in the table). */
  values: ReadonlyArray<number | null>;
}

// Distinguishable on light and dark backgrounds alike.
const PALETTE = ['#2f7ed8', '#d9480f', '#2b8a3e', '#9c36b5', '#c92a2a', '#e67700', '#0b7285', '#5c7cfa'];

export function TimePlot(props: { title: string; unit: string; times: number[]; series: Series[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || props.series.length === 0) return;
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        series: [
          {},
          ...props.series.map((s, i) => ({
            label: s.label,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            points: { show: false },
          })),
        ],
        axes: [
          { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
          {
            stroke: 'currentColor',
            grid: { stroke: 'rgba(128,128,128,0.2)' },
            label: props.unit,
            values: (_u: uPlot, ticks: number[]) => ticks.map((v) => String(Number(v.toPrecision(3)))),
          },
        ],
      },
      [props.times, ...props.series.map((s) => [...s.values])],
      el,
    );
    const resize = () => plot.setSize({ width: width(), height: 240 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [props.times, props.series, props.unit]);
  return (
    <figure class="plot">
      <figcaption>{props.title}</figcaption>
      {props.series.length === 0 ? <p class="muted">Nothing used in this window.</p> : <div ref={box} aria-hidden="true" />}
      {props.series.length > 0 && (
        <details>
          <summary>The numbers</summary>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Until</th>
                  {props.series.map((s) => (
                    <th scope="col" key={s.label}>
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {props.times.map((t, i) => (
                  <tr key={t}>
                    <th scope="row">{new Date(t * 1000).toLocaleString()}</th>
                    {props.series.map((s) => (
                      <td key={s.label}>{s.values[i]?.toFixed(3) ?? '—'}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </figure>
  );
}
