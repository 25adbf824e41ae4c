/**
 * Job priorities: 1 runs first, 10 runs last; a job definition's `priority` is its queue's default, else 5.
 *
 * How they are stored (shared/PROTOCOL.md, "Priorities"): jobs of the queue's default priority — the list
 * priority — stay in the wait LIST exactly as before, so a queue that never uses priorities pays nothing more per
 * job. Only a job of another priority carries the record field `P` (absent = the list priority) and waits in the
 * queue's `{q}:prio` zset; `claim` is told the list priority and merges the two in priority order.
 */
export const PRIORITY_MIN = 1;
export const PRIORITY_MAX = 10;
export const DEFAULT_PRIORITY = 5;

export function isPriority(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= PRIORITY_MIN && value <= PRIORITY_MAX;
}

/** A record's priority: its `P` field, or the list priority of its queue when absent. */
export function priorityOf(stored: string | undefined, listPriority: number = DEFAULT_PRIORITY): number {
  const value = stored === undefined ? NaN : Number(stored);
  return isPriority(value) ? value : listPriority;
}
