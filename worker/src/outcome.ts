/**
 * The closed set of ways a run can end, and the one function that turns each into a settlement for Redis.
 * Nothing else decides between retry and dead.
 *
 *   completed       → record completed, result kept for the job type's retention
 *   failed          → retry after backoff (full jitter, or the handler's Retry-After if longer) until
 *                     maxAttempts, then dead with reason "max_attempts"
 *   unrecoverable   → dead at once (UnrecoverableError, payload failing its schema, unknown job name)
 *   interrupted     → back to the front of the wait list with the attempt given back (shutdown)
 *   poison          → an entry or record that cannot be read at all: dead at once with the reason and raw text
 */
import { backoffDelay } from "../../shared/src/backoff";
import type { JobEnvelope } from "../../shared/src/envelope";
import { isLocalId, newLocalId } from "../../shared/src/ids";
import { JOB_DEFAULTS, type JobDefinition } from "../../shared/src/job-definition";
import type { StoredError } from "../../shared/src/record";
import type { Settlement } from "../../shared/src/ops/settle";

export type RunOutcome =
  | { kind: "completed"; result: unknown }
  | { kind: "failed"; error: Error; retryAfterMs?: number }
  | { kind: "unrecoverable"; error: Error; reason: string }
  | { kind: "interrupted" }
  | { kind: "poison"; reason: string; message: string; raw: string };

export const MAX_RESULT_BYTES = 64 * 1024;
const MAX_STACK_CHARS = 2_000;
const MAX_RAW_CHARS = 1_000;

export interface SettleTarget {
  entry: string;
  envelope?: JobEnvelope;
  definition?: JobDefinition;
}

function storedError(error: Error, reason?: string): string {
  const stored: StoredError = { message: error.message || error.name };
  if (error.stack) stored.stack = error.stack.slice(0, MAX_STACK_CHARS);
  if (reason) stored.reason = reason;
  return JSON.stringify(stored);
}

/** Results are kept, but bounded: a huge result would bloat every status read and Redis memory. */
export function resultJson(result: unknown): string {
  const json = JSON.stringify(result ?? null) ?? "null";
  return json.length <= MAX_RESULT_BYTES ? json : JSON.stringify({ truncated: true, bytes: json.length });
}

/**
 * @example
 * planSettlement({ kind: "failed", error }, target, Date.now()) // { kind: "retry", runAt: …, … }
 */
export function planSettlement(outcome: RunOutcome, target: SettleTarget, now: number): Settlement {
  const { entry, envelope, definition } = target;
  const retention = definition?.retention ?? JOB_DEFAULTS.retention;
  const base = { entry, recordId: entry, runAt: 0, ttlMs: retention.completedMs };
  switch (outcome.kind) {
    case "completed":
      return { ...base, kind: "completed", payload: resultJson(outcome.result) };
    case "interrupted":
      return { ...base, kind: "handBack", payload: "" };
    case "unrecoverable":
      return { ...base, kind: "dead", payload: storedError(outcome.error, outcome.reason), ttlMs: retention.deadMs };
    case "poison": {
      // An entry that is not even a valid id gets a fresh record id, so its dead-letter is readable by id.
      const recordId = isLocalId(entry) ? entry : newLocalId(now);
      const stored: StoredError = { message: outcome.message, reason: outcome.reason, raw: outcome.raw.slice(0, MAX_RAW_CHARS) };
      return { ...base, recordId, kind: "dead", payload: JSON.stringify(stored), ttlMs: retention.deadMs };
    }
    case "failed": {
      const attempt = envelope?.attempt ?? 1;
      const maxAttempts = envelope?.maxAttempts ?? 1;
      if (attempt >= maxAttempts) {
        return { ...base, kind: "dead", payload: storedError(outcome.error, "max_attempts"), ttlMs: retention.deadMs };
      }
      const policy = {
        baseMs: envelope?.options.backoffMs ?? definition?.backoff.baseMs ?? JOB_DEFAULTS.backoff.baseMs,
        maxMs: definition?.backoff.maxMs ?? JOB_DEFAULTS.backoff.maxMs,
      };
      const delay = Math.max(backoffDelay(policy, attempt), outcome.retryAfterMs ?? 0);
      return { ...base, kind: "retry", payload: storedError(outcome.error), runAt: now + delay };
    }
  }
}
