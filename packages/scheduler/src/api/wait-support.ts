/**
 * What the long-poll routes share: loading the awaited jobs, and a signal that
 * aborts when the client goes away or the daemon stops.
 */
import type { Job } from '@godocker/sdk';
import type { Store } from '../store/store.js';

export async function loadJobs(store: Store, ids: readonly number[]): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const id of ids) {
    const j = await store.getJob(id);
    if (j) jobs.push(j);
  }
  return jobs;
}

/** The response's close (not the request's, which fires once the body is read) means the client left. */
export function abortOnClose(res: NodeJS.EventEmitter, shutdown: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort();
  // Removed again when the response closes, so the daemon-long signal gathers no listeners.
  shutdown.addEventListener('abort', abort, { once: true });
  res.once('close', () => {
    shutdown.removeEventListener('abort', abort);
    abort();
  });
  return controller.signal;
}
