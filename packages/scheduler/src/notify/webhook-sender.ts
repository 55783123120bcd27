/**
 * The webhook: a JSON POST signed as Stripe's and GitHub's are, so a receiver can check
 * that the daemon sent it and that it is fresh:
 * `X-GoDocker-Signature: t=UNIX_SECONDS,v1=HEX(HMAC-SHA256(secret, t + "." + body))`.
 */
import { createHmac } from 'node:crypto';
import { SIGNATURE_HEADER, VERSION } from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import { readSecretFile } from '../config/secret-file.js';
import { DeliveryError } from './delivery-error.js';

type WebhookConfig = GodockerConfig['notifications']['webhook'];

/** The signature header's value for `body` sent at `unixSeconds`. */
export function signBody(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** The site's secret, or null when webhooks are not set up. */
export function webhookSecret(config: WebhookConfig): string | null {
  if (config.secret !== undefined) return config.secret;
  if (config.secretFile === undefined) return null;
  return readSecretFile(config.secretFile, 'notifications.webhook.secretFile', 16);
}

export class WebhookSender {
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #now: () => Date;

  constructor(secret: string, timeoutMs: number, now: () => Date) {
    this.#secret = secret;
    this.#timeoutMs = timeoutMs;
    this.#now = now;
  }

  async send(url: string, body: string): Promise<void> {
    const t = Math.floor(this.#now().getTime() / 1000);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': `GoDocker/${VERSION}`,
          [SIGNATURE_HEADER]: signBody(this.#secret, t, body),
        },
        body,
        // A redirect could lead past notifications.webhook.allowedHosts: it is an answer, not followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new DeliveryError(`POST ${url}: ${(e as Error).message}${cause ? ` (${cause})` : ''}`, true);
    }
    // The body is not read: only the status matters, and a receiver's page must not be buffered.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return;
    const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
    throw new DeliveryError(`POST ${url}: HTTP ${response.status}`, retryable);
  }
}
