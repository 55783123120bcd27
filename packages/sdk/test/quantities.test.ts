import { parseArraySpec, parseDependencies, parseDuration, parseMemory, ValidationError } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';

describe('parseMemory', () => {
  it.each([
    ['512', 512],
    ['512M', 512],
    ['4G', 4096],
    ['4GiB', 4096],
    ['1.5g', 1536],
    ['1T', 1048576],
    ['2048k', 2],
  ])('%s is %i MiB', (text, mib) => expect(parseMemory(text)).toBe(mib));
  it.each(['', 'lots', '-1G', '4X', '0'])('refuses %j naming the field', (text) => {
    expect(() => parseMemory(text)).toThrowError(ValidationError);
    try {
      parseMemory(text);
    } catch (e) {
      expect((e as ValidationError).field).toBe('requirements.ram');
    }
  });
});

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    ['30s', 30],
    ['10m', 600],
    ['1h30m', 5400],
    ['2d', 172800],
    ['01:30', 90],
    ['1:00:00', 3600],
    ['2-00:00:10', 172810],
  ])('%s is %i s', (text, s) => expect(parseDuration(text)).toBe(s));
  it.each(['', '0', 'soon', '1:75', '1h-2m'])('refuses %j', (text) =>
    expect(() => parseDuration(text)).toThrowError(ValidationError),
  );
});

describe('parseArraySpec', () => {
  it('reads Slurm ranges with step and throttle', () => {
    expect(parseArraySpec('0-99:2%10', 1000)).toEqual({ start: 0, end: 99, step: 2, throttle: 10, count: 50 });
    expect(parseArraySpec('1:10:3', 1000)).toEqual({ start: 1, end: 10, step: 3, throttle: null, count: 4 });
    expect(parseArraySpec('5-5', 1000).count).toBe(1);
  });
  it.each(['10-1', '1-10:0', 'a-b', '1-10%0', '-1-5', '1-'])('refuses %j', (text) =>
    expect(() => parseArraySpec(text, 1000)).toThrowError(/invalid array/),
  );
  it('refuses arrays over the maximum size', () =>
    expect(() => parseArraySpec('1-1001', 1000)).toThrowError(/maximum array size of 1000/));
});

describe('parseDependencies', () => {
  it('reads Slurm dependency lists (AND of conditions, several ids per condition)', () => {
    expect(parseDependencies('afterok:42,afterany:43:44')).toEqual([
      { type: 'afterok', jobId: 42 },
      { type: 'afterany', jobId: 43 },
      { type: 'afterany', jobId: 44 },
    ]);
  });
  it.each(['before:1', 'afterok', 'afterok:', 'afterok:0', 'afterok:x'])('refuses %j', (text) =>
    expect(() => parseDependencies(text)).toThrowError(ValidationError),
  );
});
