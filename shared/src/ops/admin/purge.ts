/**
 * purgeDead: deletes dead letters (records and dead-index entries) that died before a time, all when absent,
 * in calls of at most BULK_CHUNK ids (purge_dead.lua), oldest first, until a call finds fewer than a chunk.
 */
import { OffloadError } from "../../errors";
import type { QueueKeys } from "../../keys";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../../script-runner";
import { BULK_CHUNK } from "./types";

export function purgeDeadCall(keys: QueueKeys, before?: number, chunk: number = BULK_CHUNK): ScriptCall {
  return scriptCall("purge_dead", { dead: keys.dead }, [keys.jobPrefix, before === undefined ? "+inf" : `(${before}`, chunk]);
}

/**
 * Deletes dead letters (records and index entries) that died before `before` (ms), all when absent. Chunked.
 * @example
 * await purgeDead(runner, queueKeys("webhook"), { before: Date.parse("2026-01-01T00:00:00Z") }); // { purged: 12 }
 */
export async function purgeDead(
  runner: ScriptRunner,
  keys: QueueKeys,
  options: { before?: number } = {},
): Promise<{ purged: number }> {
  const { before } = options;
  if (before !== undefined && !Number.isFinite(before)) {
    throw new OffloadError("validation_failed", "Invalid before: must be a time", { issues: [{ path: "before", message: "must be a time" }] });
  }
  let purged = 0;
  for (;;) {
    const [handled, count] = (await runner.run(purgeDeadCall(keys, before))) as [number, number];
    purged += Number(count);
    if (Number(handled) < BULK_CHUNK) return { purged };
  }
}
