/**
 * The web dashboard (packages/web) served at `/`: its built files as they are, and its
 * index.html for any other address a browser navigates to (the dashboard routes in the
 * browser: /jobs/42 can be reloaded or shared), while everything under /api/ stays the
 * API's. Without a build the daemon still serves the API, and `/` says how to build it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { API_PREFIX } from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import type { PageFallback } from './error-handler.js';

/** Everything comes from the daemon itself: a page that tried a CDN or another host would be refused. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export type Dashboard = { root: string } | { missing: string };

/** The dist folder of the installed @godocker/web package, or null when it is not installed. */
export function defaultWebRoot(): string | null {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@godocker/web/package.json')), 'dist');
  } catch {
    return null;
  }
}

/** The build to serve (server.webRoot, else the @godocker/web package's), or why there is none. */
export function findDashboard(webRoot: string | undefined): Dashboard {
  const root = webRoot ?? defaultWebRoot();
  if (!root) return { missing: 'the @godocker/web package is not installed' };
  if (!existsSync(join(root, 'index.html'))) return { missing: `no index.html in ${root}` };
  return { root };
}

/**
 * The page for a browser's navigation to an address no route has: a GET that asks for HTML,
 * outside /api/ and /assets/ (a script, a client or a missing asset still gets the 404).
 */
export function dashboardPage(dashboard: Dashboard): PageFallback | undefined {
  if (!('root' in dashboard)) return undefined;
  return (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    if (path.startsWith('/api/') || path.startsWith('/assets/')) return undefined;
    if (!(request.headers.accept ?? '').includes('text/html')) return undefined;
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .sendFile('index.html');
  };
}

export async function serveDashboard(app: FastifyInstance, dashboard: Dashboard): Promise<void> {
  if (!('root' in dashboard)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .status(404)
        .type('text/plain; charset=utf-8')
        .send(
          `The GoDocker web dashboard is not built (${dashboard.missing}).\n` +
            'Build it with `npm run build -w packages/web`, or set server.webRoot to the folder of a build.\n' +
            `The REST API is served under ${API_PREFIX} (its description: ${API_PREFIX}/openapi.json).\n`,
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dashboard.root,
    // One route per file found at start: any other address reaches the page fallback (dashboardPage).
    wildcard: false,
    // The build writes .br and .gz beside each asset: sent to a browser that accepts them.
    preCompressed: true,
    cacheControl: false,
    setHeaders(res, path) {
      // Asset names carry a hash of their content: they never change under the same name.
      if (path.includes('/assets/')) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      else res.setHeader('cache-control', 'no-cache');
      if (/\.html(\.(br|gz))?$/.test(path)) res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    },
  });
}
