/** Tick: lease refresh + reaping of dead workers + promotion of due delayed jobs, in one call. */
import type { QueueKeys } from "../keys";
import { moveKeys } from "./move-keys";
import { scriptCall, type ScriptCall } from "../script-runner";

export interface TickParams {
  workerId: string;
  /** 0 leaves the registry (clean shutdown). */
  leaseMs: number;
  maxStalls: number;
  deadTtlMs: number;
  /** While our in-flight list is empty, the far expiry our lease entry gets instead (idle: nothing to reap). */
  idleLeaseMs?: number;
}

export interface TickReply {
  nextDue: number;
  earliestOtherExpiry: number;
  reaped: number;
  dead: number;
  /** The queue's earliest schedule fire time (ms), -1 when it has no schedule: the scheduler's timer. */
  nextSchedule?: number;
  /** The expiry the tick wrote for this worker (ms; -1 when it left): further than a lease away means idle. */
  expiry?: number;
  /** `{q}:callbacks` holds entries not moved on yet (their worker died right after settling): move them. */
  callbacksPending?: boolean;
}

export function tickCall(keys: QueueKeys, params: TickParams, now: number = Date.now()): ScriptCall {
  return scriptCall(
    "tick",
    {
      ...moveKeys(keys, now),
      workers: keys.workers,
      schedulesDue: keys.schedulesDue,
      callbacks: keys.callbacks,
    },
    [now, params.workerId, params.leaseMs, keys.activePrefix, keys.jobPrefix, params.maxStalls, params.deadTtlMs, ...(params.idleLeaseMs ? [params.idleLeaseMs] : [])],
  );
}

export function parseTickReply(reply: unknown): TickReply {
  const [nextDue, earliestOtherExpiry, reaped, dead, nextSchedule, expiry, callbacks] = (reply as (number | string)[]).map(Number);
  return {
    nextDue: nextDue!, earliestOtherExpiry: earliestOtherExpiry!, reaped: reaped!, dead: dead!, nextSchedule: nextSchedule ?? -1, expiry: expiry ?? -1,
    callbacksPending: callbacks === 1,
  };
}
