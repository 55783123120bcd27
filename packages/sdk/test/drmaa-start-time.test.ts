/**
 * DRMAA 1.0 start times, `[[[[CC]YY/]MM/]DD] hh:mm[:ss] [{-|+}UU:uu]`, read
 * against a given clock: every shape, the parts left to the present (rolling to
 * the next day, month, year or century once passed, as the standard says), the
 * zone, and the malformed ones refused with the field and the form.
 */
import { describe, expect, it } from 'vitest';
import { drmaa1, drmaa2, parseDrmaaStartTime, ValidationError } from '../src/index.js';

/** Local time: the zone the tests run in, whatever it is. */
const local = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => new Date(y, mo - 1, d, h, mi, s);
/** 2026-03-15 10:30:00 local. */
const NOW = local(2026, 3, 15, 10, 30);
const utc = (iso: string) => new Date(iso);

describe('parseDrmaaStartTime', () => {
  it.each([
    ['12:00', local(2026, 3, 15, 12, 0)],
    ['12:00:30', local(2026, 3, 15, 12, 0, 30)],
    ['10:30', local(2026, 3, 15, 10, 30)],
    // Passed today: tomorrow, as DRMAA 1.0 and Grid Engine say.
    ['09:00', local(2026, 3, 16, 9, 0)],
    ['20 08:00', local(2026, 3, 20, 8, 0)],
    ['15 11:00:05', local(2026, 3, 15, 11, 0, 5)],
    // The 10th has passed this month: next month.
    ['10 08:00', local(2026, 4, 10, 8, 0)],
    ['04/01 00:00', local(2026, 4, 1, 0, 0)],
    ['01/01 00:00', local(2027, 1, 1, 0, 0)],
    ['27/02/28 23:59:59', local(2027, 2, 28, 23, 59, 59)],
    ['2026/12/24 18:00', local(2026, 12, 24, 18, 0)],
    // Given in full and passed: the job may start at once.
    ['2025/01/01 00:00', local(2025, 1, 1, 0, 0)],
    ['  2026/12/24   18:00  ', local(2026, 12, 24, 18, 0)],
  ])('reads %j in the local zone', (text, expected) => {
    expect(parseDrmaaStartTime(text, NOW)).toEqual(expected);
  });

  it.each([
    ['2026/11/29 14:00 +01:00', '2026-11-29T13:00:00.000Z'],
    ['2026/11/29 14:00:00 -05:30', '2026-11-29T19:30:00.000Z'],
    ['2026/11/29 14:00+00:00', '2026-11-29T14:00:00.000Z'],
  ])('reads %j with its UTC offset', (text, iso) => {
    expect(parseDrmaaStartTime(text, NOW)).toEqual(utc(iso));
  });

  it("takes the date left out from the offset's own clock", () => {
    // 23:30 UTC on the 15th is already the 16th at +02:00.
    const now = utc('2026-03-15T23:30:00Z');
    expect(parseDrmaaStartTime('09:00 +02:00', now)).toEqual(utc('2026-03-16T07:00:00Z'));
    expect(parseDrmaaStartTime('01:00 +02:00', now)).toEqual(utc('2026-03-16T23:00:00Z'));
    expect(parseDrmaaStartTime('23:45 +00:00', now)).toEqual(utc('2026-03-15T23:45:00Z'));
  });

  it('skips months and years that lack the day asked for', () => {
    const jan31 = local(2026, 1, 31, 12, 0);
    expect(parseDrmaaStartTime('30 08:00', jan31)).toEqual(local(2026, 3, 30, 8, 0));
    expect(parseDrmaaStartTime('02/29 08:00', NOW)).toEqual(local(2028, 2, 29, 8, 0));
    // YY without CC: this century, or the next once passed.
    expect(parseDrmaaStartTime('25/06/01 08:00', NOW)).toEqual(local(2125, 6, 1, 8, 0));
  });

  it('rolls a leap second into the next minute', () => {
    expect(parseDrmaaStartTime('2026/06/30 23:59:60 +00:00', NOW)).toEqual(utc('2026-07-01T00:00:00Z'));
  });

  it.each([
    ['', 'is not a DRMAA start time'],
    ['noon', 'is not a DRMAA start time'],
    ['2026-11-29T14:00:00Z', 'is not a DRMAA start time'],
    ['9:00', 'is not a DRMAA start time'],
    ['14:00:00:00', 'is not a DRMAA start time'],
    ['2026/11/2914:00', 'is not a DRMAA start time'],
    ['14:00 +1:00', 'is not a DRMAA start time'],
    ['24:00', 'has an hour above 23'],
    ['12:60', 'has a minute above 59'],
    ['12:00:62', 'has a second above 61'],
    ['13/01 12:00', 'has a month outside 01-12'],
    ['00 12:00', 'has a day outside 01-31'],
    ['32 12:00', 'has a day outside 01-31'],
    ['12:00 +24:00', 'has a UTC offset outside'],
    ['2026/02/29 12:00', 'names a day that does not exist (2026 has no 02/29)'],
    ['04/31 12:00', 'names a day that does not exist'],
  ])('refuses %j: %s', (text, why) => {
    let err: unknown;
    try {
      parseDrmaaStartTime(text, NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.field).toBe('startTime');
    expect(v.message).toContain(why);
    expect(v.message).toContain('[[[[CC]YY/]MM/]DD] hh:mm[:ss] [{-|+}UU:uu]');
  });

  it('names the field it is told to', () => {
    expect(() => parseDrmaaStartTime('later', NOW, 'drmaa_start_time')).toThrow(
      expect.objectContaining({ field: 'drmaa_start_time', message: expect.stringMatching(/^drmaa_start_time "later"/) }),
    );
  });
});

describe('start time in job templates', () => {
  it('DRMAA1 startTime becomes the begin time of the submission', async () => {
    const t2 = drmaa1.toDrmaa2Template({ remoteCommand: '/bin/true', startTime: '2030/01/02 03:04:05 +00:00' });
    expect(t2.startTime).toEqual(utc('2030-01-02T03:04:05Z'));
    const sub = await drmaa2.templateToSubmission(t2);
    expect(sub.beginAt).toBe('2030-01-02T03:04:05.000Z');
  });

  it('DRMAA1 refuses a malformed startTime, naming it', () => {
    expect(() => drmaa1.toDrmaa2Template({ remoteCommand: '/bin/true', startTime: 'tomorrow' })).toThrow(
      expect.objectContaining({ field: 'startTime', message: expect.stringContaining('hh:mm[:ss]') }),
    );
  });

  it('DRMAA2 startTime takes a Date or an ISO string with a zone', async () => {
    const fromDate = await drmaa2.templateToSubmission({ remoteCommand: '/bin/true', startTime: utc('2030-01-02T03:04:05Z') });
    expect(fromDate.beginAt).toBe('2030-01-02T03:04:05.000Z');
    const fromIso = await drmaa2.templateToSubmission({ remoteCommand: '/bin/true', startTime: '2030-01-02T04:04:05+01:00' });
    expect(fromIso.beginAt).toBe('2030-01-02T03:04:05.000Z');
    const none = await drmaa2.templateToSubmission({ remoteCommand: '/bin/true' });
    expect(none.beginAt).toBeUndefined();
  });

  it.each(['2030-01-02T03:04:05', 'soon'])('DRMAA2 refuses startTime %j: a time without a zone is ambiguous', async (text) => {
    await expect(drmaa2.templateToSubmission({ remoteCommand: '/bin/true', startTime: text })).rejects.toThrow(
      expect.objectContaining({ field: 'startTime', message: expect.stringContaining('ISO 8601 string with a zone') }),
    );
  });
});
