/** planSettlement: every outcome becomes exactly one settlement of the right kind, retention and run time. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { JobEnvelope } from "../../shared/src/envelope";
import { isLocalId, newLocalId } from "../../shared/src/ids";
import { defineJob, JOB_DEFAULTS } from "../../shared/src/job-definition";
import { FREE_THROTTLES, MAX_RESULT_BYTES, planSettlement, resultJson, type SettleTarget } from "./outcome";

const NOW = 1_700_000_000_000;
const definition = defineJob({
  name: "thing",
  schema: z.object({}),
  maxAttempts: 3,
  backoff: { baseMs: 1_000, maxMs: 10_000 },
  retention: { completedMs: 60_000, deadMs: 120_000 },
});

function target(attempt: number, options: JobEnvelope["options"] = {}): SettleTarget {
  const localId = newLocalId(NOW);
  const envelope: JobEnvelope = {
    v: 1, id: `thing.${localId}`, localId, name: "thing", data: {}, attempt, maxAttempts: 3, enqueuedAt: NOW, stalls: 0, options,
  };
  return { entry: localId, envelope, definition };
}

describe("planSettlement", () => {
  it("completed keeps the result for the job type's completed retention, with the run time", () => {
    const t = target(1);
    const s = planSettlement({ kind: "completed", result: { ok: 1 } }, t, NOW, 12);
    expect(s).toEqual({ entry: t.entry, recordId: t.entry, kind: "completed", payload: '{"ok":1}', runAt: 0, ttlMs: 60_000, runMs: 12 });
  });

  it("a failed attempt with attempts left is a retry after the backoff, never before now", () => {
    for (let i = 0; i < 50; i++) {
      const s = planSettlement({ kind: "failed", error: new Error("boom") }, target(2), NOW, 3);
      expect(s.kind).toBe("retry");
      // Attempt 2: full jitter in [0, base * 2).
      expect(s.runAt).toBeGreaterThanOrEqual(NOW);
      expect(s.runAt).toBeLessThan(NOW + 2_000);
      expect(JSON.parse(s.payload)).toMatchObject({ message: "boom" });
      expect(s.runMs).toBe(3);
    }
  });

  it("a Retry-After longer than the backoff wins; the job's own backoffMs overrides the definition's", () => {
    expect(planSettlement({ kind: "failed", error: new Error("429"), retryAfterMs: 30_000 }, target(1), NOW).runAt).toBe(NOW + 30_000);
    const own = planSettlement({ kind: "failed", error: new Error("x") }, target(2, { backoffMs: 1 }), NOW);
    expect(own.runAt - NOW).toBeLessThan(2);
  });

  it("the last attempt failing is dead with reason max_attempts and the dead retention", () => {
    const s = planSettlement({ kind: "failed", error: new Error("boom") }, target(3), NOW, 5);
    expect(s).toMatchObject({ kind: "dead", ttlMs: 120_000, runMs: 5 });
    expect(JSON.parse(s.payload)).toMatchObject({ message: "boom", reason: "max_attempts" });
  });

  it("unrecoverable is dead at once with its reason, even with attempts left", () => {
    const s = planSettlement({ kind: "unrecoverable", error: new Error("gone"), reason: "unrecoverable" }, target(1), NOW);
    expect(s.kind).toBe("dead");
    expect(JSON.parse(s.payload)).toMatchObject({ message: "gone", reason: "unrecoverable" });
    expect(s).not.toHaveProperty("runMs");
  });

  it("a hand back carries no payload and no run time, whatever it is given", () => {
    const t = target(2);
    expect(planSettlement({ kind: "handBack" }, t, NOW, 40)).toEqual({ entry: t.entry, recordId: t.entry, kind: "handBack", payload: "", runAt: 0, ttlMs: 60_000 });
  });

  it("a throttle is a hand back that pauses the queue until runAt, free up to FREE_THROTTLES (or when the count is unknown)", () => {
    const t = target(2);
    const error = new Error("receiver answered 429 with Retry-After: 5");
    for (const throttles of [undefined, 1, FREE_THROTTLES]) {
      expect(planSettlement({ kind: "throttled", retryAfterMs: 5_000, error, throttles }, t, NOW, 7)).toEqual({
        entry: t.entry, recordId: t.entry, kind: "throttled", payload: "", runAt: NOW + 5_000, ttlMs: 60_000,
      });
    }
  });

  it("past FREE_THROTTLES a throttle spends an attempt: a retry no sooner than the pause, dead on the last attempt", () => {
    const error = new Error("receiver answered 429 with Retry-After: 30");
    const over = { kind: "throttled", retryAfterMs: 30_000, error, throttles: FREE_THROTTLES + 1 } as const;
    const retry = planSettlement(over, target(1), NOW, 7);
    expect(retry).toMatchObject({ kind: "retry", ttlMs: 60_000, runMs: 7 });
    expect(retry.runAt).toBeGreaterThanOrEqual(NOW + 30_000);
    expect(JSON.parse(retry.payload).message).toBe(`throttled ${FREE_THROTTLES + 1} times (only ${FREE_THROTTLES} spend no attempt): receiver answered 429 with Retry-After: 30`);
    const dead = planSettlement(over, target(3), NOW, 7);
    expect(dead).toMatchObject({ kind: "dead", ttlMs: 120_000 });
    expect(JSON.parse(dead.payload)).toMatchObject({ reason: "max_attempts", message: expect.stringContaining("throttled 21 times") });
  });

  it("poison keeps its reason and raw text (bounded); an entry that is no local id gets a fresh record id", () => {
    const valid = newLocalId(NOW);
    const kept = planSettlement({ kind: "poison", reason: "malformed_json", message: "bad", raw: "x".repeat(5_000) }, { entry: valid }, NOW);
    expect(kept).toMatchObject({ kind: "dead", recordId: valid, ttlMs: JOB_DEFAULTS.retention.deadMs });
    const stored = JSON.parse(kept.payload);
    expect(stored).toMatchObject({ reason: "malformed_json", message: "bad" });
    expect(stored.raw.length).toBe(1_000);
    const fresh = planSettlement({ kind: "poison", reason: "invalid_envelope", message: "?", raw: "" }, { entry: "not-an-id" }, NOW);
    expect(fresh.entry).toBe("not-an-id");
    expect(fresh.recordId).not.toBe("not-an-id");
    expect(isLocalId(fresh.recordId)).toBe(true);
  });

  it("an error's stack is kept but bounded", () => {
    const error = new Error("deep");
    error.stack = "s".repeat(10_000);
    const s = planSettlement({ kind: "unrecoverable", error, reason: "unrecoverable" }, target(1), NOW);
    expect(JSON.parse(s.payload).stack.length).toBe(2_000);
  });
});

describe("resultJson", () => {
  it("keeps results up to the limit and replaces bigger ones by their size", () => {
    expect(resultJson(undefined)).toBe("null");
    expect(resultJson({ a: 1 })).toBe('{"a":1}');
    const big = "y".repeat(MAX_RESULT_BYTES);
    expect(JSON.parse(resultJson(big))).toEqual({ truncated: true, bytes: MAX_RESULT_BYTES + 2 });
  });
});
