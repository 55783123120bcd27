/**
 * DRMAA 1.0's start time (`drmaa_start_time`, the DRMAA1 template's `startTime`):
 * `[[[[CC]YY/]MM/]DD] hh:mm[:ss] [{-|+}UU:uu]`, two digits a field.
 *
 * ```ts
 * parseDrmaaStartTime('14:30');                  // today at 14:30 local time, or tomorrow if that has passed
 * parseDrmaaStartTime('2026/11/29 14:00 +01:00'); // 2026-11-29T13:00:00.000Z
 * ```
 *
 * As the standard says (and Grid Engine does): without a zone the time is
 * local; the parts of the date left out are those of the present, except that
 * when the time so named has already passed, the next day (month, year,
 * century) is taken: `09:00` at 10:00 means 09:00 tomorrow, `05 09:00` after
 * the 5th means the 5th of next month. A time given in full that has passed
 * means at once. A day that does not exist (02/30) is refused when the month
 * is given; left to the present, the next month or year that has it is taken.
 */
import { ValidationError } from './errors.js';

export const DRMAA_START_TIME_FORM = '[[[[CC]YY/]MM/]DD] hh:mm[:ss] [{-|+}UU:uu]';

const FORM =
  /^\s*(?:(?:(?:(\d{2})?(\d{2})\/)?(\d{2})\/)?(\d{2})\s+)?(\d{2}):(\d{2})(?::(\d{2}))?(?:\s*([+-])(\d{2}):(\d{2}))?\s*$/;

/** A wall clock: the one of the local zone, or a fixed offset from UTC. */
interface Zone {
  /** Year, month (1-12) and day of `ms` on this clock. */
  date(ms: number): { year: number; month: number; day: number };
  /** ms since the epoch of a time on this clock; a day past the month's end rolls over. */
  millis(year: number, month: number, day: number, hour: number, minute: number, second: number): number;
}

const LOCAL: Zone = {
  date(ms) {
    const d = new Date(ms);
    return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate() };
  },
  millis(year, month, day, hour, minute, second) {
    // setFullYear, not the constructor, which reads years 0-99 as 1900-1999.
    const d = new Date(0);
    d.setFullYear(year, month - 1, day);
    d.setHours(hour, minute, second, 0);
    return d.getTime();
  },
};

function fixedOffset(minutes: number): Zone {
  const shift = minutes * 60_000;
  return {
    date(ms) {
      const d = new Date(ms + shift);
      return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    },
    millis(year, month, day, hour, minute, second) {
      const d = new Date(0);
      d.setUTCFullYear(year, month - 1, day);
      d.setUTCHours(hour, minute, second, 0);
      return d.getTime() - shift;
    },
  };
}

function daysIn(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

/** Two-digit field, or undefined when left out. */
function num(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number(s);
}

/**
 * The moment a DRMAA 1.0 start time names, read against `now`. Throws a
 * ValidationError naming `field` and the expected form when the text is not one.
 */
export function parseDrmaaStartTime(text: string, now: Date = new Date(), field = 'startTime'): Date {
  const bad = (why: string) =>
    new ValidationError(
      `${field} "${text}" ${why}: use ${DRMAA_START_TIME_FORM}, e.g. "14:30", "29 14:30:00" or "2026/11/29 14:30 +01:00"`,
      field,
    );
  const m = FORM.exec(text);
  if (!m) throw bad('is not a DRMAA start time');
  const sign = m[8];
  const [cc, yy, mo, dd, hh, mi, ss, , zh, zm] = m.slice(1).map(num);
  const hour = hh as number;
  const minute = mi as number;
  const second = ss ?? 0;
  if (hour > 23) throw bad('has an hour above 23');
  if (minute > 59) throw bad('has a minute above 59');
  // 60 and 61 are the standard's leap seconds; they roll over into the next minute.
  if (second > 61) throw bad('has a second above 61');
  if (mo !== undefined && (mo < 1 || mo > 12)) throw bad('has a month outside 01-12');
  if (dd !== undefined && (dd < 1 || dd > 31)) throw bad('has a day outside 01-31');
  let zone = LOCAL;
  if (sign !== undefined) {
    if ((zh as number) > 23 || (zm as number) > 59) throw bad('has a UTC offset outside 00:00-23:59');
    const minutes = (zh as number) * 60 + (zm as number);
    zone = fixedOffset(sign === '+' ? minutes : -minutes);
  }
  const nowMs = now.getTime();
  const today = zone.date(nowMs);
  const at = (year: number, month: number, day: number) => zone.millis(year, month, day, hour, minute, second);
  const exists = (year: number, month: number, day: number) => day <= daysIn(year, month);

  if (dd === undefined) {
    const t = at(today.year, today.month, today.day);
    return new Date(t >= nowMs ? t : at(today.year, today.month, today.day + 1));
  }
  if (mo === undefined) {
    // A 31st may be two months off; a day that exists in no month was refused above.
    for (let k = 0; k <= 12; k++) {
      const month0 = today.month - 1 + k;
      const year = today.year + Math.floor(month0 / 12);
      const month = (month0 % 12) + 1;
      if (!exists(year, month, dd)) continue;
      const t = at(year, month, dd);
      if (t >= nowMs) return new Date(t);
    }
    throw bad('names a day that never comes');
  }
  if (yy === undefined) {
    // February 29th may be eight years off (2096 to 2104).
    for (let year = today.year; year <= today.year + 8; year++) {
      if (!exists(year, mo, dd)) continue;
      const t = at(year, mo, dd);
      if (t >= nowMs) return new Date(t);
    }
    throw bad('names a day that does not exist');
  }
  if (cc === undefined) {
    const century = Math.floor(today.year / 100) * 100;
    for (const year of [century + yy, century + 100 + yy]) {
      if (!exists(year, mo, dd)) continue;
      const t = at(year, mo, dd);
      if (t >= nowMs) return new Date(t);
    }
    throw bad('names a day that does not exist');
  }
  const year = cc * 100 + yy;
  if (!exists(year, mo, dd)) throw bad(`names a day that does not exist (${year} has no ${String(mo).padStart(2, '0')}/${dd})`);
  return new Date(at(year, mo, dd));
}
