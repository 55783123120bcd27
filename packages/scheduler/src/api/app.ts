/**
 * The Fastify application of REST API v1: strict validation, one error shape,
 * an OpenAPI document generated from the same schemas the routes validate with.
 */
import swagger from '@fastify/swagger';
import { API_PREFIX, VERSION } from '@godocker/sdk';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';
import { clientErrorHandler, documentCommonErrors, frameworkErrors } from './api-responses.js';
import { compressAnswers } from './compression.js';
import type { ApiContext } from './context.js';
import { installErrorHandler } from './error-handler.js';
import { type FollowerRole, forwardToLeader } from './follower-proxy.js';
import { installJsonParser } from './json-body.js';
import { limitUrlLength } from './request-limits.js';
import { archiveRoutes } from './routes/archive.js';
import { authRoutes } from './routes/auth.js';
import { drmaa1Routes } from './routes/drmaa1.js';
import { eventRoutes } from './routes/events.js';
import { fileRoutes } from './routes/files.js';
import { jobRoutes } from './routes/jobs.js';
import { logRoutes } from './routes/logs.js';
import { metricsRoutes } from './routes/metrics.js';
import { nodeRoutes } from './routes/nodes.js';
import { notificationRoutes } from './routes/notifications.js';
import { projectRoutes } from './routes/projects.js';
import { sessionRoutes } from './routes/sessions.js';
import { shareRoutes } from './routes/share.js';
import { sshKeyRoutes } from './routes/ssh-keys.js';
import { systemRoutes } from './routes/system.js';
import { usageRoutes } from './routes/usage.js';
import { userRoutes } from './routes/users.js';
import { validatorCompiler } from './validation.js';
import { dashboardPage, findDashboard, serveDashboard } from './web-dashboard.js';

/** The body limit of every route but the submits. */
export const SMALL_BODY_BYTES = 256 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_PARAM_LENGTH = 256;

export interface AppOptions {
  logger: FastifyBaseLogger | false;
  isReady: () => boolean;
  /** Several daemons on one store: while this one does not lead, what only the leader answers goes there. */
  follower?: FollowerRole;
  /** Serves `/metrics` and times every request; absent when `metrics.enabled` is false. */
  metrics?: { metrics: DaemonMetrics; token: string | null };
}

export async function buildApp(ctx: ApiContext, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Per-request logs at info would flood the log at thousands of submits a second.
    ...(options.logger ? { loggerInstance: options.logger.child({}, { level: 'warn' }) } : { logger: false }),
    // Most bodies are a few hundred bytes; the submit routes take up to server.bodyLimitBytes (SUBMIT_BODY).
    bodyLimit: SMALL_BODY_BYTES,
    // Long-polls are held up to MAX_WAIT_SECONDS; keep-alive sockets must outlive them.
    keepAliveTimeout: 65_000,
    // Receiving a request (headers and body) must not take longer: a client trickling a body holds no socket for long.
    // Answering it may (long-polls, event streams): Node's requestTimeout counts only the receiving.
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Every name a user can create (project, session: 128 characters; user: 64) must be addressable
    // in a path afterwards; find-my-way answers 414 past 100 by default.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    clientErrorHandler,
    frameworkErrors,
    return503OnClosing: true,
  });
  app.decorateRequest('user', null);
  app.addHook('onRoute', documentCommonErrors);
  // The API speaks JSON only: a text body is refused (415), not parsed into a string.
  app.removeContentTypeParser('text/plain');
  installJsonParser(app);
  app.setValidatorCompiler(validatorCompiler);
  const dashboard = findDashboard(ctx.config.server.webRoot);
  installErrorHandler(app, dashboardPage(dashboard));
  await compressAnswers(app);
  // First: its timing hook must see every route, the forwarded ones too.
  if (options.metrics) metricsRoutes(app, options.metrics.metrics, options.metrics.token);
  if (options.follower) await forwardToLeader(app, options.follower);
  limitUrlLength(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'GoDocker REST API',
        version: VERSION,
        description: 'Submit, watch and control batch jobs run in containers.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  // Any successful admin change to projects, users or usage reaches the engine's next pass.
  app.addHook('onResponse', (request, reply, done) => {
    // A change forwarded to the leader reaches its engine there.
    const forwarded = reply.getHeader('x-godocker-forwarded-to') !== undefined;
    if (
      !forwarded &&
      request.method !== 'GET' &&
      reply.statusCode < 400 &&
      /^\/api\/v1\/(projects|users|usage)\b/.test(request.url)
    ) {
      ctx.runtime.policyChanged();
    }
    done();
  });
  systemRoutes(app, ctx, options.isReady);
  await app.register(
    (api, _options, done) => {
      jobRoutes(api, ctx);
      logRoutes(api, ctx);
      archiveRoutes(api, ctx);
      notificationRoutes(api, ctx);
      // In a scope of their own: the octet-stream body parser of uploads is theirs alone.
      void api.register((files, _o, filesDone) => {
        fileRoutes(files, ctx);
        filesDone();
      });
      shareRoutes(api, ctx);
      usageRoutes(api, ctx);
      eventRoutes(api, ctx);
      userRoutes(api, ctx);
      authRoutes(api, ctx);
      projectRoutes(api, ctx);
      sessionRoutes(api, ctx);
      drmaa1Routes(api, ctx);
      nodeRoutes(api, ctx);
      sshKeyRoutes(api, ctx);
      done();
    },
    { prefix: API_PREFIX },
  );
  await serveDashboard(app, dashboard);
  return app;
}
