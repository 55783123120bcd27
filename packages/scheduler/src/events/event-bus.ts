/**
 * Job events inside one daemon: long-poll waits, SSE streams and the engine's
 * triggers all listen here. A Redis-backed bus for several daemons implements
 * the same interface.
 */
import { EventEmitter } from 'node:events';
import type { JobEvent } from '@godocker/sdk';

export type JobListener = (event: JobEvent) => void;

export interface EventBus {
  publish(event: JobEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: JobListener): () => void;
}

export class LocalEventBus implements EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every long-poll and SSE client is a listener; thousands are normal.
    this.#emitter.setMaxListeners(0);
  }

  publish(event: JobEvent): void {
    this.#emitter.emit('job', event);
  }

  subscribe(listener: JobListener): () => void {
    const safe: JobListener = (event) => {
      try {
        listener(event);
      } catch {
        // One broken listener must not stop the others from hearing the event.
      }
    };
    this.#emitter.on('job', safe);
    return () => this.#emitter.off('job', safe);
  }
}
