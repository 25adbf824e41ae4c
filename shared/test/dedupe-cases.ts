/**
 * The `dedupe and debounce` cases of the protocol conformance suite (registered by shared/test/protocol.test.ts
 * inside its per-client `describe.each`). Explicit `now` values stand in for waiting.
 */
import { expect, it } from "vitest";
import { z } from "zod";
import type { AdminCaseContext } from "./admin-cases";
import { defineJob } from "../src/job-definition";
import { enqueue, prepareJob, type EnqueueOptions } from "../src/ops/enqueue";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { parseTickReply, tickCall } from "../src/ops/tick";
import { getStatus } from "../src/ops/read";

const job = defineJob({ name: "proto", schema: z.object({ n: z.number() }), maxAttempts: 3 });
const T0 = 1_800_000_000_000;

export function dedupeCases(ctx: AdminCaseContext): void {
  const add = async (n: number, options: EnqueueOptions, now: number) =>
    (await enqueue(ctx.runner(), ctx.keys(), [await prepareJob(job, { n }, options)], now))[0]!;
  const claim = async (now: number) => parseClaimReply(await ctx.runner().run(claimCall(ctx.keys(), "w", 10, { now })));
  const dataOf = async (localId: string) => JSON.parse((await ctx.direct().hget(ctx.keys().job(localId), "d"))!);

  it("dedupe: while the holder waits, the same key returns it whatever the payload; after it started, a new job", async () => {
    const first = await add(1, { dedupeKey: "user-7" }, T0);
    const again = await add(2, { dedupeKey: "user-7" }, T0 + 10);
    expect(first.outcome).toBe("created");
    expect(again).toMatchObject({ localId: first.localId, outcome: "existing", state: "waiting" });
    expect(await dataOf(first.localId)).toEqual({ n: 1 }); // no debounce: the first payload stays
    expect(await ctx.direct().llen(ctx.keys().wait)).toBe(1);
    // Another key is another job.
    expect((await add(3, { dedupeKey: "user-8" }, T0 + 20)).outcome).toBe("created");

    await claim(T0 + 30); // both start
    const after = await add(4, { dedupeKey: "user-7" }, T0 + 40);
    expect(after.outcome).toBe("created");
    expect(after.localId).not.toBe(first.localId);
  });

  it("dedupe holds for a delayed job too, and a retrying job (attempt 1) no longer holds the key", async () => {
    const delayed = await add(1, { dedupeKey: "k", delayMs: 60_000 }, T0);
    expect(await add(2, { dedupeKey: "k" }, T0 + 1)).toMatchObject({ localId: delayed.localId, outcome: "existing", state: "delayed" });
    // Started once and back in the delayed set for a retry: it has started, so a new job is created.
    await ctx.direct().hset(ctx.keys().job(delayed.localId), "a", "1");
    expect((await add(3, { dedupeKey: "k" }, T0 + 2)).outcome).toBe("created");
  });

  it("debounce: five enqueues 300 ms apart make one job with the last payload, due 2 s after the last", async () => {
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await add(i, { dedupeKey: "save", debounceMs: 2_000 }, T0 + i * 300));
    expect(new Set(results.map((r) => r.localId)).size).toBe(1);
    expect(results.map((r) => r.outcome)).toEqual(["created", "existing", "existing", "existing", "existing"]);
    const { localId } = results[0]!;
    expect(await dataOf(localId)).toEqual({ n: 4 });
    expect(Number(await ctx.direct().zscore(ctx.keys().delayed, localId))).toBe(T0 + 1_200 + 2_000);
    expect((await getStatus(ctx.runner(), ctx.keys(), localId))!.runAt).toBe(new Date(T0 + 3_200).toISOString());
    // Not due before then; due at it.
    const tick = (now: number) => ctx.runner().run(tickCall(ctx.keys(), { workerId: "w", leaseMs: 30_000, maxStalls: 1, deadTtlMs: 1 }, now)).then(parseTickReply);
    expect((await tick(T0 + 3_199)).nextDue).toBe(T0 + 3_200);
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).not.toContain(localId);
    await tick(T0 + 3_200);
    const claimed = await claim(T0 + 3_201);
    expect(claimed.claimed.map((c) => c.entry)).toEqual([localId]);
  });

  it("debounce on a holder already due (waiting) takes it out of the wait list and delays it again", async () => {
    const first = await add(1, { dedupeKey: "d", debounceMs: 1_000 }, T0);
    await ctx.runner().run(tickCall(ctx.keys(), { workerId: "w", leaseMs: 30_000, maxStalls: 1, deadTtlMs: 1 }, T0 + 1_000));
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).toContain(first.localId);
    const again = await add(2, { dedupeKey: "d", debounceMs: 1_000 }, T0 + 1_500);
    expect(again).toMatchObject({ localId: first.localId, outcome: "existing", state: "delayed" });
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).not.toContain(first.localId);
    expect(Number(await ctx.direct().zscore(ctx.keys().delayed, first.localId))).toBe(T0 + 2_500);
  });

  it("in one batch, the same dedupe key makes one job; with debounce the last item's payload wins", async () => {
    const items = await Promise.all([1, 2, 3].map((n) => prepareJob(job, { n }, { dedupeKey: "b", debounceMs: 500 })));
    const results = await enqueue(ctx.runner(), ctx.keys(), items, T0);
    expect(new Set(results.map((r) => r.localId)).size).toBe(1);
    expect(await dataOf(results[0]!.localId)).toEqual({ n: 3 });
    expect(await ctx.direct().zcard(ctx.keys().delayed)).toBe(1);
  });
}
