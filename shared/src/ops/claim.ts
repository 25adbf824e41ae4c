/**
 * Claim: take up to `max` jobs into this worker's in-flight list, after applying the settlements it carries and
 * promoting due delayed jobs. "Finish these, give me the next" is one script call.
 */
import type { QueueKeys } from "../keys";
import { scriptCall, type ScriptCall } from "../script-runner";
import { parseSettleReply, settlementArgs, type Settlement } from "./settle";

export interface ClaimedEntry {
  /** The raw wait-list entry (a local id, or garbage for a poison entry). */
  entry: string;
  /** `v n d a m o c k` from the record; empty when the entry has no record. */
  fields: unknown[];
}

export interface ClaimReply {
  nextDue: number;
  /** Per carried settlement: applied, or dropped because the entry was no longer ours. */
  settled: boolean[];
  claimed: ClaimedEntry[];
}

export function claimCall(
  keys: QueueKeys,
  workerId: string,
  max: number,
  movedEntry = "",
  now: number = Date.now(),
  settlements: readonly Settlement[] = [],
): ScriptCall {
  return scriptCall(
    "claim",
    {
      wait: keys.wait,
      active: keys.active(workerId),
      delayed: keys.delayed,
      wake: keys.wake,
      dead: keys.dead,
      stats: keys.stats,
    },
    [now, keys.jobPrefix, max, movedEntry, ...settlementArgs(settlements)],
  );
}

export function parseClaimReply(reply: unknown): ClaimReply {
  const [nextDue, settled, ...jobs] = reply as [number | string, unknown, ...unknown[][]];
  return {
    nextDue: Number(nextDue),
    settled: parseSettleReply(settled ?? []),
    claimed: jobs.map((job) => ({ entry: String(job[0]), fields: job.slice(1) })),
  };
}
