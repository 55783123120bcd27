/**
 * `GET /api/v1/jobs/{id}/notifications`: how the job's mail and webhook deliveries went, read
 * from the store's outbox (any daemon answers: the leader writes it, every daemon reads it).
 * Owner or admin only; someone else's job is a 404, as everywhere.
 */
import {
  ErrorBodySchema,
  JobIdParamsSchema,
  type NotificationDelivery,
  NotificationDeliveryListSchema,
  type WebhookPayload,
} from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import type { NotificationRecord } from '../../store/store.js';
import { type ApiContext, currentUser, makeAuth, visibleJob } from '../context.js';

/** What a person may read of an outbox record: not its payload, which the job document already holds. */
export function deliveryOf(r: NotificationRecord): NotificationDelivery {
  let payload: Partial<WebhookPayload> = {};
  try {
    payload = JSON.parse(r.payload) as WebhookPayload;
  } catch {
    // A record is written by the daemon alone; a damaged one still shows how its delivery went.
  }
  return {
    id: r.id,
    channel: r.channel,
    event: Array.isArray(payload.event) ? payload.event : [],
    jobState: typeof payload.state === 'string' ? payload.state : 'unknown',
    status: r.status,
    attempts: r.attempts,
    lastError: r.lastError,
    createdAt: r.createdAt,
    nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt : null,
    doneAt: r.doneAt,
  };
}

/** History order (`JOBID:INDEX:CHANNEL` sorts by text: 10 before 9), mail before webhook. */
function byEvent(a: NotificationRecord, b: NotificationRecord): number {
  const index = (r: NotificationRecord) => Number(r.id.split(':')[1] ?? 0);
  return index(a) - index(b) || a.channel.localeCompare(b.channel);
}

export function notificationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);
  app.get<{ Params: { id: string } }>(
    '/jobs/:id/notifications',
    {
      onRequest: requireUser,
      schema: {
        summary: "How the job's notifications (mail, webhook) were delivered: state, attempts, last error, times",
        params: JobIdParamsSchema,
        response: { 200: NotificationDeliveryListSchema, 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema },
      },
    },
    async (request) => {
      const job = await visibleJob(ctx, currentUser(request), request.params.id);
      const records = await ctx.store.notificationsOfJob(job.id);
      return { deliveries: records.sort(byEvent).map(deliveryOf) };
    },
  );
}
