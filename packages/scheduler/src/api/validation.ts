/**
 * Request validation. Bodies are validated strictly (no type coercion, no
 * silently dropped unknown fields): a wrong type or an unknown field is an error
 * that names the field. Query strings and path params are text, so they coerce.
 */

import { ValidationError } from '@godocker/sdk';
import type { ErrorObject } from 'ajv';
import { Ajv } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const strict = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false });
const coercing = new Ajv({ allErrors: false, coerceTypes: true, removeAdditional: false, useDefaults: false, strict: false });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  return ajv.compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
};

const PART_PREFIX: Record<string, string> = { body: '', querystring: 'query.', params: 'path.', headers: 'header.' };

/** Turns the first ajv error into a sentence and the dotted path of the field. */
export function toValidationError(errors: ErrorObject[], context: string): ValidationError {
  const e = errors[0];
  const prefix = PART_PREFIX[context] ?? '';
  if (!e) return new ValidationError('invalid request');
  const base = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
  const params = e.params as Record<string, unknown>;
  let field = base;
  let message: string;
  switch (e.keyword) {
    case 'additionalProperties':
      field = join(base, String(params.additionalProperty));
      message = `unknown field "${field}"`;
      break;
    case 'required':
      field = join(base, String(params.missingProperty));
      message = `"${field}" is required`;
      break;
    case 'type':
      message = `"${base || 'body'}" must be ${String(params.type)}`;
      break;
    case 'maxLength':
      message = `"${base}" is too long: at most ${String(params.limit)} characters`;
      break;
    case 'minimum':
      message = `"${base}" must be at least ${String(params.limit)}`;
      break;
    case 'maximum':
      message = `"${base}" must be at most ${String(params.limit)}`;
      break;
    case 'maxItems':
      message = `"${base}" has too many items: at most ${String(params.limit)}`;
      break;
    case 'anyOf':
    case 'enum':
    case 'const':
      message = `"${base}" has a value that is not allowed`;
      break;
    default:
      message = `"${base || 'body'}" ${e.message ?? 'is invalid'}`;
  }
  return new ValidationError(`${message}${prefix ? ` (in the ${context})` : ''}`, `${prefix}${field}` || undefined);
}
