/** Settle: apply the outcomes of finished runs, many per call. */
import type { QueueKeys } from "../keys";
import { scriptCall, type ScriptCall } from "../script-runner";

export type SettleKind = "completed" | "retry" | "dead" | "return";

export interface Settlement {
  /** As it sits in the in-flight list. */
  entry: string;
  /** Where the record lives: the entry itself, or a fresh id for a poison entry that had none. */
  recordId: string;
  kind: SettleKind;
  /** Result JSON (completed) or error JSON (retry, dead). */
  payload: string;
  runAt: number;
  ttlMs: number;
  /** How long the attempt ran (ms), for the per-minute run-time history; absent for `return`. */
  runMs?: number;
}

/** `N, then 6 values per settlement`: the argument layout `settle` and `claim` share. */
export function settlementArgs(settlements: readonly Settlement[]): (string | number)[] {
  const args: (string | number)[] = [settlements.length];
  for (const s of settlements) args.push(s.entry, s.recordId, s.kind, s.payload, s.runAt, s.ttlMs);
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
      active: keys.active(workerId),
      wait: keys.wait,
      delayed: keys.delayed,
      dead: keys.dead,
      stats: keys.stats,
      wake: keys.wake,
      meta: keys.meta,
      paused: keys.paused,
    },
    args,
  );
}

/** true per settlement that was applied; false when the entry was no longer ours (lease lost). */
export function parseSettleReply(reply: unknown): boolean[] {
  return (reply as (number | string)[]).map((value) => Number(value) === 1);
}
