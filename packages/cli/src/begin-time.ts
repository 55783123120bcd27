/**
 * `godocker submit --begin TIME`, in the forms Slurm's `--begin` takes:
 *
 * | form | means |
 * |---|---|
 * | `2026-11-29T14:00[:SS]`, `2026-11-29` | that time (midnight for a date), local unless it ends in `Z` or `+01:00` |
 * | `now`, `now+90`, `now+10min`, `now+2hours`, `now+1day` | from now; a bare number is seconds |
 * | `14:00[:SS]` | today, or tomorrow if it has passed |
 * | `midnight`, `noon`, `teatime` | the next 00:00, 12:00, 16:00 |
 * | `today`, `tomorrow` | midnight starting that day |
 *
 * The clock is a parameter, so a test says what "now" is.
 */

const UNITS: ReadonlyArray<[RegExp, number]> = [
  [/^(s|sec|secs|second|seconds)?$/, 1],
  [/^(m|min|mins|minute|minutes)$/, 60],
  [/^(h|hr|hrs|hour|hours)$/, 3600],
  [/^(d|day|days)$/, 86400],
  [/^(w|week|weeks)$/, 7 * 86400],
];

const NAMED_HOURS: Readonly<Record<string, number>> = { midnight: 0, noon: 12, teatime: 16 };

export const BEGIN_FORMS = 'an ISO time (2026-11-29T14:00, with Z or +01:00 for a zone), now+10min, HH:MM[:SS], tomorrow';

/** Local midnight of `now`'s day plus `days`, at hh:mm:ss. */
function localAt(now: Date, days: number, h: number, m: number, s: number): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, h, m, s, 0);
}

/** The next hh:mm:ss local: today if it is still ahead, else tomorrow. */
function nextAt(now: Date, h: number, m: number, s: number): Date {
  const today = localAt(now, 0, h, m, s);
  return today.getTime() >= now.getTime() ? today : localAt(now, 1, h, m, s);
}

/** The moment TIME names; throws an Error whose message says what was wrong and which forms are taken. */
export function parseBeginTime(text: string, now: Date): Date {
  const t = text.trim().toLowerCase();
  const bad = (why: string) => new Error(`"${text}" ${why}: use ${BEGIN_FORMS}`);

  const rel = /^now(?:\s*\+\s*(\d+)\s*([a-z]*))?$/.exec(t);
  if (rel) {
    if (rel[1] === undefined) return now;
    const unit = UNITS.find(([re]) => re.test(rel[2] ?? ''));
    if (!unit) throw bad(`has an unknown unit "${rel[2]}" (seconds, minutes, hours, days, weeks)`);
    return new Date(now.getTime() + Number(rel[1]) * unit[1] * 1000);
  }
  if (t === 'today') return localAt(now, 0, 0, 0, 0);
  if (t === 'tomorrow') return localAt(now, 1, 0, 0, 0);
  const named = NAMED_HOURS[t];
  if (named !== undefined) return nextAt(now, named, 0, 0);

  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (clock) {
    const [h, m, s] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (h > 23 || m > 59 || s > 59) throw bad('is not a time of day');
    return nextAt(now, h, m, s);
  }

  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[t\s]+(\d{2}):(\d{2})(?::(\d{2}))?\s*(z|([+-])(\d{2}):(\d{2}))?)?$/.exec(t);
  if (iso) {
    const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, , , zh = 0, zm = 0] = iso.slice(1).map((x) => Number(x ?? 0));
    const local = new Date(y, mo - 1, d, h, mi, s);
    // The fields must survive the round trip: 2026-02-30 or 25:00 would silently roll over.
    if (local.getMonth() !== mo - 1 || local.getDate() !== d || h > 23 || mi > 59 || s > 59 || zh > 23 || zm > 59) {
      throw bad('is not a date and time that exists');
    }
    if (iso[7] === undefined) return local;
    const offsetMinutes = (iso[8] === '-' ? -1 : 1) * (zh * 60 + zm);
    return new Date(Date.UTC(y, mo - 1, d, h, mi, s) - offsetMinutes * 60_000);
  }
  throw bad('is not a time GoDocker knows');
}
