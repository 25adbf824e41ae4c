/**
 * One error base class with a stable `code`, one table of codes, one mapper to HTTP, and the one place where a
 * script's refusal becomes a typed error (`outcomeError`, from `OUTCOME_CODES`). Scripts answer with string
 * outcomes (`missing`, `conflict`) that the wrappers in `ops/` return as unions; callers hand a refusal to
 * `outcomeError` and throw what it builds. The constructors below (`unknownJob`, `jobNotFound`,
 * `redisUnavailable`) are the other errors several callers raise, built once so their codes and wording cannot
 * drift; routes never pick a code themselves.
 */
import type { JobState } from "./record";

/** Every error code Offload can raise, with the HTTP status and problem `title` it maps to. */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: "Request validation failed" },
  malformed_json: { status: 400, title: "Malformed JSON body" },
  forbidden_destination: { status: 400, title: "Destination not allowed" },
  unauthorized: { status: 401, title: "Missing or unknown API key" },
  forbidden: { status: 403, title: "This key may not use this route" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed on this path" },
  unknown_job: { status: 404, title: "Unknown job name" },
  unknown_event: { status: 404, title: "Unknown event name" },
  job_not_found: { status: 404, title: "Job not found" },
  job_not_cancellable: { status: 409, title: "Job can no longer be cancelled" },
  job_not_retryable: { status: 409, title: "Only a dead or cancelled job can be retried" },
  job_not_promotable: { status: 409, title: "Only a delayed job can be promoted" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  idempotency_conflict: { status: 422, title: "Idempotency key reused with a different payload" },
  rate_limited: { status: 429, title: "Too many requests" },
  redis_unavailable: { status: 503, title: "Queue storage unavailable" },
  not_replicated: { status: 503, title: "Not acknowledged by enough replicas" },
  internal: { status: 500, title: "Internal error" },
  invalid_config: { status: 500, title: "Invalid configuration" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The code a bare HTTP status means when a library raises it without one (Hono's JSON validator answers 400 for
 * a body that does not parse, hence malformed_json). Statuses shared by several codes map to the generic one.
 */
export const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: "malformed_json",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "redis_unavailable",
};

export interface ProblemIssue {
  path: string;
  message: string;
}

/**
 * @example
 * throw new OffloadError("unknown_job", `No job named "${name}"`);
 */
export class OffloadError extends Error {
  override readonly name = "OffloadError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      issues?: ProblemIssue[];
      retryAfterSeconds?: number;
      /** The job's current state, for a 409: what it is instead of what the move needed. */
      state?: JobState;
      /** Methods the path does answer, for a 405 (`Allow`). */
      allow?: string[];
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** RFC 9457 problem details body for an error code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: ProblemIssue[];
  /** A 409's current state of the job. */
  state?: JobState;
}

/**
 * The one mapper from errors to problem+json bodies. Unknown errors become a 500 with no internals leaked.
 * @example
 * const body = toProblem(new OffloadError("not_found", "no such route"));
 */
export function toProblem(error: unknown): Problem {
  const known = error instanceof OffloadError ? error : new OffloadError("internal", "Unexpected error");
  const { status, title } = ERROR_CODES[known.code];
  return {
    type: `https://offload.dev/problems/${known.code.replaceAll("_", "-")}`,
    title,
    status,
    detail: known.message,
    code: known.code,
    ...(known.details.issues ? { errors: known.details.issues } : {}),
    ...(known.details.state ? { state: known.details.state } : {}),
  };
}

/** zod issues → `{ path, message }` with dotted paths (`items.3.data.url`), the shape our problems carry. */
export function issuesFrom(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix: readonly PropertyKey[] = [],
): ProblemIssue[] {
  return issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join("."),
    message: issue.message,
  }));
}

/** A name or id as it may appear in a message: quoted, and cut short (it came from the request). */
const quote = (text: string) => JSON.stringify(text.slice(0, 100));

