/**
 * What a request may cost the daemon beyond its token and body limits (app.ts), and
 * the answers for requests the HTTP layer refuses before a route runs. Refusals from
 * Node's parser (431), the router (414, a bad URL) and this module (414, 400 and
 * 415 for a body that is not UTF-8 JSON) carry the GOD error envelope like any other.
 */

import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import { ErrorCodes, GodockerError, MAX_WAIT_SECONDS, NAME_MAX_LENGTH, ValidationError } from '@godocker/sdk';
import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';

/** A wait on ids: up to 100,000 ids of up to 15 digits, with commas (other routes take SMALL_BODY_BYTES). */
export const ID_LIST_BODY_BYTES = 2 * 1024 * 1024;
/** Longest URL (path and query); Node's own limit on the request head is 16 KiB. */
export const MAX_URL_BYTES = 8 * 1024;

/** Fastify's server options for these limits (the body limit and request timeout are app.ts's). */
export function requestLimitOptions(): Pick<
  FastifyServerOptions,
  'connectionTimeout' | 'routerOptions' | 'frameworkErrors' | 'clientErrorHandler'
> {
  return {
    // A socket quiet for longer than the longest long-poll (SSE streams ping every 15 s) is dead.
    connectionTimeout: (MAX_WAIT_SECONDS + 60) * 1000,
    // Every name a route carries (projects, sessions, users) is at most this long: all of them can be addressed.
    routerOptions: { maxParamLength: NAME_MAX_LENGTH },
    frameworkErrors: (error, _request, reply) => {
      const code = (error as { code?: string }).code;
      const answer =
        code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new GodockerError(
              ErrorCodes.INVALID_REQUEST,
              `a name in the path is longer than ${NAME_MAX_LENGTH} characters: no project, session or user has such a name`,
              { status: 414, field: 'path' },
            )
          : new ValidationError(`the URL is not valid: ${error.message}`, 'path');
      void (reply as FastifyReply).status(answer.status).send(answer.toBody());
    },
    clientErrorHandler: answerClientError,
  };
}

/** Node's parser refused the request (head too large, malformed, too slow): answer in the envelope, then close. */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const answer =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new GodockerError(
          ErrorCodes.INVALID_REQUEST,
          'the request headers (with the URL) are larger than the server accepts (16 KiB): send fewer or shorter headers',
          { status: 431, field: 'header' },
        )
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new GodockerError(ErrorCodes.INVALID_REQUEST, 'the request took too long to arrive', { status: 408 })
        : new GodockerError(ErrorCodes.INVALID_REQUEST, 'the request is not valid HTTP', { status: 400 });
  if (socket.writable) {
    const body = JSON.stringify(answer.toBody());
    const reason =
      answer.status === 431 ? 'Request Header Fields Too Large' : answer.status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.write(
      `HTTP/1.1 ${answer.status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/** The JSON body parser: UTF-8 only, checked, then Fastify's own parser (with its prototype-poisoning checks). */
function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(
        new ValidationError(
          `charset "${charset}" is not accepted: send the JSON body in UTF-8 ("Content-Type: application/json; charset=utf-8")`,
          'header.content-type',
        ),
      );
      return;
    }
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new ValidationError('the body is not valid UTF-8: send JSON encoded in UTF-8', 'body'));
      return;
    }
    void parseJson(request, bytes.toString('utf8'), done);
  });
}

/** The hooks and parsers of these limits, on the root instance (before any route). */
export function installRequestLimits(app: FastifyInstance): void {
  installJsonParser(app);
  app.addHook('onRequest', async (request) => {
    if (Buffer.byteLength(request.url) > MAX_URL_BYTES) {
      throw new GodockerError(
        ErrorCodes.INVALID_REQUEST,
        `the URL is longer than ${MAX_URL_BYTES} bytes: send long lists in a body (POST), not in the query`,
        { status: 414, field: 'path' },
      );
    }
  });
}
