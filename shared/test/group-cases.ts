/**
 * The `groups` cases of the protocol conformance suite (registered by shared/test/protocol.test.ts inside its
 * per-client `describe.each`): round robin between groups, priorities within one, per-group concurrency and rate,
 * back-pressure per group, and the paths that move grouped jobs (delay, retry, reap, recover, cancel, pause,
 * debounce). Explicit `now` values stand in for waiting.
 */
import { expect, it } from "vitest";
import { z } from "zod";
import type { AdminCaseContext } from "./admin-cases";
import { defineJob, type JobDefinition } from "../src/job-definition";
import { enqueue, prepareBatch, prepareJob, type EnqueueOptions } from "../src/ops/enqueue";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { parseSettleReply, settleCall, type Settlement } from "../src/ops/settle";
import { parseTickReply, tickCall } from "../src/ops/tick";
import { cancelJob, getStatus, parseStatsReply, statsCall } from "../src/ops/read";
import { listJobs, promoteJob, replayDead, retryJob, setPaused } from "../src/ops/admin";
import { recoverCall } from "../src/ops/recover";
import { minuteOf } from "../src/keys";

const schema = z.object({ n: z.number(), tenant: z.string().optional() });
const job = defineJob({ name: "proto", schema, maxAttempts: 3 });
const byTenant = defineJob({ name: "proto", schema, maxAttempts: 3, group: (data) => data.tenant });
const oneAtATime = defineJob({ name: "proto", schema, maxAttempts: 3, groupLimits: { concurrency: 1 } });
const twoPerSecond = defineJob({ name: "proto", schema, maxAttempts: 3, groupLimits: { rateLimit: { max: 2, per: "1s" } } });
const T0 = 1_800_000_000_000;
const LEASE = 30_000;

