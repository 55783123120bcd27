/**
 * What the runtime tells whoever watches it (the daemon's metrics) as jobs move: told after the
 * store took each change, never in its way. Every method must return at once and not throw.
 */
import type { Job } from '@godocker/sdk';
import type { EndResult } from './exit-outcome.js';

export interface RuntimeObserver {
  /** A submission was stored: a job, or an array's parent (which stands for all its tasks). */
  submitted(job: Job): void;
  /** A pass placed the job (it is `running` from here); it waited `waitSeconds` since its submit. */
  started(job: Job, waitSeconds: number): void;
  /** A job (not an array's parent) reached its final state. */
  ended(job: Job, result: EndResult): void;
  /** A scheduling pass over a queue that was not empty took this long, its starts stored. */
  passed(seconds: number): void;
}
