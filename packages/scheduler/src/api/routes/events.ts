/** `GET /api/v1/events`: server-sent job state changes the caller may see. */
import { ErrorBodySchema } from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { type ApiContext, canSee, currentUser, makeAuth } from '../context.js';
import { openSse } from '../sse.js';

export function eventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);
  app.get(
    '/events',
    {
      preHandler: requireUser,
      schema: {
        summary: 'SSE stream of job changes: `event: job`, data {type, job, previousState}',
        response: { 401: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const sse = openSse(reply, ctx.shutdown);
      const unsubscribe = ctx.bus.subscribe((event) => {
        if (canSee(user, event.job)) sse.send('job', event);
      });
      await sse.done;
      unsubscribe();
    },
  );
}
