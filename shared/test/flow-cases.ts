/**
 * The `flow control` cases of the protocol conformance suite (registered by shared/test/protocol.test.ts inside
 * its per-client `describe.each`): the flow gate inside claim (rate limit, concurrency, back-pressure), the
 * reply's reopen time, slots given back by settle, reaper and recovery, and the runtime override. Explicit `now`
 * values stand in for waiting.
 */
import { expect, it } from "vitest";
import { z } from "zod";
import type { AdminCaseContext } from "./admin-fixtures";
import { defineJob } from "../src/job-definition";
import { MARKER } from "../src/keys";
import { enqueue, prepareJob } from "../src/ops/enqueue";
import { claimCall, NO_LIMITS, parseClaimReply, type GateLimits } from "../src/ops/claim";
import { settleCall, type Settlement } from "../src/ops/settle";
import { tickCall } from "../src/ops/tick";
import { recoverCall } from "../src/ops/recover";
import { setLimits } from "../src/ops/admin/limits";
import { getStatus } from "../src/ops/read";

const job = defineJob({ name: "proto", schema: z.object({ n: z.number() }), maxAttempts: 3 });
const T0 = 1_800_000_000_000;
const LEASE = 30_000;

export function flowCases(ctx: AdminCaseContext): void {
  const add = async (count: number, now = T0) =>
    (await enqueue(ctx.runner(), ctx.keys(), await Promise.all(Array.from({ length: count }, (_, n) => prepareJob(job, { n }))), now)).map(
      (created) => created.localId,
    );
  const claim = async (worker: string, max: number, now: number, limits: GateLimits, moved?: string) =>
    parseClaimReply(await ctx.runner().run(claimCall(ctx.keys(), worker, max, { now, limits, moved, leaseMs: LEASE })));
  const register = (worker: string, now = T0) =>
    ctx.runner().run(tickCall(ctx.keys(), { workerId: worker, leaseMs: LEASE, maxStalls: 3, deadTtlMs: 60_000 }, now));
  const completed = (entry: string): Settlement => ({ entry, recordId: entry, kind: "completed", payload: "1", runAt: 0, ttlMs: 60_000 });
  const rate = (max: number, perMs: number): GateLimits => ({ ...NO_LIMITS, rateMax: max, ratePerMs: perMs });
  const concurrency = (n: number): GateLimits => ({ ...NO_LIMITS, concurrency: n });

  it("flow: without limits the gate says none and costs the claim nothing else", async () => {
    await add(3);
    const reply = await claim("w1", 10, T0, NO_LIMITS);
    expect(reply.gate).toEqual({ state: "none" });
    expect(reply.claimed).toHaveLength(3);
  });

  it("flow: a rate limit caps starts in any window across workers, and the reply says when it reopens", async () => {
    await add(10);
    const limit = rate(3, 1_000);
    const first = await claim("w1", 2, T0, limit);
    expect(first.claimed).toHaveLength(2);
    expect(first.gate).toEqual({ state: "open" });
    // Another worker gets what is left of the window, and is told it is now full.
    const second = await claim("w2", 5, T0 + 400, limit);
    expect(second.claimed).toHaveLength(1);
    expect(second.gate).toEqual({ state: "closed", reopenAt: T0 + 1_000 });
    const third = await claim("w3", 5, T0 + 999, limit);
    expect(third.claimed).toHaveLength(0);
    expect(third.gate).toEqual({ state: "closed", reopenAt: T0 + 1_000 });
    // At T0 + 1000 the first two starts leave the window, the one at T0 + 400 stays: two more.
    const fourth = await claim("w3", 5, T0 + 1_000, limit);
    expect(fourth.claimed).toHaveLength(2);
    expect(fourth.gate).toEqual({ state: "closed", reopenAt: T0 + 1_400 });
    expect(await ctx.direct().llen(ctx.keys().wait)).toBe(5);
  });

  it("flow: concurrency counts every worker's in-flight list; a settle frees a slot and wakes a waiting peer", async () => {
    const ids = await add(5);
    await register("w1");
    await register("w2");
    const limit = concurrency(2);
    const first = await claim("w1", 1, T0, limit);
    expect(first.claimed).toHaveLength(1);
    const second = await claim("w2", 5, T0, limit);
    expect(second.claimed).toHaveLength(1);
    expect(second.gate).toEqual({ state: "closed", reopenAt: null });
    expect((await claim("w2", 5, T0, limit)).claimed).toHaveLength(0);
    expect(await ctx.direct().llen(ctx.keys().gateWake)).toBe(0);
    // w1 finishes: one slot is free again, and the peer that found the queue saturated gets a wake-up marker.
    await ctx.runner().run(settleCall(ctx.keys(), "w1", [completed(first.claimed[0]!.entry)], T0 + 1));
    expect(await ctx.direct().lrange(ctx.keys().gateWake, 0, -1)).toEqual([MARKER]);
    const third = await claim("w2", 5, T0 + 2, limit);
    expect(third.claimed.map((c) => c.entry)).toEqual([ids[2]]);
    expect(third.gate).toEqual({ state: "closed", reopenAt: null });
  });

  it("flow: while peers may be parked every freed slot wakes one; a claim that leaves slots free ends that", async () => {
    await add(2);
    for (const worker of ["w1", "w2", "w3"]) await register(worker);
    const limit = concurrency(2);
    const first = await claim("w1", 2, T0, limit);
    expect((await claim("w2", 1, T0, limit)).gate).toEqual({ state: "closed", reopenAt: null });
    expect((await claim("w3", 1, T0, limit)).gate).toEqual({ state: "closed", reopenAt: null });
    const [a, b] = first.claimed.map((c) => c.entry);
    await ctx.runner().run(settleCall(ctx.keys(), "w1", [completed(a!)], T0 + 1));
    await ctx.runner().run(settleCall(ctx.keys(), "w1", [completed(b!)], T0 + 2));
    // Two slots freed one after the other: two markers, one per parked peer.
    expect(await ctx.direct().llen(ctx.keys().gateWake)).toBe(2);
    // w2 wakes, finds nothing waiting and leaves both slots free: nobody is short of a slot any more.
    expect((await claim("w2", 1, T0 + 3, limit)).claimed).toHaveLength(0);
    expect(await ctx.direct().hget(ctx.keys().meta, "slotWaiters")).toBeNull();
  });

  it("flow: a claim carrying the settlement re-takes the freed slot and wakes nobody", async () => {
    await add(4);
    await register("w1");
    await register("w2");
    const limit = concurrency(1);
    const first = await claim("w1", 1, T0, limit);
    expect((await claim("w2", 1, T0, limit)).gate).toEqual({ state: "closed", reopenAt: null });
    const next = parseClaimReply(
      await ctx.runner().run(
        claimCall(ctx.keys(), "w1", 1, { now: T0 + 1, limits: limit, leaseMs: LEASE, settlements: [completed(first.claimed[0]!.entry)] }),
      ),
    );
    expect(next.settled).toEqual([true]);
    expect(next.claimed).toHaveLength(1);
    expect(await ctx.direct().llen(ctx.keys().gateWake)).toBe(0);
  });

  it("flow: a dead worker's slots come back when the reaper hands its jobs back, and a waiting peer is woken", async () => {
    await add(3);
    await register("dead");
    await register("live", T0 + 1);
    const limit = concurrency(2);
    expect((await claim("dead", 2, T0, limit)).claimed).toHaveLength(2);
    expect((await claim("live", 2, T0 + 1, limit)).gate).toEqual({ state: "closed", reopenAt: null });
    await register("live", T0 + LEASE + 2); // the dead worker's lease has expired: reaped
    expect(await ctx.direct().lrange(ctx.keys().gateWake, 0, -1)).toEqual([MARKER, MARKER]);
    const after = await claim("live", 5, T0 + LEASE + 3, limit);
    expect(after.claimed).toHaveLength(2);
    expect(after.gate).toEqual({ state: "closed", reopenAt: null });
  });

  it("flow: entries recovery hands back free their slots", async () => {
    await add(3);
    await register("w1");
    const limit = concurrency(2);
    expect((await claim("w1", 2, T0, limit)).claimed).toHaveLength(2);
    expect((await claim("w1", 2, T0, limit)).claimed).toHaveLength(0);
    // The process knows neither (its claim reply was lost): recovery hands both back, and they can be claimed.
    expect(Number(await ctx.runner().run(recoverCall(ctx.keys(), "w1", [])))).toBe(2);
    expect(await ctx.direct().llen(ctx.keys().gateWake)).toBeGreaterThan(0);
    expect((await claim("w1", 5, T0 + 1, limit)).claimed).toHaveLength(2);
  });

  it("flow: a closed gate sends the entry a BLMOVE moved back to the consuming end, attempt untouched", async () => {
    const ids = await add(3);
    await register("w1");
    const limit = concurrency(1);
    await claim("w1", 1, T0, limit);
    await ctx.direct().lmove(ctx.keys().wait, ctx.keys().active("w1"), "RIGHT", "LEFT");
    const reply = await claim("w1", 1, T0, limit, ids[1]);
    expect(reply.movedFound).toBe(true);
    expect(reply.claimed).toHaveLength(0);
    expect(await ctx.direct().lrange(ctx.keys().wait, -1, -1)).toEqual([ids[1]]);
    expect(await ctx.direct().llen(ctx.keys().active("w1"))).toBe(1);
    expect(await getStatus(ctx.runner(), ctx.keys(), ids[1]!)).toMatchObject({ state: "waiting", attempt: 0 });
  });

  it("flow: the runtime override wins over the definition, and null falls back to it", async () => {
    await add(6);
    const definition = { rateLimit: null, concurrency: 5 };
    const set = await setLimits(ctx.runner(), ctx.keys(), definition, { rate: { max: 2, perMs: 60_000 }, concurrency: 1 });
    expect(set).toMatchObject({ rate: "2/1m", concurrency: 1, definition: { rate: null, concurrency: 5 } });
    // The worker still sends the definition's limits; the override in meta wins.
    const first = await claim("w1", 10, T0, concurrency(5));
    expect(first.claimed).toHaveLength(1);
    const cleared = await setLimits(ctx.runner(), ctx.keys(), definition, { rate: null, concurrency: null });
    expect(cleared).toMatchObject({ rate: null, concurrency: 5, override: { rate: null, concurrency: null } });
    expect((await claim("w1", 10, T0 + 1, concurrency(5))).claimed).toHaveLength(4);
  });

  it("flow: a throttled settlement hands the job back with its attempt and closes the queue until then", async () => {
    const ids = await add(3);
    await register("w1");
    const first = await claim("w1", 1, T0, NO_LIMITS);
    const throttled: Settlement = { entry: ids[0]!, recordId: ids[0]!, kind: "throttled", payload: "", runAt: T0 + 5_000, ttlMs: 60_000 };
    await ctx.runner().run(settleCall(ctx.keys(), "w1", [throttled], T0 + 10));
    expect(first.claimed[0]!.entry).toBe(ids[0]);
    expect(await getStatus(ctx.runner(), ctx.keys(), ids[0]!)).toMatchObject({ state: "waiting", attempt: 0 });
    const blocked = await claim("w2", 5, T0 + 20, NO_LIMITS);
    expect(blocked.claimed).toHaveLength(0);
    expect(blocked.gate).toEqual({ state: "closed", reopenAt: T0 + 5_000 });
    const after = await claim("w2", 5, T0 + 5_000, NO_LIMITS);
    expect(after.claimed.map((c) => c.entry)).toEqual(ids);
  });
}
