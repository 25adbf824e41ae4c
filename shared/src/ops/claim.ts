/**
 * Claim: take up to `max` jobs into this worker's in-flight list, after applying the settlements it carries and
 * promoting due delayed jobs. "Finish these, give me the next" is one script call.
 */
import type { QueueKeys } from "../keys";
import { moveKeys } from "./move-keys";
import { scriptCall, type ScriptCall } from "../script-runner";
import { parseSettleReply, settlementArgs, type Settlement } from "./settle";
import { JOB_DEFAULTS } from "../job-definition";

export interface ClaimedEntry {
  /** The wait-list entry: a local id. */
  entry: string;
  /** `v n d a m o c k` from the record. */
  fields: unknown[];
}

export interface ClaimReply {
  nextDue: number;
  /** Per carried settlement: applied, or dropped because the entry was no longer ours. */
  settled: boolean[];
  /** false when the BLMOVE'd entry was not in our list as sent (handed back meanwhile, or not UTF-8). */
  movedFound: boolean;
  claimed: ClaimedEntry[];
}

export interface ClaimOptions {
  /** The entry a blocking BLMOVE already moved into our in-flight list (it may be any string, even ""). */
  moved?: string;
  settlements?: readonly Settlement[];
  /** Retention of the dead-letters the script writes for entries that cannot be run at all. */
  poisonTtlMs?: number;
  /**
   * This worker's lease (ms): a claim that takes jobs while the lease entry says idle makes it short again and
   * wakes a blocked peer to watch it (claim.lua). Absent: the lease entry is not touched.
   */
  leaseMs?: number;
  /** The job definition's default priority (the jobs in the wait list have it; priority.ts). Default 5. */
  listPriority?: number;
  now?: number;
}

/** @example claimCall(keys, workerId, 10, { moved, settlements }) */
export function claimCall(keys: QueueKeys, workerId: string, max: number, options: ClaimOptions = {}): ScriptCall {
  const { moved, settlements = [], poisonTtlMs = JOB_DEFAULTS.retention.deadMs, leaseMs, listPriority, now = Date.now() } = options;
  return scriptCall(
    "claim",
    {
      ...moveKeys(keys, now),
      active: keys.active(workerId),
      completed: keys.completed,
      workers: keys.workers,
    },
    [
      now, keys.jobPrefix, max, moved === undefined ? "" : `=${moved}`, poisonTtlMs, ...settlementArgs(settlements),
      // Lease then list priority, after the settlements ("0": lease not touched).
      ...(leaseMs || listPriority ? [workerId, leaseMs ?? 0] : []),
      ...(listPriority ? [listPriority] : []),
    ],
  );
}

export function parseClaimReply(reply: unknown): ClaimReply {
  const [nextDue, settled, movedFound, ...jobs] = reply as [number | string, unknown, number | string, ...unknown[][]];
  return {
    nextDue: Number(nextDue),
    settled: parseSettleReply(settled ?? []),
    movedFound: Number(movedFound) === 1,
    claimed: jobs.map((job) => ({ entry: String(job[0]), fields: job.slice(1) })),
  };
}
