/**
 * One error base class with a stable `code`, one table of codes, one mapper to HTTP. Scripts report failure
 * with string outcomes that the typed wrappers in `ops/` turn into these errors; routes never invent codes.
 */

/** Every error code Offload can raise, with the HTTP status and problem `title` it maps to. */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: "Request validation failed" },
  malformed_json: { status: 400, title: "Malformed JSON body" },
  forbidden_destination: { status: 400, title: "Destination not allowed" },
  unauthorized: { status: 401, title: "Missing or unknown API key" },
  forbidden: { status: 403, title: "This key may not use this route" },
  not_found: { status: 404, title: "Not found" },
  unknown_job: { status: 404, title: "Unknown job name" },
  job_not_found: { status: 404, title: "Job not found" },
  job_not_cancellable: { status: 409, title: "Job can no longer be cancelled" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  idempotency_conflict: { status: 422, title: "Idempotency key reused with a different payload" },
  rate_limited: { status: 429, title: "Too many requests" },
  redis_unavailable: { status: 503, title: "Queue storage unavailable" },
  internal: { status: 500, title: "Internal error" },
  invalid_config: { status: 500, title: "Invalid configuration" },
  invalid_job: { status: 500, title: "Invalid job in storage" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

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
    readonly details: { issues?: ProblemIssue[]; retryAfterSeconds?: number; cause?: unknown } = {},
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
