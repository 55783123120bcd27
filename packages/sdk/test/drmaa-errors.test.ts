/** The DRMAA names of every error code, in code and in the SDK's README, agree. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DRMAA_ERROR_TABLE, DRMAA1_ERRNO, drmaaNames, type ErrorCode, ErrorCodes, GodockerError } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/built.js';

describe('DRMAA error names', () => {
  it('name every GoDocker error code', () => {
    for (const code of Object.values(ErrorCodes)) expect(DRMAA_ERROR_TABLE[code], code).toBeDefined();
    expect(drmaaNames(new Error('x'))).toEqual({ drmaa1: 'INTERNAL_ERROR', errno: 1, drmaa2: 'InternalException' });
  });

  it('number DRMAA1 errors as drmaa.h of the 1.0 C binding does', () => {
    const order = Object.entries(DRMAA1_ERRNO).sort((a, b) => a[1] - b[1]);
    expect(order.map(([, n]) => n)).toEqual([...Array(26).keys()]);
    expect(DRMAA1_ERRNO.INVALID_JOB).toBe(18);
    expect(DRMAA1_ERRNO.EXIT_TIMEOUT).toBe(23);
  });

  it('are the table of the README, row for row', () => {
    const readme = readFileSync(join(REPO, 'packages', 'sdk', 'README.md'), 'utf8');
    const rows = readme
      .split('\n')
      .filter((l) => l.startsWith('| `GOD_'))
      .map((l) => l.split('|').map((c) => c.trim().replaceAll('`', '')));
    expect(rows.map((r) => r[1]).sort()).toEqual(Object.values(ErrorCodes).sort());
    for (const [, code, status, , drmaa1, errno, drmaa2] of rows) {
      const names = drmaaNames(new GodockerError(code as ErrorCode, 'x'));
      expect([code, drmaa1, Number(errno), drmaa2]).toEqual([code, names.drmaa1, names.errno, names.drmaa2]);
      if (status !== '(SDK)') expect([code, Number(status)]).toEqual([code, new GodockerError(code as ErrorCode, 'x').status]);
    }
  });
});
