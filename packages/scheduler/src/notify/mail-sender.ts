/**
 * Mail through the site's SMTP server (nodemailer), worded as Slurm's: the subject says
 * the job, the event and its outcome, so a mail filter written for Slurm keeps working.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, formatElapsed, type WebhookPayload } from '@godocker/sdk';
import { createTransport, type Transporter } from 'nodemailer';
import type { GodockerConfig } from '../config/config-schema.js';
import { DeliveryError } from './delivery-error.js';

type SmtpConfig = NonNullable<GodockerConfig['notifications']['smtp']>;

/** Slurm's words for how a job ended. */
function outcome(p: WebhookPayload): string {
  if (p.state === 'done') return p.exitCode === 0 ? 'COMPLETED' : 'FAILED';
  if (p.event.includes('time_limit')) return 'TIMEOUT';
  if (/killed by/i.test(p.reason)) return 'CANCELLED';
  return 'FAILED';
}

const seconds = (from: string | null, to: string | null): number =>
  from && to ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) : 0;

/** `GoDocker Job_id=42 Name=x Ended, Run time 00:00:03, COMPLETED, ExitCode 0`, as Slurm's. */
export function mailSubject(p: WebhookPayload): string {
  const head = `GoDocker Job_id=${p.jobId} Name=${p.name}`;
  if (p.event.includes('end')) {
    const verb = p.event.includes('time_limit') ? 'Reached time limit' : p.event.includes('fail') ? 'Failed' : 'Ended';
    return `${head} ${verb}, Run time ${formatElapsed(seconds(p.startedAt, p.endedAt))}, ${outcome(p)}, ExitCode ${p.exitCode ?? 'unknown'}`;
  }
  if (p.event.includes('requeue')) return `${head} Requeued`;
  return `${head} Began, Queued time ${formatElapsed(seconds(p.submittedAt, p.at))}`;
}

export function mailBody(p: WebhookPayload): string {
  const lines: Array<[string, string | number | null]> = [
    ['Job', p.jobId],
    ['Name', p.name],
    ['User', p.user],
    ['Project', p.project],
    ['State', p.state],
    ['ExitCode', p.exitCode],
    ['Reason', p.reason],
    ['At', p.at],
    ['Submitted', p.submittedAt],
    ['Started', p.startedAt],
    ['Ended', p.endedAt],
    ['Node', p.node],
  ];
  return `${lines.map(([k, v]) => `${k}: ${v ?? '-'}`).join('\n')}\n`;
}

export class MailSender {
  readonly #transport: Transporter;
  readonly #from: string;

  constructor(smtp: SmtpConfig, timeoutMs: number) {
    let pass: string | undefined;
    if (smtp.passwordFile) {
      try {
        pass = readFileSync(smtp.passwordFile, 'utf8').trim();
      } catch (e) {
        throw new ConfigError(
          `cannot read notifications.smtp.passwordFile ${smtp.passwordFile}: ${(e as Error).message}`,
          'notifications.smtp.passwordFile',
        );
      }
    }
    this.#from = smtp.from;
    this.#transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user ? { auth: { user: smtp.user, ...(pass === undefined ? {} : { pass }) } } : {}),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(to: string, payload: WebhookPayload): Promise<void> {
    try {
      await this.#transport.sendMail({ from: this.#from, to, subject: mailSubject(payload), text: mailBody(payload) });
    } catch (e) {
      const code = (e as { responseCode?: unknown }).responseCode;
      // A 5xx reply is the server's refusal (no such mailbox, relay denied); anything else may pass later.
      const refused = typeof code === 'number' && code >= 500;
      throw new DeliveryError(`SMTP: ${(e as Error).message}`, !refused);
    }
  }
}
