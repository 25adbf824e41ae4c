/**
 * zod failures → the `validation_failed` problem. Paths are dotted and relative to the JSON body (`url`,
 * `3.data.url` in a batch); query parameters and headers are prefixed with where they came from
 * (`query.delay`, `header.idempotency-key`), so a client can tell `?delay=` from a payload field named delay.
 */
import type { Hook } from "@hono/zod-openapi";
import { issuesFrom, OffloadError, type ProblemIssue } from "../../shared/src/index";

interface ZodIssueLike {
  code?: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

const PREFIX: Record<string, PropertyKey[]> = { json: [], query: ["query"], header: ["header"], param: ["param"] };

/**
 * zod issues → problem issues. Unknown keys become one issue per key at that key's path, not one at the parent.
 * @example
 * problemIssues(EnqueueQuerySchema.safeParse({ dealy: "1h" }).error!.issues, ["query"])
 * // [{ path: "query.dealy", message: "is not a known option" }]
 */
export function problemIssues(issues: readonly ZodIssueLike[], prefix: readonly PropertyKey[] = []): ProblemIssue[] {
  return issues.flatMap((issue) =>
    issue.code === "unrecognized_keys" && issue.keys?.length
      ? issue.keys.map((key) => ({
          path: [...prefix, ...issue.path, key].map(String).join("."),
          message: prefix[0] === "query" ? "is not a known option" : "is not an allowed field",
        }))
      : issuesFrom([issue], prefix),
  );
}

/**
 * @example
 * throw validationError(result.error.issues, ["query"]);
 */
export function validationError(issues: readonly ZodIssueLike[], prefix: readonly PropertyKey[] = []): OffloadError {
  const list = problemIssues(issues, prefix);
  const first = list[0];
  const summary = first ? `${first.path || "body"}: ${first.message}` : "invalid request";
  const more = list.length > 1 ? ` (and ${list.length - 1} more)` : "";
  return new OffloadError("validation_failed", `${summary}${more}`, { issues: list });
}

/** The `defaultHook` for every OpenAPI route: a failed validation throws, and onError renders it. */
export const validationHook: Hook<unknown, any, string, unknown> = (result) => {
  if (!result.success) throw validationError(result.error.issues, PREFIX[result.target] ?? [result.target]);
};
