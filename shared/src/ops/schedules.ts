/**
 * Recurring schedules in Redis: upsert (a worker's code-defined set, or one API-made schedule), delete, read, and
 * fire one due schedule by compare-and-set. Keys of one queue only (`{q}:schedules*`), so each call is one slot.
 * Fire times are computed here in TypeScript (schedules/times.ts: croner), never in Lua.
 */
import type { QueueKeys } from "../keys";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../script-runner";
import { scheduleLocalId } from "../schedules/ids";
import { ScheduleSpecSchema, specJson, type ScheduleSpec } from "../schedules/spec";
import { nextFireAfter, planFire } from "../schedules/times";
import { jobId } from "../ids";
import { callbackOverrides } from "../callbacks";
import type { JobDefinition } from "../job-definition";
import { DEFAULT_PRIORITY } from "../priority";

const scheduleKeys = (keys: QueueKeys) => ({
  schedules: keys.schedules,
  due: keys.schedulesDue,
  runs: keys.schedulesRuns,
});

/** The call builders (the scripts test checks each against its header and the slot rule). */
export function scheduleUpsertCall(keys: QueueKeys, args: readonly (string | number)[]): ScriptCall {
  return scriptCall("schedule_upsert", { ...scheduleKeys(keys), wait: keys.wait, meta: keys.meta, paused: keys.paused }, args);
}
export function scheduleDeleteCall(keys: QueueKeys, id: string): ScriptCall {
  return scriptCall("schedule_delete", scheduleKeys(keys), [id]);
}
export function scheduleReadCall(keys: QueueKeys, read: ScheduleRead): ScriptCall {
  const args = read.mode === "all" ? ["all"] : read.mode === "one" ? ["one", read.id] : ["due", read.now, read.limit];
  return scriptCall("schedule_read", scheduleKeys(keys), args);
}
export function scheduleFireCall(keys: QueueKeys, args: readonly (string | number)[]): ScriptCall {
  return scriptCall("schedule_fire", { ...scheduleKeys(keys), wait: keys.wait, meta: keys.meta, paused: keys.paused, prio: keys.prio }, args);
}

export interface StoredSchedule {
  id: string;
  spec: ScheduleSpec;
  /** The spec exactly as stored: the compare of the fire's compare-and-set. */
  specText: string;
  /** Next fire time (ms), -1 when there is none. */
  next: number;
  lastRun: { at: number; jobId: string } | null;
}

/**
 * Writes schedules; unchanged ones keep their next fire time. `mode: "code"` passes the queue's whole
 * code-defined set and deletes code-defined schedules missing from it. Returns the earliest next fire (-1 none).
 * @example
 * await upsertSchedules(runner, keys, [{ id: "nightly", spec }], "api");
 */
export async function upsertSchedules(
  runner: ScriptRunner,
  keys: QueueKeys,
  schedules: readonly { id: string; spec: ScheduleSpec }[],
  mode: "code" | "api",
  now: number = Date.now(),
): Promise<{ earliest: number; removed: number }> {
  const args: (string | number)[] = [mode, schedules.length];
  for (const { id, spec } of schedules) args.push(id, specJson(spec), nextFireAfter(spec, now));
  const [earliest, removed] = (await runner.run(scheduleUpsertCall(keys, args))) as number[];
  return { earliest: Number(earliest), removed: Number(removed) };
}

/** True when the schedule existed. */
export async function deleteSchedule(runner: ScriptRunner, keys: QueueKeys, id: string): Promise<boolean> {
  return Number(await runner.run(scheduleDeleteCall(keys, id))) === 1;
}

export type ScheduleRead = { mode: "all" } | { mode: "one"; id: string } | { mode: "due"; now: number; limit: number };

/** Spec JSON that no longer parses (written by another version, or by hand) is skipped, not thrown. */
export async function readSchedules(runner: ScriptRunner, keys: QueueKeys, read: ScheduleRead): Promise<StoredSchedule[]> {
  return (await readSchedulesWithEarliest(runner, keys, read)).schedules;
}

