/**
 * A Docker engine's event stream (`GET /events`), held open while the engine runs: its end is the
 * first sign the engine went away (long before a job's wait breaks, and with no job there at all).
 * It is opened again, with a growing delay, until the engine answers. `onChange` is called at
 * every event of the types asked for, and at each change between "answers" and "does not", so
 * its caller reads again what the events are about; what it is told is why. Shared by the docker
 * executor (its `daemon` events: the engine itself) and the swarm executor (`node` events of a
 * manager).
 */
import { addAbortSignal, type Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type Docker from 'dockerode';
import { asReadable } from './engine-streams.js';

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * Why `onChange` is called: `event`, one event came; `open`, the stream opened for the first time
 * (nothing was missed, unless the caller read what it watches before); `back`, it opened again after
 * the engine did not answer (anything may have changed meanwhile); `lost`, the engine stopped
 * answering (the stream ended or could not be opened).
 */
export type EngineChange = 'event' | 'open' | 'back' | 'lost';

export async function watchEngineEvents(
  docker: Docker,
  types: readonly string[],
  signal: AbortSignal,
  onChange: (change: EngineChange) => void,
): Promise<void> {
  let opened = false;
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
      // A first opening after failed ones is a coming back: 'lost' was said.
      if (!answering) onChange('back');
      else if (!opened) onChange('open');
      opened = true;
      answering = true;
      delayMs = RETRY_MIN_MS;
      for await (const _event of events) onChange('event');
    } catch {
      // Ended or refused: told below, then tried again.
    }
    if (signal.aborted) return;
    if (answering) {
      answering = false;
      onChange('lost');
    }
    await delay(delayMs, undefined, { signal }).catch(() => undefined);
    delayMs = Math.min(delayMs * 2, RETRY_MAX_MS);
  }
}
