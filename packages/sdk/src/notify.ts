/**
 * Job notifications, as Slurm's `--mail-type` and `--mail-user`, plus a webhook: what a
 * submission asks, and what the job keeps of it. The daemon delivers them (scheduler
 * `notify/`); a delivery that fails never holds the job back.
 */
import { type Static, Type } from '@sinclair/typebox';
import { MAIL_EVENTS, MAIL_TYPES } from './wire-constants.js';

export { MAIL_EVENTS, MAIL_TYPES } from './wire-constants.js';
export type MailType = (typeof MAIL_TYPES)[number];
export type MailEvent = (typeof MAIL_EVENTS)[number];

/** The events a job is told about when `notify` names a recipient and no `mailTypes`: its end. */
export const DEFAULT_MAIL_TYPES: readonly MailType[] = ['end'];

export const NotifySubmitSchema = Type.Object(
  {
    mailTypes: Type.Optional(
      Type.Array(Type.Union(MAIL_TYPES.map((t) => Type.Literal(t))), {
        minItems: 1,
        maxItems: MAIL_TYPES.length,
        description: "Slurm's --mail-type: begin, end, fail, requeue, time_limit, all or none (default end)",
      }),
    ),
    mailUser: Type.Optional(
      Type.String({
        minLength: 3,
        maxLength: 254,
        description: "Slurm's --mail-user: where the mail goes (default: the user's own address, when the site knows it)",
      }),
    ),
    url: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: 'an http(s) URL that receives a signed JSON POST per event' }),
    ),
  },
  { additionalProperties: false },
);
export type NotifySubmit = Static<typeof NotifySubmitSchema>;

/** What a job keeps: the events spelled out (no `all`, no `none`), and who hears of them. */
export const NotifySchema = Type.Object({
  events: Type.Array(Type.Union(MAIL_EVENTS.map((t) => Type.Literal(t)))),
  mailUser: Type.Optional(Type.String()),
  url: Type.Optional(Type.String()),
});
export type Notify = Static<typeof NotifySchema>;

/** `all` and `none` spelled out: the events a list of mail types asks for, in MAIL_EVENTS order. */
export function mailEvents(types: readonly MailType[]): MailEvent[] {
  if (types.includes('none')) return [];
  if (types.includes('all')) return [...MAIL_EVENTS];
  return MAIL_EVENTS.filter((e) => types.includes(e));
}

/**
 * What a webhook receives: one POST per event, JSON, signed in `X-GoDocker-Signature`
 * (`t=UNIX_SECONDS,v1=HEX`, HMAC-SHA256 of `t + "." + body` with the site's secret).
 */
export interface WebhookPayload {
  /** Stable per event: a retried delivery carries the same id, so a receiver can drop repeats. */
  id: string;
  event: MailEvent[];
  jobId: number;
  name: string;
  user: string;
  project: string;
  state: string;
  exitCode: number | null;
  reason: string;
  /** When the job changed state (ISO 8601). */
  at: string;
  submittedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  node: string | null;
}

/** The header that carries a webhook's signature. */
export const SIGNATURE_HEADER = 'x-godocker-signature';

/**
 * One delivery of a job's notifications, as `GET /api/v1/jobs/{id}/notifications` shows it:
 * one event on one channel, and how its delivery went.
 */
export const NotificationDeliverySchema = Type.Object({
  /** `JOBID:HISTORYINDEX:CHANNEL`, the webhook payload's `id` plus the channel. */
  id: Type.String(),
  channel: Type.Union([Type.Literal('mail'), Type.Literal('webhook')]),
  /** The events it tells (as in the webhook payload). */
  event: Type.Array(Type.String()),
  /** The job's state it tells of. */
  jobState: Type.String(),
  /** pending: not delivered yet (tried again at nextAttemptAt); sent; failed: given up. */
  status: Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')]),
  attempts: Type.Integer({ minimum: 0 }),
  /** Why the last attempt failed (null once sent, or before any attempt). */
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  /** When a pending delivery is tried next. */
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  /** When it was sent or given up. */
  doneAt: Type.Union([Type.String(), Type.Null()]),
});
export type NotificationDelivery = Static<typeof NotificationDeliverySchema>;

export const NotificationDeliveryListSchema = Type.Object({
  /** Oldest event first; deliveries older than the site's notifications.keepDays are purged. */
  deliveries: Type.Array(NotificationDeliverySchema),
});
export type NotificationDeliveryList = Static<typeof NotificationDeliveryListSchema>;
