/**
 * JSON bodies are UTF-8, as RFC 8259 says for JSON between systems. A body in another charset,
 * or with bytes that are not UTF-8, is refused rather than decoded with replacement characters
 * that would be stored as if the user had sent them.
 */
import { ErrorCodes, GodockerError, ValidationError } from '@godocker/sdk';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function charsetOf(contentType: string | undefined): string | null {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m?.[1]?.toLowerCase() ?? null;
}

export function installJsonParser(app: FastifyInstance): void {
  // Fastify's own parser, for its protection against __proto__ and constructor poisoning.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
      const charset = charsetOf(request.headers['content-type']);
      if (charset !== null && charset !== 'utf-8' && charset !== 'utf8') {
        done(
          new GodockerError(
            ErrorCodes.INVALID_REQUEST,
            `the body is in charset ${charset}: send JSON in UTF-8 ("Content-Type: application/json")`,
            { status: 415, field: 'body' },
          ),
        );
        return;
      }
      let text: string;
      try {
        text = UTF8.decode(body);
      } catch {
        done(new ValidationError('the body is not valid UTF-8: send JSON encoded in UTF-8', 'body'));
        return;
      }
      void parseJson(request, text, done);
    },
  );
}
