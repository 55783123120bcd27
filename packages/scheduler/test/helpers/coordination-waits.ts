/** Bounded waits for the coordination tests: every wait names what it waited for when it gives up. */
import { setTimeout as delay } from 'node:timers/promises';

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > until) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

/** Blocks this process's event loop, as a stop-the-world pause does: no timer, no socket read. */
export function freezeEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
