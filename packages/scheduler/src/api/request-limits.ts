/**
 * Limits of requests beyond the token, the small body limit and the request timeout
 * (app.ts): the waits take lists of ids, and a URL is bounded below Node's 16 KiB head
 * so that a long one gets 414 in the GOD envelope rather than 431.
 */
import { ErrorCodes, GodockerError } from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';

/** A wait on ids: up to 100,000 ids of up to 15 digits, with commas (other routes take SMALL_BODY_BYTES). */
export const ID_LIST_BODY_BYTES = 2 * 1024 * 1024;
/** Longest URL (path and query). */
export const MAX_URL_BYTES = 8 * 1024;

/** Refuses a URL over MAX_URL_BYTES before routing work is done on it. */
export function limitUrlLength(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs for every request, and a promise each is measurable at thousands a second.
  app.addHook('onRequest', (request, _reply, done) => {
    // A URL has at most 4 bytes a character: a short one needs no count.
    if (request.url.length * 4 > MAX_URL_BYTES && Buffer.byteLength(request.url) > MAX_URL_BYTES) {
      done(
        new GodockerError(
          ErrorCodes.INVALID_REQUEST,
          `the URL is longer than ${MAX_URL_BYTES} bytes: send long lists in a body (POST), not in the query`,
          { status: 414, field: 'path' },
        ),
      );
      return;
    }
    done();
  });
}
