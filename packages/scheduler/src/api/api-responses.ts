/**
 * Every status the API can answer, in the OpenAPI document and with the GOD error envelope:
 * the route's own, the ones any route may give (a body too large, a media type it does not
 * take, a path or headers too long, an executor that does not answer, an internal error),
 * and the ones Node answers before a route is found (431, 408), which get our envelope too.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { ErrorBodySchema, ErrorCodes, GodockerError } from '@godocker/sdk';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

/** What any route may answer besides its own statuses. */
const COMMON_ERRORS = [400, 401, 404, 408, 413, 414, 415, 422, 431, 500, 503] as const;

/** Adds the common error statuses to a route's documented responses; a route's own entries stay. */
export function documentCommonErrors(route: RouteOptions): void {
  const schema = route.schema ?? {};
  if ((schema as { hide?: boolean }).hide) return;
  const response = (schema.response ?? {}) as Record<string, unknown>;
  for (const status of COMMON_ERRORS) response[status] ??= ErrorBodySchema;
  schema.response = response;
  route.schema = schema;
}

/** The router's refusals (a path parameter too long: 414; a malformed URL: 400) in the GOD envelope. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a name in the path is longer than any name GoDocker lets one create: check the URL'
      : `the URL is not valid: ${error.message}`;
  void reply.status(status).send(new GodockerError(ErrorCodes.INVALID_REQUEST, message, { status }).toBody());
}

/** Node's own answers (headers too large, a request that took too long) in the GOD error envelope. */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let message = 'the request is not valid HTTP';
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    message = 'the request line and headers are too large (a URL or a header too long): send less in them';
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    message = 'the request did not arrive whole within 30 s';
  }
  const code = status === 408 ? ErrorCodes.TIMEOUT : ErrorCodes.INVALID_REQUEST;
  const body = JSON.stringify(new GodockerError(code, message, { status }).toBody());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** The 200 of a route that answers text (a log) or a stream of server-sent events. */
export const TEXT_OR_EVENTS_200 = {
  description: 'the log as text/plain, or with follow=true a text/event-stream until the job ends',
  content: {
    'text/plain': { schema: { type: 'string' } },
    'text/event-stream': { schema: { type: 'string' } },
  },
} as const;

export const EVENTS_200 = {
  description: 'a text/event-stream of `event: job` messages',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
} as const;