/** The same read, with the queue's earliest next fire (-1 none): what a worker's timer waits for next. */
export async function readSchedulesWithEarliest(
  runner: ScriptRunner,
  keys: QueueKeys,
  read: ScheduleRead,
): Promise<{ earliest: number; schedules: StoredSchedule[] }> {
  return parseScheduleRead(keys, await runner.run(scheduleReadCall(keys, read)));
}

/** A schedule_read reply (for callers that pipelined the call). */
export function parseScheduleRead(keys: QueueKeys, reply: unknown): { earliest: number; schedules: StoredSchedule[] } {
  const [earliest, flat] = reply as [unknown, unknown[]];
  const out: StoredSchedule[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const parsed = ScheduleSpecSchema.safeParse(safeJson(String(flat[i + 1])));
    if (!parsed.success) continue;
    const last = String(flat[i + 3] ?? "");
    const [at, localId] = last.split(" ");
    out.push({
      id: String(flat[i]),
      spec: parsed.data as ScheduleSpec,
      specText: String(flat[i + 1]),
      next: Number(flat[i + 2]),
      lastRun: last && localId ? { at: Number(at), jobId: jobId(keys.queue, localId) } : null,
    });
  }
  return { earliest: Number(earliest), schedules: out };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface FireResult {
  /** False when another worker fired this tick first (or the schedule changed meanwhile): nothing was written. */
  fired: boolean;
  created: number;
  /** The queue's earliest next fire after the call (-1 none): when to wake next. */
  earliest: number;
  /** Tick times this call created jobs for (or would have, had it won). */
  ticks: number[];
}

/**
 * Fires one schedule read as due (`schedule.next` <= now): plans the ticks (catchUp), derives each tick's local
 * id, and runs the compare-and-set. `maxAttempts` and `priority` are the definition's unless the schedule's
 * options override them; the completion callback is the schedule's `callback` (+ `callbackOn`), else the
 * definition's default, by the same rule as an enqueue's options (ops/enqueue.ts). `defaults` as a number: the
 * maxAttempts alone (priority 5, no default callback).
 */
export async function fireSchedule(
  runner: ScriptRunner,
  keys: QueueKeys,
  schedule: StoredSchedule,
  defaults: number | Pick<JobDefinition, "maxAttempts" | "callback" | "priority">,
  now: number = Date.now(),
): Promise<FireResult> {
  const { spec } = schedule;
  const plan = planFire(spec, schedule.next, now);
  const definition = typeof defaults === "number" ? { maxAttempts: defaults, callback: undefined, priority: DEFAULT_PRIORITY } : defaults;
  const { maxAttempts, priority, callback, callbackOn, ...scheduled } = spec.options ?? {};
  // As prepareJob: the schedule's own callback means both outcomes unless it says otherwise; only the default's
  // URL brings the default's `on`.
  const on = callbackOn ?? (callback === undefined ? definition.callback?.on : undefined);
  const overrides = { ...scheduled, ...callbackOverrides(callback ?? definition.callback?.url, on) };
  const args: (string | number)[] = [
    now,
    keys.jobPrefix,
    schedule.id,
    schedule.next,
    schedule.specText,
    plan.next,
    JSON.stringify(spec.data ?? null),
    maxAttempts ?? definition.maxAttempts,
    Object.keys(overrides).length ? JSON.stringify(overrides) : "",
    // The definition's priority is the queue's list priority: 0 sends the job to the wait list, as enqueue does.
    priority === undefined || priority === definition.priority ? 0 : priority,
    plan.ticks.length,
  ];
  for (const tick of plan.ticks) args.push(tick, await scheduleLocalId(keys.queue, schedule.id, tick));
  const reply = (await runner.run(scheduleFireCall(keys, args))) as number[];
  return { fired: Number(reply[0]) === 1, created: Number(reply[1]), earliest: Number(reply[2]), ticks: plan.ticks };
}
