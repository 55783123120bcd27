/**
 * The `Idempotency-Key` header of a submit: a retry after a lost answer that
 * sends the same key gets the first answer instead of a second job. The key is
 * stored with a fingerprint of the request, so the same key sent with another
 * request is refused (422), as the IETF draft "The Idempotency-Key HTTP Header
 * Field" says, rather than answered with a job it did not ask for.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '@godocker/sdk';
import type { FastifyRequest } from 'fastify';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The route schema part that documents the header. */
export const idempotencyHeaders = { type: 'object', properties: { 'idempotency-key': { type: 'string' } } } as const;

export interface RequestIdempotency {
  key: string;
  fingerprint: string;
}

/** The request's key, undefined without one; a malformed one is a ValidationError. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
    throw new ValidationError('Idempotency-Key must be 1 to 255 printable ASCII characters', 'header.idempotency-key');
  }
  return key;
}

/** The key with the fingerprint of what the request asks for; undefined without a key. */
export function idempotencyOf(request: FastifyRequest): RequestIdempotency | undefined {
  const key = idempotencyKeyOf(request);
  if (key === undefined) return undefined;
  const hash = createHash('sha256');
  // The route is part of the request: the same body on another route is another request.
  hash.update(`${request.method} ${request.routeOptions.url ?? request.url}\n`);
  hash.update(canonicalJson({ params: request.params ?? null, body: request.body ?? null }));
  return { key, fingerprint: hash.digest('base64url') };
}

/** JSON with object keys sorted: a client that sends the same fields in another order sends the same request. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
