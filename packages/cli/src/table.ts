/**
 * Plain-text tables in the kubectl way: an upper-case header, columns padded to
 * their widest cell, two spaces between, no borders, so `awk '{print $1}'` works.
 */

/** Shortens text to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, Math.max(0, max - 1))}…`;
}

/** Renders rows under headers; an empty cell is shown as `-` so columns never collapse. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: { header?: boolean } = {},
): string {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] === undefined || r[i] === '' ? '-' : (r[i] as string))));
  const all = options.header === false ? cells : [headers.map((h) => h.toUpperCase()), ...cells];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] as string).length)));
  const last = headers.length - 1;
  return all
    .map((r) =>
      r
        .map((c, i) => (i === last ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
