/**
 * Machine-readable output for scripts: JSON (`--json`, `-o json`) and YAML (`-o yaml`).
 * The YAML writer is small on purpose: it only has to print API documents (objects,
 * arrays, strings, numbers, booleans, null), and any string it is unsure of is
 * written JSON-quoted, which YAML reads as a double-quoted scalar.
 */

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

const RESERVED = /^(?:true|false|yes|no|on|off|null|~|y|n|[-+]?(?:\d[\d_]*)?(?:\.\d*)?(?:e[-+]?\d+)?|[-+]?\.inf|\.nan)$/i;

function yamlString(s: string): string {
  const plain = /^[A-Za-z0-9_/.@][A-Za-z0-9_/.@ ()+=-]*$/.test(s) && !s.endsWith(' ') && !RESERVED.test(s);
  return plain ? s : JSON.stringify(s);
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return yamlString(v);
  return String(v);
}

function isComposite(v: unknown): v is object {
  return typeof v === 'object' && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function lines(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!isComposite(item))
        return [`${indent}- ${Array.isArray(item) ? '[]' : typeof item === 'object' && item ? '{}' : scalar(item)}`];
      const [first = '', ...rest] = lines(item, `${indent}  `);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => {
      const key = yamlString(k);
      if (isComposite(v)) return [`${indent}${key}:`, ...lines(v, `${indent}  `)];
      const empty = Array.isArray(v) ? '[]' : typeof v === 'object' && v !== null ? '{}' : scalar(v);
      return [`${indent}${key}: ${empty}`];
    });
  }
  return [`${indent}${scalar(value)}`];
}

export function toYaml(value: unknown): string {
  return `${lines(value, '').join('\n')}\n`;
}

/**
 * One CSV record as RFC 4180 writes it: a field is quoted when it holds a comma, a quote or
 * a line break (quotes doubled), and records end with CRLF. Eight lines are not worth a dependency.
 */
export function csvRecord(fields: readonly (string | number | null)[]): string {
  return `${fields
    .map((f) => {
      const s = f === null ? '' : String(f);
      return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    })
    .join(',')}\r\n`;
}