export function groupCases(ctx: AdminCaseContext): void {
  const add = async (n: number, options: EnqueueOptions = {}, now = T0, definition: JobDefinition = job) =>
    (await enqueue(ctx.runner(), ctx.keys(), [await prepareJob(definition, { n }, options)], now))[0]!;
  const addMany = async (group: string, from: number, count: number, now = T0) =>
    enqueue(ctx.runner(), ctx.keys(), await prepareBatch(job, Array.from({ length: count }, (_, i) => ({ data: { n: from + i }, options: { group } }))), now);
  const claim = async (max: number, now = T0 + 1, definition: JobDefinition = job, worker = "w", moved?: string) =>
    parseClaimReply(
      await ctx.runner().run(claimCall(ctx.keys(), worker, max, { now, moved, leaseMs: LEASE, groupLimits: definition.groupLimits })),
    );
  const settle = async (settlements: Settlement[], now = T0 + 2, worker = "w") =>
    parseSettleReply(await ctx.runner().run(settleCall(ctx.keys(), worker, settlements, now)));
  const done = (entry: string): Settlement => ({ entry, recordId: entry, kind: "completed", payload: "null", runAt: 0, ttlMs: 60_000 });
  const nOf = async (localId: string) => JSON.parse((await ctx.direct().hget(ctx.keys().job(localId), "d"))!).n as number;
  const nsOf = async (reply: { claimed: { entry: string }[] }) => Promise.all(reply.claimed.map((c) => nOf(c.entry)));
  const waiting = async () => parseStatsReply(ctx.keys(), await ctx.runner().run(statsCall(ctx.keys()))).waiting;
  /** Claims (and completes) one job at a time until none is left; returns their payloads' n, in claim order. */
  const drain = async (now = T0 + 1, definition: JobDefinition = job) => {
    const order: number[] = [];
    for (;;) {
      const reply = await claim(1, now, definition);
      if (reply.claimed.length === 0) return order;
      order.push(await nOf(reply.claimed[0]!.entry));
      await settle([done(reply.claimed[0]!.entry)], now);
    }
  };
  /** Every key a group may leave behind. */
  const groupKeys = async () => (await ctx.direct().keys(`${ctx.keys().meta.slice(0, -4)}g*`)).sort();

  it("groups: round robin — each job of a small group waits behind at most one job per other group, not the backlog", async () => {
    await addMany("big", 0, 50);
    await addMany("small", 100, 3);
    await add(200);
    await add(201);
    // The ready list holds one token per group, whatever the group's size.
    expect(await ctx.direct().llen(ctx.keys().wait)).toBe(4);
    expect(await waiting()).toBe(55);
    // The history's waiting depth (written by the claim) counts jobs, not tokens.
    await claim(0);
    expect(await ctx.direct().hget(ctx.keys().history(minuteOf(T0 + 1)), "waiting")).toBe("55");
    const order = await drain();
    expect(order.slice(0, 8)).toEqual([0, 100, 200, 201, 1, 101, 2, 102]);
    expect(order.slice(8)).toEqual(Array.from({ length: 47 }, (_, i) => 3 + i));
    // Empty groups cost nothing: no key left, counters back to zero.
    expect(await groupKeys()).toEqual([]);
    expect(await waiting()).toBe(0);
    expect(await ctx.direct().hmget(ctx.keys().meta, "groupWaiting", "groupTokens")).toEqual(["0", "0"]);
  });

  it("groups: one claim of many takes one job per group per turn, and the definition's group(data) groups jobs", async () => {
    for (let i = 0; i < 5; i++) await add(i, {}, T0, byTenant);
    await enqueue(ctx.runner(), ctx.keys(), [await prepareJob(byTenant, { n: 10, tenant: "b" }), await prepareJob(byTenant, { n: 11, tenant: "b" })], T0);
    await enqueue(ctx.runner(), ctx.keys(), [await prepareJob(byTenant, { n: 20, tenant: "a" }, { group: "c" })], T0);
    // n 0-4 have no tenant (ungrouped); "b" derived; the request's group wins over the function's ("a" → "c").
    expect(await ctx.direct().hget(ctx.keys().job((await add(30, {}, T0, byTenant)).localId), "g")).toBeNull();
    const reply = await claim(20);
    expect(await nsOf(reply)).toEqual([0, 1, 2, 3, 4, 10, 20, 30, 11]);
    expect(await ctx.direct().zcard(ctx.keys().groupWait("c"))).toBe(0);
  });

  it("groups: priorities order the jobs within a group (FIFO within one priority)", async () => {
    await add(1, { group: "g" });
    await add(2, { group: "g", priority: 8 });
    await add(3, { group: "g", priority: 2 });
    await add(4, { group: "g", priority: 2 });
    await add(5, { group: "g" });
    expect(await drain()).toEqual([3, 4, 1, 5, 2]);
    expect((await getStatus(ctx.runner(), ctx.keys(), (await add(6, { group: "g", priority: 9 })).localId))!.priority).toBe(9);
  });

  it("groups: per-group concurrency 1 — a group at its limit parks its token until one of its jobs settles", async () => {
    for (let i = 0; i < 3; i++) await add(i, { group: "a" }, T0, oneAtATime);
    await add(10, { group: "b" }, T0, oneAtATime);
    const first = await claim(10, T0 + 1, oneAtATime);
    expect(await nsOf(first)).toEqual([0, 10]);
    expect(first.gate.state).toBe("open"); // group limits: no claiming ahead
    expect((await claim(10, T0 + 2, oneAtATime)).claimed).toEqual([]);
    expect(await ctx.direct().hget(ctx.keys().groupState("a"), "token")).toBe("full");
    expect(await waiting()).toBe(2);
    await settle([done(first.claimed[0]!.entry)], T0 + 3);
    const second = await claim(10, T0 + 4, oneAtATime);
    expect(await nsOf(second)).toEqual([1]);
    await settle([done(second.claimed[0]!.entry), done(first.claimed[1]!.entry)], T0 + 5);
    expect(await nsOf(await claim(10, T0 + 6, oneAtATime))).toEqual([2]);
  });

  it("groups: per-group rate limit — at most max starts of one group in any window, the reopen time is the next due", async () => {
    for (let i = 0; i < 5; i++) await add(i, { group: "a" }, T0, twoPerSecond);
    await add(10, { group: "b" }, T0, twoPerSecond);
    const first = await claim(10, T0 + 1, twoPerSecond);
    expect(await nsOf(first)).toEqual([0, 10, 1]);
    expect(first.nextDue).toBe(T0 + 1 + 1_000);
    expect((await claim(10, T0 + 500, twoPerSecond)).claimed).toEqual([]);
    expect(await ctx.direct().zscore(ctx.keys().groupsLater, "a")).toBe(String(T0 + 1_001));
    // Promoted by a tick at the reopen time (as a delayed job), then claimable.
    await ctx.runner().run(tickCall(ctx.keys(), { workerId: "w", leaseMs: LEASE, maxStalls: 3, deadTtlMs: 60_000 }, T0 + 1_001));
    expect(await nsOf(await claim(10, T0 + 1_001, twoPerSecond))).toEqual([2, 3]);
  });

  it("groups: back-pressure pauses the job's group only; ungrouped throttling still pauses the queue", async () => {
    await add(1, { group: "a" });
    await add(2, { group: "a" });
    await add(3, { group: "b" });
    const first = await claim(1);
    expect(await nsOf(first)).toEqual([1]);
    const entry = first.claimed[0]!.entry;
    await settle([{ entry, recordId: entry, kind: "throttled", payload: "", runAt: T0 + 5_000, ttlMs: 60_000 }], T0 + 2);
    const second = await claim(10, T0 + 3);
    expect(second.gate.state).not.toBe("closed");
    expect(await nsOf(second)).toEqual([3]);
    expect(second.nextDue).toBe(T0 + 5_000);
    expect(await ctx.direct().hget(ctx.keys().meta, "throttledUntil")).toBeNull();
    expect((await claim(10, T0 + 4_999)).claimed).toEqual([]);
    const third = await claim(10, T0 + 5_000);
    // First in line again, its attempt given back.
    expect(await nsOf(third)).toEqual([1, 2]);
    expect(third.claimed[0]!.fields[3]).toBe("1");
  });

  it("groups: a dead worker's grouped jobs are reaped back into their group and give their slot back", async () => {
    await add(1, { group: "a" }, T0, oneAtATime);
    await add(2, { group: "a" }, T0, oneAtATime);
    expect(await nsOf(await claim(1, T0 + 1, oneAtATime, "dead"))).toEqual([1]);
    expect((await claim(10, T0 + 2, oneAtATime, "live")).claimed).toEqual([]);
    const tick = parseTickReply(
      await ctx.runner().run(tickCall(ctx.keys(), { workerId: "live", leaseMs: LEASE, maxStalls: 3, deadTtlMs: 60_000 }, T0 + LEASE + 10)),
    );
    expect(tick.reaped).toBe(1);
    const again = await claim(10, T0 + LEASE + 11, oneAtATime, "live");
    expect(await nsOf(again)).toEqual([1]);
    expect(await ctx.direct().hget(ctx.keys().groupState("a"), "running")).toBe("1");
  });

  it("groups: recover hands a grouped job back into its group; a BLMOVE'd token is claimed like any entry", async () => {
    await add(1, { group: "a" });
    await add(2, { group: "a" });
    const first = await claim(1);
    expect(await ctx.runner().run(recoverCall(ctx.keys(), "w", []))).toBe(1);
    expect(await ctx.direct().hget(ctx.keys().groupState("a"), "running")).toBe("0");
    // What a blocked worker's BLMOVE does: the token moves into its in-flight list, the claim is told.
    const token = await ctx.direct().lmove(ctx.keys().wait, ctx.keys().active("w"), "RIGHT", "LEFT");
    expect(token).toBe("^a");
    const reply = await claim(1, T0 + 2, job, "w", token!);
    expect(reply.claimed.map((c) => c.entry)).toEqual([first.claimed[0]!.entry]);
    expect(await ctx.direct().lrange(ctx.keys().active("w"), 0, -1)).toEqual([first.claimed[0]!.entry]);
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).toEqual(["^a"]);
  });

  it("groups: delayed jobs and retries of a group come back into their group", async () => {
    await add(1, { group: "a", delayMs: 1_000 });
    await add(2, { group: "b" });
    expect(await nsOf(await claim(10, T0 + 1))).toEqual([2]);
    const promoted = await claim(10, T0 + 1_000);
    expect(await nsOf(promoted)).toEqual([1]);
    const entry = promoted.claimed[0]!.entry;
    await settle([{ entry, recordId: entry, kind: "retry", payload: '{"message":"x"}', runAt: T0 + 2_000, ttlMs: 60_000 }], T0 + 1_001);
    expect(await ctx.direct().hget(ctx.keys().groupState("a"), "running")).toBeNull();
    const retried = await claim(10, T0 + 2_000);
    expect(retried.claimed.map((c) => c.entry)).toEqual([entry]);
    expect(await ctx.direct().hget(ctx.keys().job(entry), "s")).toBe("active");
  });

  it("groups: cancel, pause and stats see grouped waiting jobs; debounce moves a grouped holder", async () => {
    const a = await add(1, { group: "a" });
    await add(2, { group: "a" });
    expect(await waiting()).toBe(2);
    expect((await cancelJob(ctx.runner(), ctx.keys(), a.localId, T0)).outcome).toBe("cancelled");
    expect(await waiting()).toBe(1);
    await setPaused(ctx.runner(), ctx.keys(), true);
    expect((await claim(10)).claimed).toEqual([]);
    expect(await waiting()).toBe(1);
    await setPaused(ctx.runner(), ctx.keys(), false);
    expect(await nsOf(await claim(10))).toEqual([2]);
    const held = await add(3, { group: "d", dedupeKey: "k" });
    const again = await add(4, { group: "d", dedupeKey: "k", debounceMs: 5_000 }, T0 + 10);
    expect(again.localId).toBe(held.localId);
    expect(await ctx.direct().zcard(ctx.keys().groupWait("d"))).toBe(0);
    expect((await claim(10, T0 + 20)).claimed).toEqual([]);
    expect(await nsOf(await claim(10, T0 + 5_010))).toEqual([4]);
  });

  it("groups: replay, retry and promote put a grouped job back into its group; listing shows no token", async () => {
    const a = await add(1, { group: "a", maxAttempts: 1 });
    const reply = await claim(1);
    await settle([{ entry: a.localId, recordId: a.localId, kind: "dead", payload: '{"message":"x"}', runAt: 0, ttlMs: 60_000 }]);
    expect(await ctx.direct().exists(ctx.keys().groupState("a"))).toBe(0);
    expect(reply.claimed).toHaveLength(1);
    expect((await replayDead(ctx.runner(), ctx.keys(), { ids: [a.id] })).replayed).toBe(1);
    expect(await ctx.direct().zrange(ctx.keys().groupWait("a"), "0", "-1")).toEqual([a.localId]);
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).toEqual(["^a"]);
    expect(await waiting()).toBe(1);
    const listed = await listJobs(ctx.runner(), ctx.keys(), { state: "waiting", limit: 50 });
    expect(listed.jobs.map((j) => j.id)).not.toContain("proto.^a");
    expect(await nsOf(await claim(1, T0 + 3))).toEqual([1]);
    await settle([{ entry: a.localId, recordId: a.localId, kind: "dead", payload: '{"message":"x"}', runAt: 0, ttlMs: 60_000 }], T0 + 4);
    expect((await retryJob(ctx.runner(), ctx.keys(), a.localId)).outcome).toBe("moved");
    expect(await nsOf(await claim(1, T0 + 5))).toEqual([1]);
    const later = await add(2, { group: "b", delayMs: 60_000 });
    expect((await promoteJob(ctx.runner(), ctx.keys(), later.localId, T0 + 6)).outcome).toBe("moved");
    expect(await nsOf(await claim(1, T0 + 7))).toEqual([2]);
  });

  it("groups: the waiting listing shows grouped jobs after the others, group by group, across pages", async () => {
    await add(1);
    for (let i = 0; i < 3; i++) await add(10 + i, { group: "b" });
    for (let i = 0; i < 4; i++) await add(20 + i, { group: "a", priority: 4 - i });
    await add(2, { priority: 9 });
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await listJobs(ctx.runner(), ctx.keys(), { state: "waiting", limit: 3, cursor });
      for (const job of page.jobs) seen.push((job.data as { n: number }).n);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([1, 2, 23, 22, 21, 20, 10, 11, 12]);
  });

  it("groups: thousands of groups, one token each; all keys gone once drained", async () => {
    const jobs = await prepareBatch(job, Array.from({ length: 3_000 }, (_, i) => ({ data: { n: i }, options: { group: `t${i % 1_000}` } })));
    await enqueue(ctx.runner(), ctx.keys(), jobs, T0);
    expect(await ctx.direct().llen(ctx.keys().wait)).toBe(1_000);
    expect(await waiting()).toBe(3_000);
    const first = await claim(1_000);
    // One job of every group before any group's second.
    expect(new Set(await nsOf(first)).size).toBe(1_000);
    expect((await nsOf(first)).every((n) => n < 1_000)).toBe(true);
    await settle(first.claimed.map((c) => done(c.entry)));
    let left = 2_000;
    while (left > 0) {
      const reply = await claim(500, T0 + 3);
      left -= reply.claimed.length;
      await settle(reply.claimed.map((c) => done(c.entry)), T0 + 3);
    }
    expect(await groupKeys()).toEqual([]);
    expect(await waiting()).toBe(0);
  });
}
