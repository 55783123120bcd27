/** The Grafana dashboard of examples/, and what its queries name, for the tests that check it against the daemon. */
import { fileURLToPath } from 'node:url';

export const GRAFANA_DASHBOARD = fileURLToPath(new URL('../../../../examples/grafana/godocker-dashboard.json', import.meta.url));

interface Panel {
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every PromQL expression of every panel (rows' panels too). */
export function dashboardExprs(dashboard: unknown): string[] {
  const out: string[] = [];
  const walk = (panels: Panel[] | undefined) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push(t.expr);
      walk(p.panels);
    }
  };
  walk((dashboard as { panels?: Panel[] }).panels);
  return out;
}

/** The series selectors of the variables' queries: METRIC of `label_values(METRIC, label)`. */
export function variableSelectors(dashboard: unknown): string[] {
  const list = (dashboard as { templating?: { list?: Array<{ type: string; query?: string | { query?: string } }> } }).templating
    ?.list;
  return (list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? '')))
    .map((q) => /^label_values\((.+),\s*[a-zA-Z_]\w*\)$/.exec(q.trim())?.[1] ?? q);
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers, ranges,
 * groupings, functions and keywords are taken out. A name misspelt or renamed is left in, and
 * the test finds it missing from the daemon's exposition.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    const [whole, name] = [m[0], m[0].replace(/\s*\($/, '')];
    if (whole.endsWith('(') || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}
