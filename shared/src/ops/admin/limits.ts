/**
 * The runtime flow-control override of a queue (admin API): set or clear the rate limit and the concurrency
 * that win over the job definition's (set_limits.lua), and the effective limits an operator sees. Stored in
 * the queue's meta hash, so every claim reads it (flow_gate.lua) and it survives restarts and deploys.
 */
import type { JobDefinition } from "../../job-definition";
import { formatRate, parseStoredRate, storedRate, type FlowLimits, type RateLimit } from "../../flow/limits";
import type { QueueKeys } from "../../keys";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../../script-runner";

/** What an override request says per field: a value to set, `null` to clear it, absent to leave it. */
export interface LimitsChange {
  rate?: RateLimit | null;
  concurrency?: number | null;
}

/** The override and back-pressure fields as stored (FLOW_META). */
export interface StoredFlow {
  override: FlowLimits;
  /** No job of the queue starts before this (a handler's back-pressure), when it is in the future. */
  throttledUntil: number | null;
}

/** What operators see: the limits in effect, where each comes from, and a back-pressure pause if one runs. */
export interface QueueLimits {
  /** "<max>/<duration>", or null: no rate limit. */
  rate: string | null;
  concurrency: number | null;
  override: { rate: string | null; concurrency: number | null };
  definition: { rate: string | null; concurrency: number | null };
  /** ISO time: a handler's RateLimitedError (or a webhook's 429) paused the queue until then. */
  throttledUntil: string | null;
}

export function setLimitsCall(keys: QueueKeys, change: LimitsChange): ScriptCall {
  const field = <T>(value: T | null | undefined, stored: (value: T) => string) =>
    value === undefined ? "-" : value === null ? "" : stored(value);
  return scriptCall("set_limits", { meta: keys.meta, gateWake: keys.gateWake }, [
    field(change.rate, storedRate),
    field(change.concurrency, String),
  ]);
}

/** [rate, concurrency, throttledUntil] as HMGET returns them (nil: false over RESP2 in Lua, null here). */
export function parseStoredFlow(values: readonly unknown[] | undefined, now: number = Date.now()): StoredFlow {
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);
  const concurrency = Number(text(values?.[1]));
  const until = Number(text(values?.[2]));
  return {
    override: {
      rate: parseStoredRate(text(values?.[0])),
      concurrency: Number.isInteger(concurrency) && concurrency > 0 ? concurrency : null,
    },
    throttledUntil: Number.isFinite(until) && until > now ? until : null,
  };
}

/** The definition's limits, what the override says, and which wins (the override, field by field). */
export function effectiveLimits(definition: Pick<JobDefinition, "rateLimit" | "concurrency">, stored: StoredFlow): QueueLimits {
  const rate = stored.override.rate ?? definition.rateLimit;
  return {
    rate: rate ? formatRate(rate) : null,
    concurrency: stored.override.concurrency ?? definition.concurrency,
    override: {
      rate: stored.override.rate ? formatRate(stored.override.rate) : null,
      concurrency: stored.override.concurrency,
    },
    definition: {
      rate: definition.rateLimit ? formatRate(definition.rateLimit) : null,
      concurrency: definition.concurrency,
    },
    throttledUntil: stored.throttledUntil === null ? null : new Date(stored.throttledUntil).toISOString(),
  };
}

/**
 * @example
 * await setLimits(runner, keys, definition, { rate: { max: 100, perMs: 1_000 }, concurrency: null });
 */
export async function setLimits(
  runner: ScriptRunner,
  keys: QueueKeys,
  definition: Pick<JobDefinition, "rateLimit" | "concurrency">,
  change: LimitsChange,
): Promise<QueueLimits> {
  const reply = (await runner.run(setLimitsCall(keys, change))) as unknown[];
  return effectiveLimits(definition, parseStoredFlow(reply));
}
