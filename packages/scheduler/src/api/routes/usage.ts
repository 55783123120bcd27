/** `GET /api/v1/usage`: what jobs used since a time, per user or per project (`godocker usage`). */
import {
  ErrorBodySchema,
  parseSince,
  type UsageQuery,
  UsageQuerySchema,
  type UsageReport,
  UsageReportSchema,
} from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { type ApiContext, currentUser, makeAuth } from '../context.js';
import { usageReport } from '../usage-report.js';

export function usageRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);
  app.get<{ Querystring: UsageQuery }>(
    '/usage',
    {
      onRequest: requireUser,
      schema: {
        summary: 'Jobs, cpu-, ram-, gpu-seconds and wall time since a time, per user or project (a user sees their own jobs)',
        querystring: UsageQuerySchema,
        response: { 200: UsageReportSchema, 400: ErrorBodySchema, 401: ErrorBodySchema },
      },
    },
    async (request): Promise<UsageReport> => {
      const user = currentUser(request);
      const until = new Date();
      const since = new Date(parseSince(request.query.since, 'since', until));
      const rows = await usageReport(ctx.store, request.query.by, since, until, user.admin ? undefined : user.name);
      return { by: request.query.by, since: since.toISOString(), until: until.toISOString(), rows };
    },
  );
}
