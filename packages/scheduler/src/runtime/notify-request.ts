/**
 * A submission's `notify` checked against the site's notification config: which events,
 * to which address, to which URL. Refused with the field at fault, never stored half-valid:
 * an address or URL that cannot be delivered to is told to the submitter now, not lost later.
 */
import {
  DEFAULT_MAIL_TYPES,
  ErrorCodes,
  mailEvents,
  type Notify,
  type NotifySubmit,
  type User,
  ValidationError,
} from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import { webhookTargets } from '../notify/webhook-targets.js';

// One address, nothing a mail header could be split on (no spaces, commas, angle brackets, CR/LF).
const MAIL_ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The user's own address when the site keeps one (an LDAP `mail`, for one); else undefined. */
export function mailOf(user: User): string | undefined {
  const mail = (user as User & { mail?: unknown }).mail;
  return typeof mail === 'string' && MAIL_ADDRESS.test(mail) ? mail : undefined;
}

/** What the job keeps, or undefined when it asks to be told nothing. */
export function resolveNotify(asked: NotifySubmit | undefined, user: User, config: GodockerConfig): Notify | undefined {
  if (asked === undefined) return undefined;
  const events = mailEvents(asked.mailTypes ?? DEFAULT_MAIL_TYPES);
  if (events.length === 0) return undefined;
  const out: Notify = { events };
  if (asked.url !== undefined) out.url = checkUrl(asked.url, config);
  // A webhook alone needs no address; mail types with neither go to the user's own one.
  const mailUser = asked.mailUser ?? (out.url === undefined || asked.mailTypes ? mailOf(user) : undefined);
  if (mailUser !== undefined) out.mailUser = checkAddress(mailUser, asked.mailUser === undefined, config);
  else if (out.url === undefined) {
    throw new ValidationError(
      `GoDocker knows no mail address for user ${user.name}: give one with --mail-user (notify.mailUser), or a webhook with --notify-url`,
      'notify.mailUser',
    );
  }
  return out;
}

function checkAddress(address: string, own: boolean, config: GodockerConfig): string {
  if (!MAIL_ADDRESS.test(address)) {
    throw new ValidationError(`"${address}" is not a mail address: write one address, as name@example.org`, 'notify.mailUser');
  }
  if (!config.notifications.smtp) {
    throw new ValidationError(
      `this site sends no email (notifications.smtp is not set): ${own ? 'ask for no mail types' : 'leave out --mail-user (DRMAA: the email attribute)'}, or ask an admin to set it up; --notify-url may work`,
      'notify.mailUser',
    );
  }
  return address;
}

function checkUrl(text: string, config: GodockerConfig): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError(`"${text}" is not a URL: write e.g. https://example.org/hooks/godocker`, 'notify.url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError(`notify.url must be http:// or https://, not ${url.protocol}//`, 'notify.url');
  }
  // The job document is shown to whoever may see the job: no secret belongs in it.
  if (url.username !== '' || url.password !== '') {
    throw new ValidationError(
      'notify.url may not carry a user or password: the signature authenticates the daemon',
      'notify.url',
    );
  }
  const webhook = config.notifications.webhook;
  if (webhook.secret === undefined && webhook.secretFile === undefined) {
    throw new ValidationError(
      'this site sends no webhooks (notifications.webhook.secret is not set): ask an admin, or use --mail-user',
      'notify.url',
    );
  }
  const targets = webhookTargets(config);
  const hostRefusal = targets.hostRefusal(url);
  if (hostRefusal !== null) throw new ValidationError(hostRefusal, 'notify.url');
  const refusal = targets.literalRefusal(url);
  if (refusal !== null) throw new ValidationError(refusal, 'notify.url', ErrorCodes.WEBHOOK_TARGET_REFUSED);
  return url.toString();
}
