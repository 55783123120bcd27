/**
 * A Docker engine's event stream (`GET /events`), held open while the engine runs: its end is the
 * first sign the engine went away (long before a job's wait breaks, and with no job there at all).
 * It is opened again, with a growing delay, until the engine answers. `onChange` is called at
 * every event of the types asked for, and at each change between "answers" and "does not", so
 * its caller reads again what the events are about. Shared by the docker executor (its `daemon`
 * events: the engine itself) and the swarm executor (`node` events of a manager).
 */
import { addAbortSignal, type Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type Docker from 'dockerode';
import { asReadable } from './engine-streams.js';

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

export async function watchEngineEvents(
  docker: Docker,
  types: readonly string[],
  signal: AbortSignal,
  onChange: () => void,
): Promise<void> {
  let answering = true;
  let delayMs = RETRY_MIN_MS;
  while (!signal.aborted) {
    try {
      const events = await new Promise<Readable>((resolve, reject) => {
        docker.modem.dial(
          {
            path: '/events?',
            method: 'GET',
            isStream: true,
            abortSignal: signal,
            statusCodes: { 200: true, 500: 'server error' },
            options: { filters: { type: [...types] } },
          },
          (error, body) => (error ? reject(error) : resolve(asReadable(body as NodeJS.ReadableStream))),
        );
      });
      addAbortSignal(signal, events);
      if (!answering) {
        answering = true;
        onChange();
      }
      delayMs = RETRY_MIN_MS;
      for await (const _event of events) onChange();
    } catch {
      // Ended or refused: told below, then tried again.
    }
    if (signal.aborted) return;
    if (answering) {
      answering = false;
      onChange();
    }
    await delay(delayMs, undefined, { signal }).catch(() => undefined);
    delayMs = Math.min(delayMs * 2, RETRY_MAX_MS);
  }
}
