/**
 * Which notifications a job's history calls for, as a pure function of the job: the
 * leader records them from any event of the job, and again after a restart, and the
 * outbox keeps each once (its id is the job, the history entry and the channel). An
 * event missed while no leader listened is so found again at the job's next change.
 */
import { isTerminal, type Job, type MailEvent, type Transition, type WebhookPayload } from '@godocker/sdk';
import type { NotificationChannel, NotificationRecord } from '../store/store.js';

const TIME_LIMIT = /time limit/i;

/** The mail types a history entry stands for (its previous entry tells a requeue from a submit). */
export function eventsOf(entry: Transition, previous: Transition | undefined, job: Job): MailEvent[] {
  const out: MailEvent[] = [];
  if (entry.state === 'running' && previous?.state !== 'suspended') out.push('begin');
  if (entry.state === 'pending' && (previous?.state === 'running' || previous?.state === 'suspended')) out.push('requeue');
  if (isTerminal(entry.state)) {
    out.push('end');
    const code = job.status.exitCode;
    if (entry.state === 'failed' || (code !== null && code !== 0)) out.push('fail');
    if (entry.state === 'failed' && TIME_LIMIT.test(entry.reason)) out.push('time_limit');
  }
  return out;
}

/**
 * The outbox records `job` calls for so far (none for an array task: its parent tells for it).
 * History entries before `since` are passed over: their deliveries, done, may have been purged,
 * and recording them again would send them again.
 */
export function notificationsOf(job: Job, now: Date, since: Date): NotificationRecord[] {
  const notify = job.notify;
  if (!notify || job.parentId !== null) return [];
  const channels: NotificationChannel[] = [];
  if (notify.mailUser !== undefined) channels.push('mail');
  if (notify.url !== undefined) channels.push('webhook');
  const out: NotificationRecord[] = [];
  const history = job.status.history;
  for (const [i, entry] of history.entries()) {
    // Sent when it stands for one event asked for; told as all it stands for (an end that failed says so).
    if (Date.parse(entry.at) < since.getTime()) continue;
    const events = eventsOf(entry, history[i - 1], job);
    if (!events.some((e) => notify.events.includes(e))) continue;
    const payload = JSON.stringify(payloadOf(job, i, entry, events));
    const createdAt = now.toISOString();
    for (const channel of channels) {
      out.push({
        id: `${job.id}:${i}:${channel}`,
        jobId: job.id,
        channel,
        payload,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: createdAt,
        lastError: null,
        createdAt,
        doneAt: null,
      });
    }
  }
  return out;
}

function payloadOf(job: Job, index: number, entry: Transition, events: MailEvent[]): WebhookPayload {
  const terminal = isTerminal(entry.state);
  return {
    id: `${job.id}:${index}`,
    event: events,
    jobId: job.id,
    name: job.meta.name,
    user: job.user.name,
    project: job.project,
    state: entry.state,
    exitCode: terminal ? job.status.exitCode : null,
    reason: entry.reason,
    at: entry.at,
    submittedAt: job.status.submittedAt,
    startedAt: entry.state === 'pending' ? null : job.status.startedAt,
    endedAt: terminal ? job.status.endedAt : null,
    node: job.status.node,
  };
}
