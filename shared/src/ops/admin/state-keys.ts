/**
 * The keys that together hold every state of a queue's jobs, in the named form `scriptCall` takes: the pause
 * flag (which of the two lists is the live one), the wait and paused lists, the delayed and finished indexes,
 * and the leases that lead to the in-flight lists. queue_detail.lua (counts by state) and list_jobs.lua (a page
 * of one state) both look across all of them, so the set is written once here; queue_detail adds `stats`.
 */
import type { QueueKeys } from "../../keys";

export function stateIndexKeys(keys: QueueKeys) {
  return {
    meta: keys.meta,
    wait: keys.wait,
    paused: keys.paused,
    delayed: keys.delayed,
    workers: keys.workers,
    dead: keys.dead,
    completed: keys.completed,
    cancelled: keys.cancelled,
    prio: keys.prio,
  };
}
