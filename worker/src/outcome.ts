/**
 * The closed set of ways a run can end, and the one function that turns each into a settlement for Redis.
 * Nothing else decides between retry and dead.
 *
 *   completed       → record completed, result kept for the job type's retention
 *   failed          → retry after backoff (full jitter, or the handler's Retry-After if longer) until
 *                     maxAttempts, then dead with reason "max_attempts"
 *   unrecoverable   → dead at once (UnrecoverableError, payload failing its schema, unknown job name)
 *   handBack        → hand back: first in line again with the attempt given back (shutdown)
 *   throttled       → hand back as above, and no job of the queue (of its group, for a grouped job) starts before
 *                     retryAfterMs has passed, on any worker (RateLimitedError, a webhook's 429 with Retry-After:
 *                     back-pressure, flow_gate.lua); past FREE_THROTTLES throttled runs of one job, planned as
 *                     failed (an attempt spent)
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
  | { kind: "handBack" }
  /** `throttles`: the job's throttled runs so far, this one included (count_throttle.lua); unknown = free. */
  | { kind: "throttled"; retryAfterMs: number; error?: Error; throttles?: number }
  | { kind: "poison"; reason: string; message: string; raw: string };

/**
 * How many throttled runs one job gets without spending an attempt. A throttle means "not now", not "no", so it
 * costs nothing — but a receiver that answers 429 to everything would then keep a job alive forever. From the
 * run after these on, each throttle spends an attempt like a failure with Retry-After: the job is retried no
 * sooner than the pause it was asked for, and dead-lettered (max_attempts) once its attempts are spent. Such a
 * run does not pause the queue; its siblings' throttles still do. 20 is far more than a job meets while a
 * backlog drains against a real rate limit (a handed-back job is first in line, so it usually runs in the next
 * window), and at the usual second-scale Retry-After it gives up on an always-429 receiver within minutes.
 */
export const FREE_THROTTLES = 20;

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

/** The error a throttle past FREE_THROTTLES is recorded with: how many, and what the handler said. */
function overThrottled(outcome: { error?: Error; throttles?: number }): Error {
  const said = outcome.error?.message ?? "rate limited";
  const error = new Error(`throttled ${outcome.throttles} times (only ${FREE_THROTTLES} spend no attempt): ${said}`);
  if (outcome.error?.stack) error.stack = outcome.error.stack;
  return error;
}

/** Results are kept, but bounded: a huge result would bloat every status read and Redis memory. */
export function resultJson(result: unknown): string {
  const json = JSON.stringify(result ?? null) ?? "null";
  return json.length <= MAX_RESULT_BYTES ? json : JSON.stringify({ truncated: true, bytes: json.length });
}

/**
 * `runMs` is how long the handler ran; give it only when a handler did run (not for poison or an unknown job),
 * so the run-time history is not diluted by zeros. A hand back never carries it: the attempt does not count.
 * @example
 * planSettlement({ kind: "failed", error }, target, Date.now(), 12) // { kind: "retry", runAt: …, runMs: 12, … }
 */
export function planSettlement(outcome: RunOutcome, target: SettleTarget, now: number, runMs?: number): Settlement {
  if (outcome.kind === "throttled" && (outcome.throttles ?? 0) > FREE_THROTTLES) {
    return planSettlement({ kind: "failed", error: overThrottled(outcome), retryAfterMs: outcome.retryAfterMs }, target, now, runMs);
  }
  const { entry, envelope, definition } = target;
  const retention = definition?.retention ?? JOB_DEFAULTS.retention;
  // Built as literals, one shape for all kinds (no spreads): this runs once per job on the hot path.
  let settlement: Settlement;
  switch (outcome.kind) {
    case "completed":
      settlement = { entry, recordId: entry, kind: "completed", payload: resultJson(outcome.result), runAt: 0, ttlMs: retention.completedMs };
      break;
    case "handBack":
      // The attempt does not count, so neither does its run time.
      return { entry, recordId: entry, kind: "handBack", payload: "", runAt: 0, ttlMs: retention.completedMs };
    case "throttled":
      // Like a hand back (no attempt spent, no run time), plus the queue's pause until runAt.
      return { entry, recordId: entry, kind: "throttled", payload: "", runAt: now + outcome.retryAfterMs, ttlMs: retention.completedMs };
    case "unrecoverable":
      settlement = { entry, recordId: entry, kind: "dead", payload: storedError(outcome.error, outcome.reason), runAt: 0, ttlMs: retention.deadMs };
      break;
    case "poison": {
      // An entry that is not even a valid id gets a fresh record id, so its dead-letter is readable by id.
      const recordId = isLocalId(entry) ? entry : newLocalId(now);
      const stored: StoredError = { message: outcome.message, reason: outcome.reason, raw: outcome.raw.slice(0, MAX_RAW_CHARS) };
      settlement = { entry, recordId, kind: "dead", payload: JSON.stringify(stored), runAt: 0, ttlMs: retention.deadMs };
      break;
    }
    case "failed": {
      const attempt = envelope?.attempt ?? 1;
      const maxAttempts = envelope?.maxAttempts ?? 1;
      if (attempt >= maxAttempts) {
        settlement = { entry, recordId: entry, kind: "dead", payload: storedError(outcome.error, "max_attempts"), runAt: 0, ttlMs: retention.deadMs };
        break;
      }
      const policy = {
        baseMs: envelope?.options.backoffMs ?? definition?.backoff.baseMs ?? JOB_DEFAULTS.backoff.baseMs,
        maxMs: definition?.backoff.maxMs ?? JOB_DEFAULTS.backoff.maxMs,
      };
      const delay = Math.max(backoffDelay(policy, attempt), outcome.retryAfterMs ?? 0);
      settlement = { entry, recordId: entry, kind: "retry", payload: storedError(outcome.error), runAt: now + delay, ttlMs: retention.completedMs };
      break;
    }
  }
  if (runMs !== undefined) settlement.runMs = runMs;
  return settlement;
}
