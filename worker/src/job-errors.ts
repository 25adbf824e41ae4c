/**
 * Errors a handler throws to steer what happens next. Anything else thrown counts as a failed attempt and is
 * retried with the job type's backoff until maxAttempts.
 */

/**
 * The job can never succeed (bad input, a 4xx the receiver will repeat forever): dead-letter it now.
 * @example
 * if (response.status === 410) throw new UnrecoverableError(`receiver answered 410 Gone`);
 */
export class UnrecoverableError extends Error {
  override readonly name = "UnrecoverableError";
}

/**
 * Retry, but not before `retryAfterMs` (e.g. a receiver's `Retry-After`). The backoff delay is used if longer.
 * @example
 * throw new RetryAfterError("receiver answered 429", 30_000);
 */
export class RetryAfterError extends Error {
  override readonly name = "RetryAfterError";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}
