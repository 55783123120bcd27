/** info, health and readiness. */
import { ErrorBodySchema, type Info, InfoSchema, type SiteStatus, SiteStatusSchema, VERSION } from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { siteStatus } from '../../coordination/daemon-status.js';
import { type ApiContext, makeAuth } from '../context.js';

export function systemRoutes(app: FastifyInstance, ctx: ApiContext, isReady: () => boolean): void {
  app.get(
    '/api/v1/info',
    {
      schema: {
        summary: 'Version, executor, nodes, catalogues and limits; the caller when a token is sent',
        response: { 200: InfoSchema, 401: ErrorBodySchema },
      },
    },
    async (request): Promise<Info> => {
      const c = ctx.config;
      const user = request.headers.authorization ? await ctx.tokens.authenticate(request.headers.authorization) : null;
      return {
        name: 'GoDocker',
        version: VERSION,
        executor: ctx.executor.name,
        nodes: [...ctx.runtime.nodes],
        images: { catalogue: c.images.catalogue, default: c.images.default, userImagesAllowed: c.images.allowUserImages },
        volumes: c.volumes.map((v) => ({ name: v.name, mode: v.mode, containerPath: v.containerPath ?? v.hostPath })),
        limits: {
          maxCpu: c.limits.maxCpu,
          maxRam: c.limits.maxRam,
          maxTimeLimit: c.limits.maxTimeLimit,
          maxScriptBytes: c.limits.maxScriptBytes,
          maxArraySize: c.limits.maxArraySize,
        },
        user,
        passwordLogin: ctx.logins !== null,
        ...(ctx.ssh ? { ssh: ctx.ssh } : {}),
      };
    },
  );
  app.get(
    '/api/v1/status',
    {
      onRequest: makeAuth(ctx).requireUser,
      schema: {
        summary:
          'Every daemon of the site: role (leader, follower), version, address, last heartbeat, whether its executors answer',
        response: { 200: SiteStatusSchema, 401: ErrorBodySchema },
      },
    },
    async (): Promise<SiteStatus> => siteStatus(ctx.store),
  );
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) =>
    isReady() ? { status: 'ready' } : reply.status(503).send({ status: 'starting' }),
  );
}
