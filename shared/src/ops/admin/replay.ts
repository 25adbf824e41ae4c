/**
 * replayDead: dead letters back in line with the same id (replay_dead.lua says exactly what changes). Bulk
 * work runs in calls of at most BULK_CHUNK ids, so no single script holds Redis for long; `all` walks the dead
 * index oldest death first, one chunk per call, until it is empty.
 */
import { parseJobId } from "../../ids";
import type { QueueKeys } from "../../keys";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../../script-runner";
import { BULK_CHUNK, type ReplayResult } from "./types";

type ReplayReply = [number, number, string[]];

export function replayDeadCall(keys: QueueKeys, what: { localIds: readonly string[] } | { all: true }, chunk: number = BULK_CHUNK): ScriptCall {
  const args = "all" in what ? ["all", chunk] : ["ids", chunk, ...what.localIds];
  return scriptCall("replay_dead", { dead: keys.dead, meta: keys.meta, wait: keys.wait, paused: keys.paused, prio: keys.prio }, [keys.jobPrefix, ...args]);
}

async function replayAll(runner: ScriptRunner, keys: QueueKeys): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: 0, skipped: [] };
  // Bounded by what the index held at the start (plus one call), so deaths arriving meanwhile cannot keep it
  // going forever; they are replayed by the next request.
  let callsLeft = Infinity;
  for (;;) {
    const [replayed, remaining, skipped] = (await runner.run(replayDeadCall(keys, { all: true }))) as ReplayReply;
    result.replayed += Number(replayed);
    for (let i = 0; i + 1 < skipped.length; i += 2) result.skipped.push({ id: `${keys.queue}.${skipped[i]}`, reason: String(skipped[i + 1]) });
    if (callsLeft === Infinity) callsLeft = Math.ceil(Number(remaining) / BULK_CHUNK) + 1;
    callsLeft--;
    const handled = Number(replayed) + skipped.length / 2;
    if (Number(remaining) === 0 || handled === 0 || callsLeft <= 0) return result;
  }
}

/**
 * Dead → waiting with the same id, attempts reset, earlier errors kept. Runs in chunks of BULK_CHUNK.
 * Ids are public job ids (`<queue>.<local>`); skipped reasons: "not_found" (unknown, expired or not a job id),
 * "not_dead" (e.g. already replayed: replaying twice enqueues once), "wrong_queue" (another queue's job).
 * @example
 * await replayDead(runner, queueKeys("webhook"), { ids: ["webhook.mfz3k2x9q1a8b7c6"] }); // { replayed: 1, skipped: [] }
 * await replayDead(runner, queueKeys("webhook"), { all: true });
 */
export async function replayDead(
  runner: ScriptRunner,
  keys: QueueKeys,
  what: { ids: string[] } | { all: true },
  now?: number,
): Promise<ReplayResult> {
  void now; // Nothing in a replay depends on the time; kept for the agreed signature.
  if ("all" in what) return replayAll(runner, keys);
  // One slot per requested id, in the order asked, filled either here or from the script's answer.
  const reasons: string[] = new Array(what.ids.length).fill("");
  const pending: { index: number; localId: string }[] = [];
  what.ids.forEach((id, index) => {
    const parsed = parseJobId(id);
    if (!parsed) reasons[index] = "not_found";
    else if (parsed.queue !== keys.queue) reasons[index] = "wrong_queue";
    else pending.push({ index, localId: parsed.localId });
  });
  let replayed = 0;
  for (let first = 0; first < pending.length; first += BULK_CHUNK) {
    const chunk = pending.slice(first, first + BULK_CHUNK);
    const [count, , results] = (await runner.run(replayDeadCall(keys, { localIds: chunk.map((c) => c.localId) }))) as ReplayReply;
    replayed += Number(count);
    chunk.forEach((c, i) => (reasons[c.index] = String(results[i] ?? "")));
  }
  const skipped = what.ids.flatMap((id, index) => (reasons[index] === "" ? [] : [{ id, reason: reasons[index]! }]));
  return { replayed, skipped };
}
