/** Messages between a benchmark and the daemon it forked (see daemon.ts, daemon-child.ts). */
import type { MemorySnapshot } from './report.js';

/**
 * memory runs a full GC first (so the heap is what is kept); cpu does not disturb the daemon;
 * loop answers the event-loop delays since the last `loop` (or the start) and starts anew.
 */
export type ToDaemon = { type: 'memory' } | { type: 'cpu' } | { type: 'loop' } | { type: 'stop' };

/** How long the daemon's event loop was held, in ms. */
export interface LoopDelay {
  maxMs: number;
  p99Ms: number;
}

export type FromDaemon =
  | { type: 'ready'; url: string; clusterId: string }
  | { type: 'memory'; memory: MemorySnapshot }
  | { type: 'cpu'; cpuMs: number }
  | { type: 'loop'; delay: LoopDelay }
  | { type: 'failed'; message: string };

/** Environment variables the child reads its setup from. */
export const CONFIG_ENV = 'GODOCKER_BENCH_CONFIG';
export const TOKEN_ENV = 'GODOCKER_BENCH_TOKEN';
