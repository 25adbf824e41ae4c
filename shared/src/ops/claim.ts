/**
 * Claim: take up to `max` jobs into this worker's in-flight list, after applying the settlements it carries and
 * promoting due delayed jobs. "Finish these, give me the next" is one script call.
 */
import type { QueueKeys } from "../keys";
import { moveKeys } from "./move-keys";
import { scriptCall, type ScriptCall } from "../script-runner";
import { parseSettleReply, recordedCallbacks, settlementArgs, type Settlement } from "./settle";
import { JOB_DEFAULTS, type JobDefinition } from "../job-definition";
import type { GroupLimits } from "../flow/groups";
import { isLocalId } from "../ids";

export interface ClaimedEntry {
  /** The wait-list entry: a local id. */
  entry: string;
  /** `v n d a m o c k` from the record. */
  fields: unknown[];
}

/**
 * What the flow gate (includes/flow_gate.lua) said about this claim: `none` (no limit applies), `open` (limits
 * apply and did not hold this claim back), or `closed` until `reopenAt` (ms), or until a slot frees (`null`).
 */
export type GateState = { state: "none" } | { state: "open" } | { state: "closed"; reopenAt: number | null };

/** A definition's limits as the claim sends them (0 = none). */
export interface GateLimits {
  rateMax: number;
  ratePerMs: number;
  concurrency: number;
}

export const NO_LIMITS: GateLimits = { rateMax: 0, ratePerMs: 0, concurrency: 0 };

/** A definition's limits in the claim's argument form. */
export function gateLimitsOf(definition: Pick<JobDefinition, "rateLimit" | "concurrency"> | undefined): GateLimits {
  return {
    rateMax: definition?.rateLimit?.max ?? 0,
    ratePerMs: definition?.rateLimit?.perMs ?? 0,
    concurrency: definition?.concurrency ?? 0,
  };
}

export interface ClaimReply {
  nextDue: number;
  /** Per carried settlement: applied, or dropped because the entry was no longer ours. */
  settled: boolean[];
  /** A carried settlement left a completion callback to move on (ops/callbacks.ts). */
  callbacksRecorded: boolean;
  /** false when the BLMOVE'd entry was not in our list as sent (handed back meanwhile, or not UTF-8). */
  movedFound: boolean;
  gate: GateState;
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
  /** The definition's rate limit and concurrency; a runtime override in the queue's meta hash wins. */
  limits?: GateLimits;
  /** The job definition's default priority (the jobs in the wait list have it; priority.ts). Default 5. */
  listPriority?: number;
  /** The definition's per-group limits (groups.lua). */
  groupLimits?: GroupLimits;
  now?: number;
}

/** The definition sets a per-group limit (groups.lua): claim then sends it, and claim_short is not used. */
function hasGroupLimits(groupLimits: GroupLimits | undefined): groupLimits is GroupLimits {
  return groupLimits !== undefined && (groupLimits.concurrency !== null || groupLimits.rateLimit !== null);
}

/** @example claimCall(keys, workerId, 10, { moved, settlements }) */
export function claimCall(keys: QueueKeys, workerId: string, max: number, options: ClaimOptions = {}): ScriptCall {
  const { moved, settlements = [], poisonTtlMs = JOB_DEFAULTS.retention.deadMs, leaseMs, limits = NO_LIMITS, listPriority, groupLimits, now = Date.now() } = options;
  const grouped = hasGroupLimits(groupLimits);
  return scriptCall(
    "claim",
    {
      ...moveKeys(keys, now),
      active: keys.active(workerId),
      completed: keys.completed,
      workers: keys.workers,
      callbacks: keys.callbacks,
      rate: keys.rate,
      fresh: keys.fresh,
    },
    [
      now, keys.jobPrefix, max, moved === undefined ? "" : `=${moved}`, poisonTtlMs, ...settlementArgs(settlements),
      // The worker id is always sent: the flow gate tells our in-flight list from our peers' by it. Then the list
      // priority, when it is not the default 5.
      workerId, leaseMs ?? 0, limits.rateMax, limits.ratePerMs, limits.concurrency,
      // Then the per-group limits (after the list priority, which they need to follow).
      ...(listPriority || grouped ? [listPriority ?? 5] : []),
      ...(grouped ? [groupLimits.concurrency ?? 0, groupLimits.rateLimit?.max ?? 0, groupLimits.rateLimit?.perMs ?? 0] : []),
    ],
  );
}

/**
 * claim_short: the pickup of one entry a blocked BLMOVE handed us, when the call would carry nothing else — no
 * settlements, no limits of the definition's, a local id (not the marker nor a group token). undefined when the
 * call needs claim. The script answers "long" (nothing changed) whenever the queue's state needs claim after all
 * (paused, grouped, a runtime limit, priorities waiting, a due delayed job, a record claim must drop or
 * dead-letter); the caller then sends claimCall with the same options (isLongClaimNeeded).
 */
export function shortClaimCall(keys: QueueKeys, workerId: string, options: ClaimOptions = {}): ScriptCall | undefined {
  const { moved, settlements = [], leaseMs, limits = NO_LIMITS, groupLimits, now = Date.now() } = options;
  if (moved === undefined || !isLocalId(moved) || settlements.length > 0) return undefined;
  if (limits.rateMax > 0 || limits.concurrency > 0) return undefined;
  if (hasGroupLimits(groupLimits)) return undefined;
  return scriptCall(
    "claim_short",
    { active: keys.active(workerId), wait: keys.wait, meta: keys.meta, prio: keys.prio, delayed: keys.delayed, workers: keys.workers, fresh: keys.fresh },
    [now, keys.jobPrefix, moved, workerId, leaseMs ?? 0],
  );
}

/** claim_short's "send claim instead" (it changed nothing). */
export function isLongClaimNeeded(reply: unknown): boolean {
  return reply === "long";
}

export function parseClaimReply(reply: unknown): ClaimReply {
  const [nextDue, settled, movedFound, gate, ...jobs] = reply as [number | string, unknown, number | string, unknown[], ...unknown[][]];
  return {
    nextDue: Number(nextDue),
    settled: parseSettleReply(settled ?? []),
    callbacksRecorded: recordedCallbacks(settled ?? []),
    movedFound: Number(movedFound) === 1,
    gate: parseGate(gate),
    claimed: jobs.map((job) => ({ entry: String(job[0]), fields: job.slice(1) })),
  };
}

function parseGate(gate: unknown[] | undefined): GateState {
  const state = Number(gate?.[0] ?? 0);
  if (state === 2) {
    const reopenAt = Number(gate?.[1]);
    return { state: "closed", reopenAt: reopenAt > 0 ? reopenAt : null };
  }
  return state === 1 ? { state: "open" } : { state: "none" };
}
