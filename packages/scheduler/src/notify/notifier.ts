/**
 * Delivers job notifications from the store's outbox, on the leader only (a lone daemon is
 * its own leader). Off the job-state path: the bus hands it each change after the change is
 * stored; it records the notifications the job's history calls for, then sends them in its
 * own time. A mail server or webhook that is down costs only its own retries.
 *
 * Nothing is lost by a crash: a record stays pending until sent, and is tried again by the
 * next leader; changes made while no leader listened are found again at the job's next change
 * or, for a job that never changes again, by the scan of recently ended and running jobs that
 * starts each leadership (from the checkpoint the previous leader saved). Delivery is at least
 * once: a leader that dies between sending and marking sends it again, with the same `id`.
 * The leader also purges deliveries done more than notifications.keepDays ago.
 */
import type { Job, JobEvent, Logger, WebhookPayload } from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import type { EventBus } from '../events/event-bus.js';
import type { NotificationPatch, NotificationRecord, Store } from '../store/store.js';
import { DeliveryError } from './delivery-error.js';
import { MailSender } from './mail-sender.js';
import { notificationsOf } from './notify-events.js';
import { WebhookSender, webhookSecret } from './webhook-sender.js';
import { webhookTargets } from './webhook-targets.js';

/** Where the leader says up to when every change it saw is recorded. */
export const CHECKPOINT_KEY = 'notifications.checkpoint';
/** The scan reaches this far before the checkpoint: an end time reported by a node may lag its write. */
const CHECKPOINT_MARGIN_MS = 10 * 60_000;
const CHECKPOINT_EVERY_MS = 30_000;
/** How often the outbox is read when nothing new was recorded (a record due for a retry). */
const POLL_MS = 5_000;
const BATCH = 100;
/** Deliveries at once: a slow server holds a few, not the rest. */
const PARALLEL = 4;
const MAX_BACKOFF_MS = 10 * 60_000;
const DAY_MS = 86_400_000;
/** The outbox is purged every quarter of the keep time, within these bounds. */
const PURGE_MIN_EVERY_MS = 1_000;
const PURGE_MAX_EVERY_MS = 60 * 60_000;

export interface NotifierDeps {
  store: Store;
  bus: EventBus;
  config: GodockerConfig;
  logger: Logger;
  clock?: () => Date;
}

export class Notifier {
  readonly #d: NotifierDeps;
  readonly #now: () => Date;
  readonly #mail: MailSender | null;
  readonly #webhook: WebhookSender | null;
  #unsubscribe: (() => void) | null = null;
  /** Jobs seen changing, by id (the latest version), not yet recorded. */
  readonly #seen = new Map<number, Job>();
  #recording: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #checkpointTimer: NodeJS.Timeout | null = null;
  #delivering: Promise<void> | null = null;
  #again = false;
  #stopped = true;
  #purgeTimer: NodeJS.Timeout | null = null;
  #purging: Promise<void> = Promise.resolve();