/**
 * @example
 * throw unknownJob("send-receipt"); // 404 unknown_job: No job named "send-receipt"
 */
export function unknownJob(name: string): OffloadError {
  return new OffloadError("unknown_job", `No job named ${quote(name)}`);
}

/**
 * @example
 * throw unknownEvent("order-shipped"); // 404 unknown_event: No event named "order-shipped"
 */
export function unknownEvent(name: string): OffloadError {
  return new OffloadError("unknown_event", `No event named ${quote(name)}`);
}

/**
 * @example
 * throw jobNotFound("webhook.mfz3k2x9q1a8b7c6"); // 404 job_not_found
 */
export function jobNotFound(id: string): OffloadError {
  return new OffloadError("job_not_found", `No job ${quote(id)} (unknown or expired)`);
}

/**
 * Redis (or the REST endpoint in front of it) failed or did not answer: 503 with Retry-After. Built here only,
 * for the storage client and the rate limiter alike.
 * @example
 * throw redisUnavailable(error); // 503 redis_unavailable, Retry-After: 2
 */
export function redisUnavailable(cause: unknown, retryAfterSeconds = 2): OffloadError {
  return new OffloadError("redis_unavailable", "Queue storage is unavailable; retry shortly", { retryAfterSeconds, cause });
}

/**
 * ENQUEUE_REPLICAS: the enqueue ran on the master but fewer replicas than asked acknowledged it in time, so a
 * failover now could lose it. Retrying with the same Idempotency-Key answers the same job (and waits again).
 * @example
 * throw notReplicated(0, 1); // 503 not_replicated, Retry-After: 2
 */
export function notReplicated(acknowledged: number, wanted: number, retryAfterSeconds = 2): OffloadError {
  return new OffloadError(
    "not_replicated",
    `Written, but ${acknowledged} of the ${wanted} replicas required acknowledged it in time; retry with the same Idempotency-Key`,
    { retryAfterSeconds },
  );
}

/** A script's refusal: the job is not there, or it is in a state the operation cannot start from. */
export type Refusal = { outcome: "missing" } | { outcome: "conflict"; state?: JobState };

/** What each refusal of each operation means. Only operations that can refuse are listed. */
export const OUTCOME_CODES = {
  enqueue: { conflict: "idempotency_conflict" },
  cancel: { missing: "job_not_found", conflict: "job_not_cancellable" },
  retry: { missing: "job_not_found", conflict: "job_not_retryable" },
  promote: { missing: "job_not_found", conflict: "job_not_promotable" },
} as const satisfies Record<string, Partial<Record<Refusal["outcome"], ErrorCode>>>;

export type RefusingOperation = keyof typeof OUTCOME_CODES;

const CONFLICT_DETAIL: Record<RefusingOperation, (id: string, state: string) => string> = {
  enqueue: (id) => `Idempotency-Key was already used for job ${id} with a different payload`,
  cancel: (id, state) => `Job ${id} is ${state}; only waiting or delayed jobs can be cancelled`,
  retry: (id, state) => `Job ${id} is ${state}; only dead or cancelled jobs can be retried`,
  promote: (id, state) => `Job ${id} is ${state}; only delayed jobs can be promoted`,
};

/**
 * The one mapper from a script's refusal to a typed error.
 * @example
 * const moved = await retryJob(runner, keys, localId);
 * if (moved.outcome !== "moved") throw outcomeError("retry", moved, id); // 404 or 409 with `state`
 */
export function outcomeError(operation: RefusingOperation, refusal: Refusal, id: string): OffloadError {
  const codes: Partial<Record<Refusal["outcome"], ErrorCode>> = OUTCOME_CODES[operation];
  const code = codes[refusal.outcome];
  if (code === undefined) return new OffloadError("internal", `${operation} cannot answer ${refusal.outcome}`);
  if (refusal.outcome === "missing") return jobNotFound(id);
  const state = refusal.state;
  return new OffloadError(code, CONFLICT_DETAIL[operation](id, state ?? "in another state"), state ? { state } : {});
}
