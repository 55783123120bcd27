/**
 * Times as `sacct` takes them: an ISO 8601 timestamp, `now`, or `now-1d` / `now+2h`
 * (units s, m, h, d, w); and the elapsed time Slurm prints (`00:00:03`, `1-02:03:04`).
 * No TypeBox here: the `godocker` command parses with the same rules as the daemon.
 */
import { ValidationError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const RELATIVE = /^now(?:([+-])(\d{1,9})([smhdw]))?$/i;
const SPAN = /^(\d{1,9})([smhdw])$/i;
// A date alone is midnight UTC; a time needs its zone, since the daemon's zone may not be the asker's.
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/i;

/**
 * `text` as an ISO timestamp (toISOString's shape). `field` names the input in the error.
 *
 * ```ts
 * parseTimeSpec('now-1d', 'starttime', new Date()); // a day ago
 * ```
 */
export function parseTimeSpec(text: string, field: string, now: Date): string {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (rel) {
    const [, sign, amount, unit] = rel;
    const delta = sign ? Number(amount) * (UNIT_SECONDS[(unit as string).toLowerCase()] as number) * 1000 : 0;
    return new Date(now.getTime() + (sign === '-' ? -delta : delta)).toISOString();
  }
  const ms = ISO.test(t) ? Date.parse(t) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ValidationError(
      `${field} "${text}" is not a time: write an ISO 8601 date or time with a zone (2026-03-01, 2026-03-01T14:00:00Z) or one relative to now (now, now-1d, now-12h)`,
      field,
    );
  }
  return new Date(ms).toISOString();
}

/** A window's start: `30d` (back from now, as `usage --since`) or anything parseTimeSpec takes. */
export function parseSince(text: string, field: string, now: Date): string {
  const span = SPAN.exec(text.trim());
  if (!span) return parseTimeSpec(text, field, now);
  const seconds = Number(span[1]) * (UNIT_SECONDS[(span[2] as string).toLowerCase()] as number);
  return new Date(now.getTime() - seconds * 1000).toISOString();
}

/** Slurm's elapsed time: `HH:MM:SS`, with `D-` in front past a day. */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const days = Math.floor(s / 86_400);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor((s % 86_400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return days > 0 ? `${days}-${hms}` : hms;
}
