/**
 * What the MongoDB driver believes of the store, watched from outside it: one warning when
 * the server goes away and one line when it answers again (not one error per failed call),
 * and a client opened anew when the driver's own watch of the server has stopped.
 *
 * It stops when a connection is lost while the driver writes a check on it: Node answers a
 * write on a destroyed socket with `false` and then neither `drain` nor `error`, and the
 * driver (mongodb 7.x, without `timeoutMS`) waits for `drain` for ever. That check never
 * ends, no other starts, and the server stays "Unknown" for the client's whole life: every
 * call fails after the server selection timeout, long after the server is back. Seen under
 * CPU and disk load with FerretDB killed -9 under a daemon (store-outage.test.ts).
 */
import type { Logger } from '@godocker/sdk';
import type { MongoClient } from 'mongodb';

/** A check of the server is bounded by connectTimeoutMS (set to 10 s); one running twice that long will never end. */
export const CHECK_STUCK_MS = 20_000;
const LOOK_EVERY_MS = 5_000;
/** How long the old client's close may take before the new one is connected anyway (it may wait on the same lost socket). */
const CLOSE_WAIT_MS = 5_000;

export class DriverWatchdog {
  readonly #client: MongoClient;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** When the check under way started (null: none under way). */
  #checkSince: number | null = null;
  #away = false;
  /** The client was closed to be opened anew, and is not connected yet. */
  #renewing = false;
  #busy = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(client: MongoClient, logger: Logger, now: () => number = () => performance.now()) {
    this.#client = client;
    this.#logger = logger;
    this.#now = now;
    client.on('serverHeartbeatStarted', () => {
      this.#checkSince ??= this.#now();
    });
    client.on('serverHeartbeatSucceeded', () => {
      this.#checkSince = null;
    });
    client.on('serverHeartbeatFailed', () => {
      this.#checkSince = null;
    });
    client.on('serverDescriptionChanged', (event) => {
      const { type, error } = event.newDescription;
      if (type === 'Unknown' && !this.#away) {
        this.#away = true;
        this.#logger.warn(
          { err: error ?? undefined, address: event.address },
          'the store does not answer: the API answers 503 with Retry-After, job changes wait, and the daemon keeps trying',
        );
      } else if (type !== 'Unknown' && this.#away) {
        this.#away = false;
        this.#logger.info({ address: event.address }, 'the store answers again');
      }
    });
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.look(), LOOK_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One look (the timer's; tests call it with their own clock). */
  async look(): Promise<void> {
    if (this.#busy) return;
    const stuck = this.#checkSince !== null && this.#now() - this.#checkSince > CHECK_STUCK_MS;
    if (!stuck && !this.#renewing) return;
    this.#busy = true;
    try {
      if (stuck) {
        this.#logger.warn(
          { checkRunningMs: Math.round(this.#now() - (this.#checkSince as number)) },
          "the MongoDB driver's check of the store never ended (its connection was lost under it): the client is opened anew",
        );
        this.#checkSince = null;
        this.#renewing = true;
        await Promise.race([this.#client.close().catch(() => undefined), delay(CLOSE_WAIT_MS)]);
      }
      // Calls in between fail as the store not answering (503), as they would have anyway.
      await this.#client.connect();
      this.#renewing = false;
    } catch {
      // The server is still away: connected again at the next look.
    } finally {
      this.#busy = false;
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
