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

/** The longest back-pressure pause one RateLimitedError can ask for. */
export const MAX_RATE_LIMITED_MS = 3_600_000;

/**
 * The service this job calls is rate-limiting us: pause the whole queue for `retryAfterMs` (capped at one hour)
 * across every worker, and put this job back in line without spending an attempt, instead of retrying it alone
 * while its siblings keep hitting the same wall. Jobs already running go on; none starts until the pause ends.
 * @example
 * if (response.status === 429) throw new RateLimitedError(30_000);
 */
export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, message?: string) {
    const ms = Number.isFinite(retryAfterMs) ? Math.min(Math.max(0, Math.round(retryAfterMs)), MAX_RATE_LIMITED_MS) : 0;
    super(message ?? `rate limited: retry after ${ms} ms`);
    this.retryAfterMs = ms;
  }
}

/**
 * A thrown value as it crosses a thread boundary (thread-entry.ts → thread-pool.ts): plain data that survives
 * structured cloning, with the class it had, so the main thread can rebuild the error that steers the outcome.
 */
export interface ThreadFailure {
  kind: "unrecoverable" | "retryAfter" | "rateLimited" | "error";
  name: string;
  message: string;
  stack?: string;
  retryAfterMs?: number;
}

/** @example describeJobError(new RateLimitedError(5_000)) // { kind: "rateLimited", retryAfterMs: 5000, … } */
export function describeJobError(thrown: unknown): ThreadFailure {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const base = { name: error.name, message: error.message, stack: error.stack };
  if (error instanceof UnrecoverableError) return { kind: "unrecoverable", ...base };
  if (error instanceof RetryAfterError) return { kind: "retryAfter", ...base, retryAfterMs: error.retryAfterMs };
  if (error instanceof RateLimitedError) return { kind: "rateLimited", ...base, retryAfterMs: error.retryAfterMs };
  return { kind: "error", ...base };
}

/** The error describeJobError described, of the same class and with the thread's stack. */
export function rebuildJobError(failure: ThreadFailure): Error {
  let error: Error;
  if (failure.kind === "unrecoverable") error = new UnrecoverableError(failure.message);
  else if (failure.kind === "retryAfter") error = new RetryAfterError(failure.message, failure.retryAfterMs ?? 0);
  else if (failure.kind === "rateLimited") error = new RateLimitedError(failure.retryAfterMs ?? 0, failure.message);
  else {
    error = new Error(failure.message);
    error.name = failure.name;
  }
  if (failure.stack !== undefined) error.stack = failure.stack;
  return error;
}
