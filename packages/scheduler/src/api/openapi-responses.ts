/**
 * The answers every route can give, in the OpenAPI document: those the HTTP layer
 * gives before a route runs (400, 401, 414, 431, 503 while stopping, 500) on every
 * route, 413 and 415 on every route with a body, each with the GOD error envelope;
 * and the 200 of a route that answers text or a server-sent event stream instead of
 * JSON (`config.produces`). Only the document changes: the routes validate and
 * serialise with their own schemas.
 */

import type { SwaggerTransform } from '@fastify/swagger';
import { ErrorBodySchema } from '@godocker/sdk';
import type { FastifySchema } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Media types of the 200 answer when it is not JSON (logs, event streams), for the OpenAPI document. */
    produces?: readonly string[];
  }
}

const EVERY_ROUTE: Record<number, string> = {
  400: 'The request is not valid: a field of the body, the query or the path, or the JSON itself (`field` names it)',
  401: 'No token, or one the daemon does not know: send `Authorization: Bearer TOKEN`',
  404: 'Nothing of that id or name that the caller may see',
  414: 'The URL is longer than 8 KiB, or a name in the path is longer than any name can be',
  431: 'The request headers are larger than the server accepts (16 KiB)',
  500: 'An internal error; the daemon log has the details',
  503: 'The daemon is starting or stopping',
};

const WITH_BODY: Record<number, string> = {
  413: 'The body is larger than this route takes',
  415: 'The body is not JSON (`Content-Type: application/json`)',
};

const STREAM_DESCRIPTIONS: Record<string, string> = {
  'text/event-stream': 'Server-sent events, until the client goes away (or the job ends, for a log)',
  'text/plain': 'The text so far',
};

type Schema = FastifySchema & { response?: Record<string, unknown>; hide?: boolean };

/** @fastify/swagger's `transform`: the route's schema as documented. */
export const documentResponses: SwaggerTransform = ({ schema, url, route }) => {
  const s = (schema ?? {}) as Schema;
  if (s.hide) return { schema, url };
  const response: Record<string, unknown> = { ...(s.response ?? {}) };
  const add = (statuses: Record<number, string>) => {
    for (const [status, description] of Object.entries(statuses)) {
      response[status] = { ...((response[status] as object | undefined) ?? ErrorBodySchema), description };
    }
  };
  add(EVERY_ROUTE);
  if (s.body !== undefined) add(WITH_BODY);
  const produces = route.config?.produces;
  if (produces) {
    response[200] = {
      description: produces.map((type) => STREAM_DESCRIPTIONS[type] ?? type).join('; or '),
      content: Object.fromEntries(produces.map((type) => [type, { schema: { type: 'string' } }])),
    };
  }
  return { schema: { ...s, response }, url };
};
