/**
 * The executor as a leader's runtime holds it. Before each action that changes a task (start,
 * kill, suspend, resume, collect) it asks whether this daemon still leads with the epoch the
 * runtime was made for, and refuses with NotLeaderError when not. A leader paused past its
 * lease (SIGSTOP, a frozen VM, a long GC) wakes up with work half done; the store refuses its
 * writes (MongoStore.fence), and this refuses its executor calls: its lease's deadline, on the
 * monotonic clock, has passed while it slept, so it acts on nothing before it steps down.
 * A started task carries the epoch as the label `godocker.epoch`, so who started it is on record.
 *
 * A Proxy rather than a wrapper class: the runtime reads the ExecutorSet's own members
 * (memberDown) and `instanceof ExecutorSet` must still hold.
 */
import type { Executor, RunSpec } from '@godocker/sdk';
import { NotLeaderError } from './coordination-errors.js';

export const EPOCH_LABEL = 'godocker.epoch';

const ACTIONS = new Set<PropertyKey>(['start', 'kill', 'suspend', 'resume', 'collect']);

export function leaderExecutor<E extends Executor>(
  inner: E,
  epoch: number,
  leads: (epoch: number) => boolean,
  holder: string,
): E {
  return new Proxy(inner, {
    get(target, property) {
      // The target as `this`: its getters and methods read private fields a Proxy does not have.
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      if (!ACTIONS.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
        if (!leads(epoch)) return Promise.reject(new NotLeaderError(`${holder} (epoch ${epoch})`));
        if (property === 'start') {
          const spec = args[0] as RunSpec;
          args[0] = { ...spec, labels: { ...spec.labels, [EPOCH_LABEL]: String(epoch) } };
        }
        return value.apply(target, args);
      };
    },
  });
}
