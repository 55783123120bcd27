/** `godocker submit --begin`: the forms it reads, and the job it sends, shows and explains. */
import type { Explanation, Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBeginTime } from '../src/begin-time.js';
import { type CliHarness, startCliHarness } from './helpers/cli-harness.js';

/** Local time, in whatever zone the tests run. */
const local = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => new Date(y, mo - 1, d, h, mi, s);
/** 2026-03-15 10:30:00 local. */
const NOW = local(2026, 3, 15, 10, 30);

describe('parseBeginTime', () => {
  it.each([
    ['now', NOW],
    ['now+90', new Date(NOW.getTime() + 90_000)],
    ['now+10min', new Date(NOW.getTime() + 600_000)],
    ['NOW + 2hours', new Date(NOW.getTime() + 7_200_000)],
    ['now+1day', new Date(NOW.getTime() + 86_400_000)],
    ['now+1w', new Date(NOW.getTime() + 7 * 86_400_000)],
    ['14:00', local(2026, 3, 15, 14, 0)],
    ['10:30:00', local(2026, 3, 15, 10, 30)],
    // Passed today: tomorrow.
    ['9:15', local(2026, 3, 16, 9, 15)],
    ['noon', local(2026, 3, 15, 12, 0)],
    ['midnight', local(2026, 3, 16, 0, 0)],
    ['teatime', local(2026, 3, 15, 16, 0)],
    ['today', local(2026, 3, 15, 0, 0)],
    ['tomorrow', local(2026, 3, 16, 0, 0)],
    ['2026-11-29', local(2026, 11, 29, 0, 0)],
    ['2026-11-29T14:00', local(2026, 11, 29, 14, 0)],
    ['2026-11-29 14:00:30', local(2026, 11, 29, 14, 0, 30)],
    ['2026-11-29T14:00:00Z', new Date('2026-11-29T14:00:00Z')],
    ['2026-11-29T14:00+01:00', new Date('2026-11-29T13:00:00Z')],
    ['2026-11-29T14:00:00-05:30', new Date('2026-11-29T19:30:00Z')],
  ])('reads %j', (text, expected) => {
    expect(parseBeginTime(text, NOW)).toEqual(expected);
  });

  it.each([
    ['later', 'is not a time GoDocker knows'],
    ['now+5fortnights', 'has an unknown unit "fortnights"'],
    ['25:00', 'is not a time of day'],
    ['12:60', 'is not a time of day'],
    ['2026-02-30', 'is not a date and time that exists'],
    ['2026-11-29T24:00', 'is not a date and time that exists'],
    ['29/11/2026', 'is not a time GoDocker knows'],
  ])('refuses %j: %s, and lists the forms it takes', (text, why) => {
    expect(() => parseBeginTime(text, NOW)).toThrow(why);
    expect(() => parseBeginTime(text, NOW)).toThrow(/use an ISO time .* now\+10min, HH:MM\[:SS\], tomorrow/);
  });
});

describe('submit --begin', () => {
  let h: CliHarness;
  beforeAll(async () => {
    h = await startCliHarness('cli-begin');
  });
  afterAll(async () => h?.stop());

  it('sends the begin time; show and why tell the wait', async () => {
    const before = Date.now();
    const r = await h.cli(['submit', '--cmd', 'echo later', '--begin', 'now+1hour', '--json']);
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout) as Job;
    const begin = Date.parse(job.beginAt ?? '');
    expect(begin).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(begin).toBeLessThan(Date.now() + 3_600_000);

    const shown = await h.cli(['show', String(job.id)]);
    expect(shown.stdout).toMatch(new RegExp(`^Begin:\\s+${job.beginAt} \\(in (59m\\d+s|1h)\\)$`, 'm'));

    let why: Explanation | undefined;
    for (let i = 0; i < 50 && why?.code !== 'BeginTime'; i++) {
      why = JSON.parse((await h.cli(['why', String(job.id), '--json'])).stdout) as Explanation;
      if (why.code !== 'BeginTime') await new Promise((res) => setTimeout(res, 20));
    }
    expect(why?.code).toBe('BeginTime');
    const text = await h.cli(['why', String(job.id)]);
    expect(text.stdout).toMatch(
      new RegExp(`^job ${job.id} is pending: waits for its begin time \\S+ \\S+Z, in (59m\\d+s|1h) \\(BeginTime\\)$`, 'm'),
    );
    await h.cli(['kill', String(job.id)]);
  });

  it('runs a job once its begin time comes', async () => {
    const started = Date.now();
    const r = await h.cli(['submit', '--cmd', 'echo on time', '--begin', 'now+1', '--wait']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('on time\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('refuses a malformed --begin with a usage error naming the option', async () => {
    const r = await h.cli(['submit', '--cmd', 'true', '--begin', 'someday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--begin <time>.*"someday" is not a time GoDocker knows/);
  });
});
