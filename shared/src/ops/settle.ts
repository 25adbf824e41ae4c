/** Settle: apply the outcomes of finished runs, many per call. */
import type { QueueKeys } from "../keys";
import { moveKeys } from "./move-keys";
import { scriptCall, type ScriptCall } from "../script-runner";

/** `handBack`: not run to the end (shutdown); the attempt is given back and the job is first in line again. */
export type SettleKind = "completed" | "retry" | "dead" | "handBack" | "throttled";

export interface Settlement {
  /** As it sits in the in-flight list. */
  entry: string;
  /** Where the record lives: the entry itself, or a fresh id for a poison entry that had none. */
  recordId: string;
  kind: SettleKind;
  /** Result JSON (completed) or error JSON (retry, dead). */
  payload: string;
  /** retry: when it runs again; throttled: no job of the queue starts before it (back-pressure). */
  runAt: number;
  ttlMs: number;
  /** How long the attempt ran (ms), for the per-minute run-time history; absent for `handBack`. */
  runMs?: number;
}

/**
 * `N, then 7 values per settlement`: the argument layout `settle` and `claim` share (apply_settlements.lua).
 * runMs goes as whole ms ("" when unknown) so Lua adds it up as an integer.
 */
export function settlementArgs(settlements: readonly Settlement[]): (string | number)[] {
  const args: (string | number)[] = [settlements.length];
  for (const s of settlements) {
    const runMs = s.runMs === undefined || !Number.isFinite(s.runMs) ? "" : Math.max(0, Math.round(s.runMs));
    args.push(s.entry, s.recordId, s.kind, s.payload, s.runAt, s.ttlMs, runMs);
  }
  return args;
}

export function settleCall(
  keys: QueueKeys,
  workerId: string,
  settlements: readonly Settlement[],
  now: number = Date.now(),
): ScriptCall {
  const args = [now, keys.jobPrefix, ...settlementArgs(settlements)];
  return scriptCall(
    "settle",
    {
      ...moveKeys(keys, now),
      active: keys.active(workerId),
      completed: keys.completed,
      callbacks: keys.callbacks,
    },
    args,
  );
}

/** true per settlement that was applied; false when the entry was no longer ours (lease lost). */
export function parseSettleReply(reply: unknown): boolean[] {
  return (reply as (number | string)[]).map((value) => Number(value) >= 1);
}

/**
 * Whether a settle (or a claim's carried settlements) left a completion callback in `{q}:callbacks` (flag 2):
 * the worker then moves it on at once (ops/callbacks.ts) instead of waiting for its next tick.
 */
export function recordedCallbacks(reply: unknown): boolean {
  return (reply as (number | string)[]).some((value) => Number(value) === 2);
}

/**
 * Counts a throttled run of a job active on this worker and answers how many it has had, this one included
 * (0 when the job is no longer ours): one round trip, only for runs that ended throttled.
 * @example countThrottleCall(keys, workerId, localId) // run it; a reply of 21 means 21 throttled runs so far
 */
export function countThrottleCall(keys: QueueKeys, workerId: string, localId: string): ScriptCall {
  return scriptCall("count_throttle", { job: keys.job(localId), active: keys.active(workerId) }, [localId]);
}
