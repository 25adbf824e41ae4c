/** Tick: lease refresh + reaping of dead workers + promotion of due delayed jobs, in one call. */
import { minuteOf, type QueueKeys } from "../keys";
import { scriptCall, type ScriptCall } from "../script-runner";

export interface TickParams {
  workerId: string;
  /** 0 leaves the registry (clean shutdown). */
  leaseMs: number;
  maxStalls: number;
  deadTtlMs: number;
}

export interface TickReply {
  nextDue: number;
  earliestOtherExpiry: number;
  reaped: number;
  dead: number;
}

export function tickCall(keys: QueueKeys, params: TickParams, now: number = Date.now()): ScriptCall {
  return scriptCall(
    "tick",
    {
      workers: keys.workers,
      wait: keys.wait,
      delayed: keys.delayed,
      wake: keys.wake,
      dead: keys.dead,
      stats: keys.stats,
      meta: keys.meta,
      paused: keys.paused,
      history: keys.history(minuteOf(now)),
    },
    [now, params.workerId, params.leaseMs, keys.activePrefix, keys.jobPrefix, params.maxStalls, params.deadTtlMs],
  );
}

export function parseTickReply(reply: unknown): TickReply {
  const [nextDue, earliestOtherExpiry, reaped, dead] = (reply as (number | string)[]).map(Number);
  return { nextDue: nextDue!, earliestOtherExpiry: earliestOtherExpiry!, reaped: reaped!, dead: dead! };
}
