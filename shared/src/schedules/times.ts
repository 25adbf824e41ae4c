/**
 * When a schedule fires, computed by croner (time zones and DST) for cron patterns and by arithmetic for `every`
 * (ticks are whole multiples of the period since the Unix epoch, so every worker computes the same ticks without
 * an anchor stored anywhere). Pure functions: the worker's timer, the fire plan and the edge's "next three run
 * times" all use these.
 */
import { Cron } from "croner";
import { MAX_CATCH_UP, type ScheduleSpec } from "./spec";

/** The first tick strictly after `afterMs`, or -1 when the pattern has no further tick. */
export function nextFireAfter(spec: Pick<ScheduleSpec, "cron" | "everyMs" | "tz">, afterMs: number): number {
  if (spec.everyMs) return (Math.floor(afterMs / spec.everyMs) + 1) * spec.everyMs;
  const cron = new Cron(spec.cron!, { paused: true, ...(spec.tz ? { timezone: spec.tz } : {}) });
  return cron.nextRun(new Date(afterMs))?.getTime() ?? -1;
}

/** The next `count` ticks from `fromMs` on, `fromMs` itself included when it is a tick (it is the stored next fire). */
export function nextFires(spec: Pick<ScheduleSpec, "cron" | "everyMs" | "tz">, fromMs: number, count: number): number[] {
  const out: number[] = [];
  let at = fromMs - 1;
  while (out.length < count) {
    at = nextFireAfter(spec, at);
    if (at < 0) break;
    out.push(at);
  }
  return out;
}

/** A tick fired at most this late is on time; later, the fleet was down and the schedule's catchUp decides. */
export const ON_TIME_MS = 1_000;

export interface FirePlan {
  /** Tick times to create jobs for, oldest first (empty: catchUp "none" skipped the missed ones). */
  ticks: number[];
  /** The next fire time to store (-1: no further tick). */
  next: number;
}

/**
 * What firing a schedule whose stored next fire is `dueMs` does at `nowMs`: the due tick alone when it is on time,
 * else the missed ticks up to now according to `catchUp` ("one": the latest, "all": the latest MAX_CATCH_UP,
 * "none": nothing), and the first tick after now as the next fire.
 */
export function planFire(spec: ScheduleSpec, dueMs: number, nowMs: number): FirePlan {
  const next = nextFireAfter(spec, nowMs);
  if (nowMs - dueMs <= ON_TIME_MS) {
    // On time: this tick, and if a second one is already due (a period under ON_TIME_MS cannot be: 1 s minimum)
    // it fires on the next timer.
    return { ticks: [dueMs], next: nextFireAfter(spec, dueMs) };
  }
  if (spec.catchUp === "none") return { ticks: [], next };
  const keep = spec.catchUp === "one" ? 1 : MAX_CATCH_UP;
  return { ticks: ticksUpTo(spec, nowMs, keep).filter((at) => at >= dueMs), next };
}

/** The latest `count` ticks at or before `nowMs`, oldest first (not walked from the due time: an outage may be long). */
function ticksUpTo(spec: ScheduleSpec, nowMs: number, count: number): number[] {
  if (spec.everyMs) {
    const latest = Math.floor(nowMs / spec.everyMs) * spec.everyMs;
    return Array.from({ length: count }, (_, i) => latest - (count - 1 - i) * spec.everyMs!);
  }
  const cron = new Cron(spec.cron!, { paused: true, ...(spec.tz ? { timezone: spec.tz } : {}) });
  // previousRuns counts back from the reference (a run in the reference's own second included), newest first.
  return cron
    .previousRuns(count, new Date(nowMs + 1))
    .map((date) => date.getTime())
    .filter((at) => at <= nowMs)
    .reverse();
}
