/** `GET /api/v1/events`: server-sent job state changes the caller may see. */
import { ErrorBodySchema, type EventsQuery, EventsQuerySchema, type Job } from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { EVENTS_200 } from '../api-responses.js';
import { type ApiContext, canSee, currentUser, makeAuth } from '../context.js';
import { openSse } from '../sse.js';
import { sessionOf } from './sessions.js';

export function eventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);
  app.get<{ Querystring: EventsQuery }>(
    '/events',
    {
      onRequest: requireUser,
      schema: {
        summary: 'SSE stream of job changes: `event: job`, data {type, job, previousState}; `session` narrows to one session',
        querystring: EventsQuerySchema,
        response: { 200: EVENTS_200, 401: ErrorBodySchema, 404: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const session = request.query.session;
      // Someone else's session is as missing as one that never was: its name cannot be probed.
      if (session !== undefined) await sessionOf(ctx, user, session);
      // Sessions are per user: a session's jobs are the caller's own, even for an admin.
      const wanted = (job: Job) =>
        session === undefined ? canSee(user, job) : job.session === session && job.user.name === user.name;
      const sse = openSse(reply, ctx.shutdown);
      const unsubscribe = ctx.bus.subscribe((event) => {
        if (wanted(event.job)) sse.send('job', event);
      });
      await sse.done;
      unsubscribe();
    },
  );
}
