/**
 * Every error leaves the API as `{"error": {"code", "message", "field"}}` with
 * its status; internal failures are logged and answered without their details.
 */

import { ErrorCodes, GodockerError, ValidationError } from '@godocker/sdk';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isStoreUnavailable } from '../store/mongo-store.js';
import { toValidationError } from './validation.js';

/** What a client waits before it asks again after a 503. */
const RETRY_AFTER_SECONDS = 5;

function fromFastify(err: FastifyError): GodockerError | null {
  if (err.validation) return toValidationError(err.validation as never, err.validationContext ?? 'body');
  const status = err.statusCode ?? 500;
  if (status === 413) {
    return new GodockerError(ErrorCodes.PAYLOAD_TOO_LARGE, 'request body is too large: put large inputs in a volume', {
      field: 'body',
    });
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new GodockerError(ErrorCodes.INVALID_REQUEST, 'send the body as JSON with "Content-Type: application/json"', {
      status: 415,
      field: 'body',
    });
  }
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new ValidationError('the JSON body is empty', 'body');
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new ValidationError(`the body is not valid JSON: ${err.message}`, 'body');
  }
  if (status >= 400 && status < 500) {
    return new GodockerError(ErrorCodes.INVALID_REQUEST, err.message, { status, field: 'body' });
  }
  return null;
}

/** Answers an address no route has when it can (the dashboard's page); undefined leaves it a 404. */
export type PageFallback = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;

export function installErrorHandler(app: FastifyInstance, pageFallback?: PageFallback): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = GodockerError.is(err)
      ? err
      : isStoreUnavailable(err)
        ? new GodockerError(
            ErrorCodes.UNAVAILABLE,
            `the store does not answer (${err.message}): the change may not have been made; try again (a submit with the same Idempotency-Key is stored once)`,
          )
        : fromFastify(err);
    // Refused before its body arrived (no token, too large): hang up instead of reading the rest of it.
    if (!request.raw.complete) void reply.header('connection', 'close');
    if (known) {
      // The store going away is told once by the store (mongo-watchdog.ts), not once per request.
      if (known.status >= 500) request.log[isStoreUnavailable(err) ? 'debug' : 'error']({ err }, 'request failed');
      if (known.status === 503 || known.retryAfterSeconds !== undefined) {
        void reply.header('retry-after', String(known.retryAfterSeconds ?? RETRY_AFTER_SECONDS));
      }
      return reply.status(known.status).send(known.toBody());
    }
    request.log.error({ err }, 'unexpected error');
    return reply
      .status(500)
      .send(new GodockerError(ErrorCodes.INTERNAL, 'internal error; the daemon log has the details').toBody());
  });
  app.setNotFoundHandler(
    (request, reply) =>
      pageFallback?.(request, reply) ??
      reply
        .status(404)
        .send(
          new GodockerError(
            ErrorCodes.NOT_FOUND,
            `no route ${request.method} ${request.url.split('?')[0]}; see /api/v1/openapi.json`,
          ).toBody(),
        ),
  );
}