  /** Throws a ConfigError for a secret or password file it cannot read. */
  constructor(deps: NotifierDeps) {
    this.#d = deps;
    this.#now = deps.clock ?? (() => new Date());
    const n = deps.config.notifications;
    this.#mail = n.smtp ? new MailSender(n.smtp, n.webhook.timeoutMs) : null;
    const secret = webhookSecret(n.webhook);
    this.#webhook =
      secret === null ? null : new WebhookSender(secret, n.webhook.timeoutMs, this.#now, webhookTargets(deps.config));
  }

  /** Listens from now on (before the runtime reconciles, so its changes are heard), then catches up. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#unsubscribe = this.#d.bus.subscribe((event) => this.#heard(event));
    this.#checkpointTimer = setInterval(() => void this.#saveCheckpoint(), CHECKPOINT_EVERY_MS);
    this.#checkpointTimer.unref();
    // In the background: a long history to scan must not hold the daemon's start.
    void this.#catchUp().catch((e: unknown) => this.#d.logger.warn({ err: e }, 'notifications: the catch-up scan failed'));
    this.#kick();
    this.#purging = this.#purge().finally(() => this.#purgeLater());
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#checkpointTimer) clearInterval(this.#checkpointTimer);
    if (this.#purgeTimer) clearTimeout(this.#purgeTimer);
    this.#purgeTimer = null;
    this.#timer = null;
    this.#checkpointTimer = null;
    await this.#recording;
    await this.#delivering;
    await this.#purging;
  }

  #heard(event: JobEvent): void {
    const job = event.job;
    if (!job.notify || job.parentId !== null || job.status.state === event.previousState) return;
    this.#seen.set(job.id, job);
    this.#record();
  }

  /** Records what the jobs seen call for, one batch at a time, in the background. */
  #record(): void {
    this.#recording = this.#recording.then(async () => {
      if (this.#seen.size === 0) return;
      const jobs = [...this.#seen.values()];
      this.#seen.clear();
      const now = this.#now();
      const since = new Date(now.getTime() - this.#keepMs());
      const records = jobs.flatMap((j) => notificationsOf(j, now, since));
      try {
        if ((await this.#d.store.addNotifications(records)) > 0) this.#kick();
      } catch (e) {
        // Kept to try again: a newer version of one seen meanwhile replaces it, which calls for as much.
        for (const j of jobs) if (!this.#seen.has(j.id)) this.#seen.set(j.id, j);
        this.#d.logger.warn({ err: e }, 'notifications: could not record; trying again');
        setTimeout(() => this.#stopped || this.#record(), POLL_MS).unref();
      }
    });
  }

  async #catchUp(): Promise<void> {
    const saved = await this.#d.store.getMeta(CHECKPOINT_KEY);
    const from = saved ? new Date(Date.parse(saved) - CHECKPOINT_MARGIN_MS).toISOString() : undefined;
    let cursor: number | undefined;
    do {
      if (this.#stopped) return;
      const page = await this.#d.store.listJobs(
        { states: ['done', 'failed', 'running', 'suspended'], ...(from ? { window: { from } } : {}) },
        { limit: 500, ...(cursor === undefined ? {} : { cursor }) },
      );
      for (const job of page.jobs)
        if (job.notify && job.parentId === null && !this.#seen.has(job.id)) this.#seen.set(job.id, job);
      this.#record();
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    await this.#saveCheckpoint();
  }

  /** Every change heard before now is recorded once what is queued now is. */
  async #saveCheckpoint(): Promise<void> {
    const at = this.#now().toISOString();
    await this.#recording;
    if (this.#stopped) return;
    await this.#d.store.setMeta(CHECKPOINT_KEY, at).catch(() => undefined);
  }

  #keepMs(): number {
    return this.#d.config.notifications.keepDays * DAY_MS;
  }

  /** Deletes the deliveries done before the keep time, now and then, in the background. */
  #purgeLater(): void {
    if (this.#stopped) return;
    const every = Math.min(PURGE_MAX_EVERY_MS, Math.max(PURGE_MIN_EVERY_MS, this.#keepMs() / 4));
    this.#purgeTimer = setTimeout(() => {
      this.#purging = this.#purge().finally(() => this.#purgeLater());
    }, every);
    this.#purgeTimer.unref();
  }

  async #purge(): Promise<void> {
    const before = new Date(this.#now().getTime() - this.#keepMs()).toISOString();
    try {
      const deleted = await this.#d.store.purgeNotifications(before);
      if (deleted > 0) this.#d.logger.info({ deleted, before }, 'notifications: purged deliveries done before the keep time');
    } catch (e) {
      this.#d.logger.warn({ err: e }, 'notifications: could not purge the outbox; trying again later');
    }
  }

  #kick(): void {
    if (this.#stopped) return;
    if (this.#delivering !== null) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#delivering = this.#deliverDue()
      .catch((e: unknown) => {
        this.#d.logger.warn({ err: e }, 'notifications: could not read the outbox; trying again');
        return POLL_MS;
      })
      .then((waitMs) => {
        this.#delivering = null;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.#kick();
          return;
        }
        this.#timer = setTimeout(() => this.#kick(), Math.min(waitMs, POLL_MS));
        this.#timer.unref();
      });
  }

  /** Sends what is due; returns how long until the next record falls due. */
  async #deliverDue(): Promise<number> {
    const pending = await this.#d.store.pendingNotifications(BATCH);
    const now = this.#now().getTime();
    const due = pending.filter((r) => Date.parse(r.nextAttemptAt) <= now);
    let next = POLL_MS;
    for (const r of pending) if (!due.includes(r)) next = Math.min(next, Date.parse(r.nextAttemptAt) - now);
    const queue = [...due];
    const worker = async () => {
      for (let r = queue.shift(); r && !this.#stopped; r = queue.shift()) await this.#deliver(r);
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    // A full batch may have more behind it.
    return due.length > 0 && pending.length === BATCH ? 0 : Math.max(0, next);
  }

  async #deliver(r: NotificationRecord): Promise<void> {
    const payload = JSON.parse(r.payload) as WebhookPayload;
    const job = await this.#d.store.getJob(r.jobId);
    const target = r.channel === 'mail' ? job?.notify?.mailUser : job?.notify?.url;
    const attempts = r.attempts + 1;
    const at = this.#now();
    let patch: NotificationPatch;
    try {
      if (target === undefined)
        throw new DeliveryError(`the job no longer names a ${r.channel === 'mail' ? 'mail address' : 'URL'}`, false);
      if (r.channel === 'mail') {
        if (!this.#mail) throw new DeliveryError('this site sends no mail (notifications.smtp is not set)', false);
        await this.#mail.send(target, payload);
      } else {
        if (!this.#webhook)
          throw new DeliveryError('this site sends no webhooks (notifications.webhook.secret is not set)', false);
        await this.#webhook.send(target, r.payload);
      }
      patch = { status: 'sent', attempts, nextAttemptAt: r.nextAttemptAt, lastError: null, doneAt: at.toISOString() };
      this.#d.logger.debug({ jobId: r.jobId, channel: r.channel, to: target, event: payload.event }, 'notification sent');
    } catch (e) {
      const reason = (e as Error).message;
      const retry = e instanceof DeliveryError ? e.retryable : true;
      const max = this.#d.config.notifications.attempts;
      if (retry && attempts < max) {
        const backoff = Math.min(MAX_BACKOFF_MS, this.#d.config.notifications.backoffMs * 2 ** (attempts - 1));
        patch = {
          status: 'pending',
          attempts,
          nextAttemptAt: new Date(at.getTime() + backoff).toISOString(),
          lastError: reason,
          doneAt: null,
        };
        this.#d.logger.info(
          { jobId: r.jobId, channel: r.channel, to: target, attempts, reason, retryInMs: backoff },
          'notification not delivered yet: trying again',
        );
      } else {
        patch = { status: 'failed', attempts, nextAttemptAt: r.nextAttemptAt, lastError: reason, doneAt: at.toISOString() };
        this.#d.logger.error(
          { jobId: r.jobId, channel: r.channel, to: target, attempts, reason, event: payload.event },
          'notification not delivered: given up',
        );
      }
    }
    await this.#d.store.updateNotification(r.id, patch);
  }
}
