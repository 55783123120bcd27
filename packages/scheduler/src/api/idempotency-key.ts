/**
 * The `Idempotency-Key` header of a submit: a retry after a lost answer that
 * sends the same key gets the first answer instead of a second job.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '@godocker/sdk';
import type { FastifyRequest } from 'fastify';
import type { Idempotency } from '../store/store.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The route schema part that documents the header. */
export const idempotencyHeaders = { type: 'object', properties: { 'idempotency-key': { type: 'string' } } } as const;

/**
 * The request's key with a fingerprint of what it asks (route and body), undefined without a
 * key; a malformed one is a ValidationError. The same key with another fingerprint is a
 * different request reusing the key: 422, as the IETF draft on Idempotency-Key says.
 */
export function idempotencyOf(request: FastifyRequest, user: string): Idempotency | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1 to 255 printable ASCII characters', 'header.idempotency-key');
  }
  const fingerprint = createHash('sha256')
    .update(`${request.routeOptions.url ?? ''}\0${JSON.stringify(request.params ?? {})}\0${JSON.stringify(request.body ?? null)}`)
    .digest('hex');
  return { user, key, fingerprint };
}
