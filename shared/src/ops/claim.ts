/** Claim: take up to `max` jobs into this worker's in-flight list (plus the promotion of due delayed jobs). */
import type { QueueKeys } from "../keys";
import { scriptCall, type ScriptCall } from "../script-runner";

export interface ClaimedEntry {
  /** The raw wait-list entry (a local id, or garbage for a poison entry). */
  entry: string;
  /** `v n d a m o c k` from the record; empty when the entry has no record. */
  fields: unknown[];
}

export interface ClaimReply {
  nextDue: number;
  claimed: ClaimedEntry[];
}

export function claimCall(
  keys: QueueKeys,
  workerId: string,
  max: number,
  movedEntry = "",
  now: number = Date.now(),
): ScriptCall {
  return scriptCall(
    "claim",
    { wait: keys.wait, active: keys.active(workerId), delayed: keys.delayed, wake: keys.wake },
    [now, keys.jobPrefix, max, movedEntry],
  );
}

export function parseClaimReply(reply: unknown): ClaimReply {
  const [nextDue, ...jobs] = reply as [number | string, ...unknown[][]];
  return {
    nextDue: Number(nextDue),
    claimed: jobs.map((job) => ({ entry: String(job[0]), fields: job.slice(1) })),
  };
}
