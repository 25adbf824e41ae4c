/**
 * The one error handler: every error becomes an RFC 9457 `application/problem+json` response built by the
 * shared `toProblem`, with the headers its code calls for (Retry-After, WWW-Authenticate). Unknown errors are a
 * 500 whose body says nothing about internals; the stack goes to the log only.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { OffloadError, STATUS_CODES, toProblem } from "../../../shared/src/index";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface ProblemHandlerOptions {
  /** Where unexpected errors and storage failures are reported. Never given request headers or bodies. */
  log?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * Maps anything thrown to an OffloadError; unknown errors become `internal`.
 * @example
 * toOffloadError(new HTTPException(415)).code // "unsupported_media_type"
 */
export function toOffloadError(error: unknown): OffloadError {
  if (error instanceof OffloadError) return error;
  if (error instanceof HTTPException) {
    // Hono and @hono/zod-openapi raise HTTPException themselves in a few places (the JSON validator on a body
    // that does not parse, its media-type gate): a bare status, mapped through the shared table.
    const code = STATUS_CODES[error.status];
    if (code) return new OffloadError(code, error.message || String(error.status), { cause: error });
  }
  // Recursive schemas (a webhook's `body: z.json()`) validate by recursion: a body nested a few thousand levels
  // deep, small enough to pass the size limit, overflows the stack. That is the client's input, not our fault.
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new OffloadError("validation_failed", "JSON body is nested too deeply to validate", {
      issues: [{ path: "", message: "nested too deeply" }],
      cause: error,
    });
  }
  return new OffloadError("internal", "Unexpected error", { cause: error });
}

/**
 * Builds the problem+json response for an error, with the headers its code calls for.
 * @example
 * problemResponse(new OffloadError("rate_limited", "slow down", { retryAfterSeconds: 5 })) // 429, Retry-After: 5
 */
export function problemResponse(error: OffloadError): Response {
  const headers = new Headers({ "Content-Type": PROBLEM_CONTENT_TYPE, "Cache-Control": "no-store" });
  if (error.details.retryAfterSeconds !== undefined) {
    headers.set("Retry-After", String(Math.max(1, Math.ceil(error.details.retryAfterSeconds))));
  }
  if (error.code === "unauthorized") headers.set("WWW-Authenticate", 'Bearer realm="offload"');
  if (error.details.allow) headers.set("Allow", error.details.allow.join(", "));
  return new Response(JSON.stringify(toProblem(error)), { status: error.status, headers });
}

/** Logs the message of a cause, not the request: an Upstash error embeds the whole command (payloads). */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  return cause.message.split(", command was:")[0]!.slice(0, 300);
}

const defaultLog: NonNullable<ProblemHandlerOptions["log"]> = (message, details) =>
  console.error(JSON.stringify({ level: "error", message, ...details }));

/**
 * @example
 * app.onError(problemHandler());
 */
export function problemHandler(options: ProblemHandlerOptions = {}): ErrorHandler {
  const log = options.log ?? defaultLog;
  return function onError(error: unknown, c: Context) {
    const offload = toOffloadError(error);
    if (offload.code === "internal") {
      log("unexpected error", { path: c.req.path, error: error instanceof Error ? error.stack : String(error) });
    } else if (offload.code === "redis_unavailable" || offload.code === "invalid_config") {
      const cause = offload.details.cause;
      log(offload.message, { code: offload.code, path: c.req.path, ...(cause === undefined ? {} : { cause: describeCause(cause) }) });
    }
    return problemResponse(offload);
  };
}

export interface ProblemNotFoundOptions {
  /** The methods a path does answer; when it answers some, the reply is 405 with `Allow` instead of 404. */
  allowed?: (path: string) => string[];
}

/**
 * @example
 * app.notFound(problemNotFound({ allowed: allowedMethods(() => app.routes) }));
 */
export function problemNotFound(options: ProblemNotFoundOptions = {}): NotFoundHandler {
  return function notFound(c: Context) {
    const allow = options.allowed?.(c.req.path) ?? [];
    if (allow.length > 0) {
      return problemResponse(
        new OffloadError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(", ")}`, { allow }),
      );
    }
    return problemResponse(new OffloadError("not_found", `No route for ${c.req.method} ${c.req.path}`));
  };
}
