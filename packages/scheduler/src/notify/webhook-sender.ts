/**
 * The webhook: a JSON POST signed as Stripe's and GitHub's are, so a receiver can check
 * that the daemon sent it and that it is fresh:
 * `X-GoDocker-Signature: t=UNIX_SECONDS,v1=HEX(HMAC-SHA256(secret, t + "." + body))`.
 */
import { createHmac } from 'node:crypto';
import { SIGNATURE_HEADER, VERSION } from '@godocker/sdk';
import { Agent, request } from 'undici';
import type { GodockerConfig } from '../config/config-schema.js';
import { readSecretFile } from '../config/secret-file.js';
import { DeliveryError } from './delivery-error.js';
import { WebhookTargetRefused, type WebhookTargets } from './webhook-targets.js';

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
  readonly #targets: WebhookTargets;

  constructor(secret: string, timeoutMs: number, now: () => Date, targets: WebhookTargets) {
    this.#secret = secret;
    this.#timeoutMs = timeoutMs;
    this.#now = now;
    this.#targets = targets;
  }

  async send(target: string, body: string): Promise<void> {
    const url = new URL(target);
    // Checked again at each delivery: the config may have changed since the submit.
    const refusal = this.#targets.hostRefusal(url) ?? this.#targets.addressLiteralRefusal(url);
    if (refusal !== null) throw new DeliveryError(`POST ${target}: refused: ${refusal}`, false);
    const t = Math.floor(this.#now().getTime() / 1000);
    // One connection per delivery, opened only to an address the lookup checked (an address
    // literal is never looked up: checked above).
    const dispatcher = new Agent({ connect: { lookup: this.#targets.lookupFor(url) }, pipelining: 0 });
    try {
      // undici's request follows no redirect: a 3xx is an answer (and a failed delivery), so a
      // receiver cannot send the daemon on to an address it refuses.
      const response = await request(url, {
        method: 'POST',
        dispatcher,
        headers: {
          'content-type': 'application/json',
          'user-agent': `GoDocker/${VERSION}`,
          [SIGNATURE_HEADER]: signBody(this.#secret, t, body),
        },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      // The body is not read: only the status matters, and a receiver's page must not be buffered.
      response.body.on('error', () => undefined).destroy();
      const status = response.statusCode;
      if (status >= 200 && status < 300) return;
      const retryable = status >= 500 || status === 429 || status === 408;
      throw new DeliveryError(
        `POST ${target}: HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`,
        retryable,
      );
    } catch (e) {
      if (e instanceof DeliveryError) throw e;
      const refused = refusedBy(e);
      if (refused) throw new DeliveryError(`POST ${target}: refused: ${refused.message}`, false);
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new DeliveryError(`POST ${target}: ${(e as Error).message}${cause ? ` (${cause})` : ''}`, true);
    } finally {
      await dispatcher.close().catch(() => undefined);
    }
  }
}

/** The policy's refusal inside what undici threw (it may wrap the lookup's error). */
function refusedBy(e: unknown): WebhookTargetRefused | null {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 4; x = x.cause, depth++)
    if (x instanceof WebhookTargetRefused) return x;
  return null;
}
