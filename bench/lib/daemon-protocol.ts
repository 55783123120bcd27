/** Messages between a benchmark and the daemon it forked (see daemon.ts, daemon-child.ts). */
import type { MemorySnapshot } from './report.js';

/** memory runs a full GC first (so the heap is what is kept); cpu does not disturb the daemon. */
export type ToDaemon = { type: 'memory' } | { type: 'cpu' } | { type: 'stop' };

export type FromDaemon =
  | { type: 'ready'; url: string; clusterId: string }
  | { type: 'memory'; memory: MemorySnapshot }
  | { type: 'cpu'; cpuMs: number }
  | { type: 'failed'; message: string };

/** Environment variables the child reads its setup from. */
export const CONFIG_ENV = 'GODOCKER_BENCH_CONFIG';
export const TOKEN_ENV = 'GODOCKER_BENCH_TOKEN';
