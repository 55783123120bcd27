/**
 * `GET /metrics`: the Prometheus exposition of this daemon, behind a bearer token when the
 * config sets one, and every request's duration by route pattern.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, ConfigError } from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import type { GodockerConfig } from '../../config/config-schema.js';
import { readSecretFile } from '../../config/secret-file.js';
import type { DaemonMetrics } from '../../metrics/daemon-metrics.js';

/** The token Prometheus must send, or null when the route is open. */
export function metricsToken(config: GodockerConfig['metrics']): string | null {
  if (config.token !== undefined && config.tokenFile !== undefined) {
    throw new ConfigError(
      'metrics.token and metrics.tokenFile are both set: keep one (tokenFile keeps it out of the config)',
      'metrics.token',
    );
  }
  if (config.token !== undefined) return config.token;
  return config.tokenFile === undefined ? null : readSecretFile(config.tokenFile, 'metrics.tokenFile', 16);
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compared as hashes, in constant time: the answer's timing tells nothing of the token. */
function tokenMatches(header: string | undefined, want: Buffer): boolean {
  const m = header === undefined ? null : /^Bearer\s+(\S{1,1024})\s*$/i.exec(header);
  return m?.[1] !== undefined && timingSafeEqual(digest(m[1]), want);
}

export function metricsRoutes(app: FastifyInstance, metrics: DaemonMetrics, token: string | null): void {
  // Every route, this one too; the pattern (`/api/v1/jobs/:id`) and never the URL, which holds ids.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  const want = token === null ? null : digest(token);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (want !== null && !tokenMatches(request.headers.authorization, want)) {
      throw new AuthenticationError(
        '/metrics needs the bearer token of metrics.token (or metrics.tokenFile) in the daemon config',
      );
    }
    const { contentType, body } = await metrics.scrape();
    return reply.type(contentType).send(body);
  });
}
