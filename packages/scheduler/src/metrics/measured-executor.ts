/**
 * An executor whose calls are timed for `/metrics` (`godocker_executor_call_duration_seconds`
 * and `godocker_executor_errors_total`, by executor and operation). `wait` is left alone: it
 * lasts as long as the job, which the run-time histogram already tells. `usage` is
 * timed too: the sampler asks it of every running task each `usage.sampleSeconds`, so a slow
 * stats call shows here before readings go missing.
 *
 * A Proxy, as leaderExecutor: the set's members keep their class (`instanceof`), their getters
 * and whatever optional methods (`watchNodes`, `exec`) they have or lack.
 */
import { performance } from 'node:perf_hooks';
import type { Executor } from '@godocker/sdk';
import type { ExecutorOperation } from './daemon-metrics.js';

const TIMED = new Set<PropertyKey>([
  'nodes',
  'start',
  'status',
  'list',
  'kill',
  'suspend',
  'resume',
  'logs',
  'exec',
  'collect',
  'usage',
] satisfies ExecutorOperation[]);

export type ExecutorCallSink = (executor: string, operation: ExecutorOperation, seconds: number, failed: boolean) => void;

export function measuredExecutor<E extends Executor>(inner: E, name: string, record: ExecutorCallSink): E {
  return new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      if (!TIMED.has(property)) return value.bind(target);
      const operation = property as ExecutorOperation;
      return async (...args: unknown[]) => {
        const began = performance.now();
        let failed = true;
        try {
          const answer: unknown = await value.apply(target, args);
          failed = false;
          return answer;
        } finally {
          record(name, operation, (performance.now() - began) / 1000, failed);
        }
      };
    },
  });
}
