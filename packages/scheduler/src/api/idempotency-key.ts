/**
 * The `Idempotency-Key` header of a submit: a retry after a lost answer that
 * sends the same key gets the first answer instead of a second job.
 */
import { ValidationError } from '@godocker/sdk';
import type { FastifyRequest } from 'fastify';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The route schema part that documents the header. */
export const idempotencyHeaders = { type: 'object', properties: { 'idempotency-key': { type: 'string' } } } as const;

/** The request's key, undefined without one; a malformed one is a ValidationError. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
    throw new ValidationError('Idempotency-Key must be 1 to 255 printable ASCII characters', 'header.idempotency-key');
  }
  return key;
}
