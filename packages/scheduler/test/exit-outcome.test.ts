/** How a task's end becomes a final state, a sentence, and the one word /metrics counts it by. */
import type { ExitInfo, Job } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { exitOutcome, timeLimitKillReason, userKillReason } from '../src/runtime/exit-outcome.js';
import { makeJob } from './fixtures/jobs.js';

const job: Job = { id: 1, ...makeJob() };
const exited = (exitCode: number, more: Partial<ExitInfo> = {}): ExitInfo => ({
  exitCode,
  signal: null,
  oomKilled: false,
  startedAt: null,
  endedAt: null,
  error: null,
  cpuSeconds: null,
  maxMemoryMb: null,
  ...more,
});

describe('exitOutcome', () => {
  it.each<[string, ExitInfo, string | undefined, { state: string; result: string; reason: RegExp }]>([
    ['exit 0', exited(0), undefined, { state: 'done', result: 'done', reason: /exited with code 0/ }],
    ['exit 3', exited(3), undefined, { state: 'failed', result: 'failed', reason: /exited with code 3/ }],
    [
      'a signal nobody here sent',
      exited(137, { signal: 'SIGKILL' }),
      undefined,
      { state: 'failed', result: 'failed', reason: /SIGKILL/ },
    ],
    [
      'a user kill',
      exited(143, { signal: 'SIGTERM' }),
      userKillReason('alice'),
      { state: 'failed', result: 'killed', reason: /killed by alice/ },
    ],
    [
      'the time limit',
      exited(137),
      timeLimitKillReason('2s'),
      { state: 'failed', result: 'timeout', reason: /time limit of 2s exceeded/ },
    ],
    [
      'a task that vanished',
      exited(-1),
      'node n1 lost, after 1 requeue',
      { state: 'failed', result: 'lost', reason: /node n1 lost/ },
    ],
    [
      'an OOM kill',
      exited(137, { oomKilled: true, signal: 'SIGKILL' }),
      undefined,
      { state: 'failed', result: 'oom', reason: /out of memory/ },
    ],
    [
      'no start',
      exited(-1, { error: 'no such image' }),
      undefined,
      { state: 'failed', result: 'start_error', reason: /could not start: no such image/ },
    ],
  ])('%s', (_, info, killReason, want) => {
    const outcome = exitOutcome(job, info, killReason);
    expect(outcome.state).toBe(want.state);
    expect(outcome.result).toBe(want.result);
    expect(outcome.reason).toMatch(want.reason);
  });
});
