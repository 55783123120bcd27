/** Why one delivery attempt failed, and whether another attempt may do better. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** false for a refusal (SMTP 5xx, HTTP 4xx): the same request would be refused again. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
