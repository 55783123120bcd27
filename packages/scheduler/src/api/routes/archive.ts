/** `POST /api/v1/admin/archive`: archive old ended jobs now (admin), as the leader does on its own every archive.intervalMinutes. */
import { type ArchiveBody, ArchiveBodySchema, ArchiveResultSchema, ErrorBodySchema } from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { type ApiContext, makeAuth } from '../context.js';

export function archiveRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireAdmin } = makeAuth(ctx);
  app.post<{ Body: ArchiveBody }>(
    '/admin/archive',
    {
      onRequest: requireAdmin,
      schema: {
        summary:
          'Archive now the jobs ended more than olderThanSeconds ago (default archive.afterDays): their directories ' +
          'are removed, their records and usage stay (admin)',
        body: ArchiveBodySchema,
        response: { 200: ArchiveResultSchema, 401: ErrorBodySchema, 403: ErrorBodySchema },
      },
    },
    async (request) => {
      const seconds = request.body.olderThanSeconds ?? ctx.config.archive.afterDays * 86_400;
      return ctx.archiver.archive(seconds * 1000);
    },
  );
}
