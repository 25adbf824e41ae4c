/**
 * retryJob and promoteJob: an operator moves one job (retry_job.lua: dead or cancelled → waiting; promote_job.lua:
 * delayed → waiting now). Both answer the agreed MoveOutcome: moved with the new state, conflict with the
 * current one (the edge's 409), or missing (404).
 */
import type { QueueKeys } from "../../keys";
import type { JobState } from "../../record";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../../script-runner";
import type { MoveOutcome } from "./types";

export function retryJobCall(keys: QueueKeys, localId: string): ScriptCall {
  return scriptCall(
    "retry_job",
    { job: keys.job(localId), dead: keys.dead, cancelled: keys.cancelled, meta: keys.meta, wait: keys.wait, paused: keys.paused, prio: keys.prio },
    [localId],
  );
}

export function promoteJobCall(keys: QueueKeys, localId: string, now: number = Date.now()): ScriptCall {
  return scriptCall(
    "promote_job",
    { job: keys.job(localId), delayed: keys.delayed, meta: keys.meta, wait: keys.wait, paused: keys.paused, prio: keys.prio },
    [localId, now],
  );
}

export function parseMoveReply(reply: unknown): MoveOutcome {
  const [outcome, state] = (reply as unknown[]).map(String) as [string, JobState];
  if (outcome === "moved") return { outcome, state };
  if (outcome === "conflict") return { outcome, state };
  return { outcome: "missing" };
}

/**
 * dead or cancelled → waiting (attempts reset, errors kept).
 * @example
 * await retryJob(runner, queueKeys("webhook"), "mfz3k2x9q1a8b7c6"); // { outcome: "moved", state: "waiting" }
 */
export async function retryJob(runner: ScriptRunner, keys: QueueKeys, localId: string, now?: number): Promise<MoveOutcome> {
  void now; // Nothing in a retry depends on the time; kept for the agreed signature.
  return parseMoveReply(await runner.run(retryJobCall(keys, localId)));
}

/**
 * delayed → waiting now.
 * @example
 * await promoteJob(runner, queueKeys("webhook"), "mfz3k2x9q1a8b7c6"); // { outcome: "conflict", state: "active" }
 */
export async function promoteJob(runner: ScriptRunner, keys: QueueKeys, localId: string, now: number = Date.now()): Promise<MoveOutcome> {
  return parseMoveReply(await runner.run(promoteJobCall(keys, localId, now)));
}
