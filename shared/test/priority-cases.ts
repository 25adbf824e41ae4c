/**
 * The `priorities` cases of the protocol conformance suite (registered by shared/test/protocol.test.ts inside
 * its per-client `describe.each`, so they run through ioredis, Upstash REST and the cluster). Explicit `now`
 * values stand in for waiting.
 */
import { expect, it } from "vitest";
import { z } from "zod";
import type { AdminCaseContext } from "./admin-cases";
import { defineJob } from "../src/job-definition";
import { enqueue, prepareBatch, prepareJob, type EnqueueOptions } from "../src/ops/enqueue";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { parseSettleReply, settleCall } from "../src/ops/settle";
import { parseTickReply, tickCall } from "../src/ops/tick";
import { cancelJob, getStatus, parseStatsReply, statsCall } from "../src/ops/read";
import { listJobs, promoteJob, replayDead, retryJob, setPaused } from "../src/ops/admin";
import { recoverCall } from "../src/ops/recover";
import { MARKER } from "../src/keys";

const job = defineJob({ name: "proto", schema: z.object({ n: z.number() }), maxAttempts: 3 });
/** A definition whose default (the list priority) is 2. */
const urgent = defineJob({ name: "proto", schema: z.object({ n: z.number() }), maxAttempts: 3, priority: 2 });
const T0 = 1_800_000_000_000;
const LEASE = 30_000;

export function priorityCases(ctx: AdminCaseContext): void {
  const add = async (n: number, options: EnqueueOptions = {}, now = T0, definition = job) =>
    (await enqueue(ctx.runner(), ctx.keys(), [await prepareJob(definition, { n }, options)], now))[0]!;
  const claim = async (max: number, now = T0 + 1, listPriority?: number, moved?: string) =>
    parseClaimReply(await ctx.runner().run(claimCall(ctx.keys(), "w", max, { now, listPriority, moved })));
  const nOf = async (localId: string) => JSON.parse((await ctx.direct().hget(ctx.keys().job(localId), "d"))!).n as number;
  /** Claims one job at a time until none is left; returns their payloads' n, in claim order. */
  const drain = async (now = T0 + 1, listPriority?: number) => {
    const order: number[] = [];
    for (;;) {
      const reply = await claim(1, now, listPriority);
      if (reply.claimed.length === 0) return order;
      order.push(await nOf(reply.claimed[0]!.entry));
    }
  };

  it("priority: a claim takes the lowest number first, FIFO within one priority; default jobs stay in the wait list", async () => {
    const a = await add(1); // default 5
    await add(2, { priority: 1 });
    await add(3, { priority: 10 });
    await add(4, { priority: 3 });
    await add(5, { priority: 1 });
    await add(6, { priority: 5 }); // the default, said explicitly: the same as none
    expect(await ctx.direct().hget(ctx.keys().job(a.localId), "P")).toBeNull();
    expect(await ctx.direct().llen(ctx.keys().wait)).toBeGreaterThanOrEqual(2);
    expect(await ctx.direct().zcard(ctx.keys().prio)).toBe(4);
    expect(await drain()).toEqual([2, 5, 4, 1, 6, 3]);
  });

  it("priority: FIFO within a priority across batches, and a whole claim batch comes in priority order", async () => {
    const items = (from: number, priority?: number) =>
      Array.from({ length: 20 }, (_, i) => ({ data: { n: from + i }, options: priority ? { priority } : {} }));
    await enqueue(ctx.runner(), ctx.keys(), await prepareBatch(job, [...items(0, 7), ...items(100)]), T0);
    await enqueue(ctx.runner(), ctx.keys(), await prepareBatch(job, [...items(200, 2), ...items(300, 7)]), T0);
    const reply = await claim(100);
    const order = await Promise.all(reply.claimed.map((c) => nOf(c.entry)));
    const range = (from: number) => Array.from({ length: 20 }, (_, i) => from + i);
    expect(order).toEqual([...range(200), ...range(100), ...range(0), ...range(300)]);
  });

  it("priority: the status shows it; the definition's default applies when none is given", async () => {
    const a = await add(1, { priority: 9 });
    const b = await add(2);
    expect((await getStatus(ctx.runner(), ctx.keys(), a.localId))!.priority).toBe(9);
    expect((await getStatus(ctx.runner(), ctx.keys(), b.localId))!.priority).toBe(5);
    const c = await add(3, {}, T0, urgent);
    expect((await getStatus(ctx.runner(), ctx.keys(), c.localId, urgent.priority))!.priority).toBe(2);
  });

  it("priority: a definition default of 2 is the list priority; 5 and 1 go around it", async () => {
    await add(1, {}, T0, urgent); // 2: wait list
    await add(2, { priority: 5 }, T0, urgent);
    await add(3, { priority: 1 }, T0, urgent);
    await add(4, { priority: 2 }, T0, urgent);
    expect(await ctx.direct().zcard(ctx.keys().prio)).toBe(2);
    expect(await drain(T0 + 1, 2)).toEqual([3, 1, 4, 2]);
  });

  it("priority: delayed jobs and retries keep their priority when they become due", async () => {
    await add(1);
    await add(2);
    const delayed = await add(3, { priority: 1, delayMs: 1_000 });
    expect(await ctx.direct().hget(ctx.keys().job(delayed.localId), "P")).toBe("1");
    // Not due yet: the default jobs run; the next due time is the whole ms of runAt.
    const first = await claim(1, T0 + 10);
    expect(first.nextDue).toBe(T0 + 1_000);
    expect(await nOf(first.claimed[0]!.entry)).toBe(1);
    // Due: promoted into the priority zset, ahead of the default job still waiting.
    const due = await claim(1, T0 + 1_001);
    expect(due.claimed.map((c) => c.entry)).toEqual([delayed.localId]);
    // It fails: the retry is delayed, then due again, and again first in line.
    const settled = await ctx.runner().run(
      settleCall(ctx.keys(), "w", [
        { entry: delayed.localId, recordId: delayed.localId, kind: "retry", payload: '{"message":"x"}', runAt: T0 + 2_000, ttlMs: 60_000 },
      ], T0 + 1_500),
    );
    expect(parseSettleReply(settled)).toEqual([true]);
    await add(4, {}, T0 + 1_600);
    const tick = parseTickReply(await ctx.runner().run(tickCall(ctx.keys(), { workerId: "t", leaseMs: LEASE, maxStalls: 1, deadTtlMs: 1 }, T0 + 1_600)));
    expect(tick.nextDue).toBe(T0 + 2_000);
    await ctx.runner().run(tickCall(ctx.keys(), { workerId: "t", leaseMs: LEASE, maxStalls: 1, deadTtlMs: 1 }, T0 + 2_001));
    expect(await ctx.direct().zscore(ctx.keys().prio, delayed.localId)).not.toBeNull();
    expect(await drain(T0 + 2_002)).toEqual([3, 2, 4]);
  });

  it("priority: hand back, stall recovery and lost-reply recovery put a job back first in its priority", async () => {
    const a = await add(1, { priority: 2 });
    await add(2, { priority: 2 });
    await add(3);
    // Hand back (shutdown): first in line of priority 2 again, attempt given back.
    const took = await claim(1);
    expect(took.claimed[0]!.entry).toBe(a.localId);
    await ctx.runner().run(settleCall(ctx.keys(), "w", [{ entry: a.localId, recordId: a.localId, kind: "handBack", payload: "", runAt: 0, ttlMs: 0 }], T0 + 2));
    expect(await ctx.direct().hget(ctx.keys().job(a.localId), "a")).toBe("0");
    // Stall: worker "dead" claims it and vanishes; a peer's tick reaps it into the zset.
    const dead = parseClaimReply(await ctx.runner().run(claimCall(ctx.keys(), "dead", 1, { now: T0 + 3, leaseMs: LEASE })));
    expect(dead.claimed[0]!.entry).toBe(a.localId);
    const reaped = parseTickReply(
      await ctx.runner().run(tickCall(ctx.keys(), { workerId: "peer", leaseMs: LEASE, maxStalls: 3, deadTtlMs: 1 }, T0 + 3 + LEASE + 1)),
    );
    expect(reaped.reaped).toBe(1);
    expect(await ctx.direct().zscore(ctx.keys().prio, a.localId)).not.toBeNull();
    // Lost reply: claimed, then recovered by a process that does not know it holds it.
    const lost = await claim(1, T0 + LEASE + 10);
    expect(lost.claimed[0]!.entry).toBe(a.localId);
    expect(await ctx.runner().run(recoverCall(ctx.keys(), "w", []))).toBe(1);
    // Blocked workers learn of it: the zset push left a marker in the empty-of-jobs wait list? Not needed: the
    // default job is there. The run order is unchanged.
    expect(await drain(T0 + LEASE + 20)).toEqual([1, 2, 3]);
  });

  it("priority: a hand back carried by a claim goes back into the zset in that same call", async () => {
    const a = await add(1, { priority: 3 });
    expect((await claim(1)).claimed[0]!.entry).toBe(a.localId);
    const handBack = { entry: a.localId, recordId: a.localId, kind: "handBack" as const, payload: "", runAt: 0, ttlMs: 0 };
    // The same claim takes nothing else (max 0 is not sent by workers; 1 takes it straight back).
    const again = parseClaimReply(await ctx.runner().run(claimCall(ctx.keys(), "w", 1, { now: T0 + 2, settlements: [handBack] })));
    expect(again.settled).toEqual([true]);
    expect(again.claimed.map((c) => c.entry)).toEqual([a.localId]);
    // And when the claim is paused, it still lands in the zset, to run after the resume.
    await ctx.runner().run(settleCall(ctx.keys(), "w", [handBack], T0 + 3));
    expect((await claim(1, T0 + 4)).claimed.map((c) => c.entry)).toEqual([a.localId]);
    await setPaused(ctx.runner(), ctx.keys(), true);
    const paused = parseClaimReply(await ctx.runner().run(claimCall(ctx.keys(), "w", 1, { now: T0 + 5, settlements: [handBack] })));
    expect(paused.claimed).toEqual([]);
    expect(await ctx.direct().zscore(ctx.keys().prio, a.localId)).not.toBeNull();
    await setPaused(ctx.runner(), ctx.keys(), false);
    expect(await drain(T0 + 6)).toEqual([1]);
  });

  it("priority: paused, 50 priority-10 and 50 priority-1 jobs; after resume the first 50 started are all priority 1", async () => {
    await setPaused(ctx.runner(), ctx.keys(), true);
    for (let i = 0; i < 50; i += 1) {
      await add(i, { priority: 10 });
      await add(100 + i, { priority: 1 });
    }
    expect((await claim(10)).claimed).toEqual([]); // paused: nothing starts
    expect(parseStatsReply(ctx.keys(), await ctx.runner().run(statsCall(ctx.keys())))).toMatchObject({ waiting: 100, paused: true });
    await setPaused(ctx.runner(), ctx.keys(), false);
    // Only prio jobs wait, so there was no list to rename: resume pushed the marker that wakes a blocked worker.
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).toEqual([MARKER]);
    const started: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      for (const c of (await claim(10, T0 + 10 + i)).claimed) started.push(await nOf(c.entry));
    }
    expect(started).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
  });

  it("priority: an enqueue into the zset wakes a blocked worker: the marker lands on an empty wait list", async () => {
    await add(1, { priority: 3 });
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).toEqual([MARKER]);
    // A second one finds the marker there: a wait list with an entry has no blocked worker.
    await add(2, { priority: 3 });
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).toEqual([MARKER]);
    // The woken worker's claim (handed the marker by BLMOVE) takes a job and, leaving more behind with wait
    // empty, wakes the next peer.
    await ctx.direct().lmove(ctx.keys().wait, ctx.keys().active("w"), "RIGHT", "LEFT");
    const reply = await claim(1, T0 + 1, undefined, MARKER);
    expect(reply.claimed.length).toBe(1);
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).toEqual([MARKER]);
  });

  it("priority: no wake-up marker for prio jobs left behind while the flow gate holds the claim back", async () => {
    await add(1, { priority: 3 });
    await add(2, { priority: 3 });
    await ctx.direct().del(ctx.keys().wait); // the producers' marker: consumed by the worker that claims below
    // Concurrency 1: the claim asks for 5, the gate allows 1. A marker would wake a peer whose claim the gate
    // refuses, which would wake the next: a ping-pong of claims. The gate's own wake-up reopens the queue instead.
    const reply = parseClaimReply(
      await ctx.runner().run(claimCall(ctx.keys(), "w", 5, { now: T0 + 1, limits: { rateMax: 0, ratePerMs: 0, concurrency: 1 } })),
    );
    expect(reply.claimed.length).toBe(1);
    expect(reply.gate.state).toBe("closed");
    expect(await ctx.direct().lrange(ctx.keys().wait, 0, -1)).toEqual([]);
  });

  it("priority: a default job a BLMOVE handed over goes back when a more urgent job waits", async () => {
    const a = await add(1);
    await ctx.direct().lmove(ctx.keys().wait, ctx.keys().active("w"), "RIGHT", "LEFT"); // what BLMOVE does
    const b = await add(2, { priority: 1 });
    const reply = await claim(1, T0 + 1, undefined, a.localId);
    expect(reply.movedFound).toBe(true);
    expect(reply.claimed.map((c) => c.entry)).toEqual([b.localId]);
    expect(await ctx.direct().lrange(ctx.keys().active("w"), 0, -1)).toEqual([b.localId]);
    expect(await drain(T0 + 2)).toEqual([1]);
  });

  it("priority: waiting listing in run order with cursors across the zset and the list; cancel and counts", async () => {
    await add(1);
    await add(2, { priority: 8 });
    await add(3, { priority: 1 });
    await add(4);
    await add(5, { priority: 1 });
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await listJobs(ctx.runner(), ctx.keys(), { state: "waiting", limit: 2, cursor });
      for (const j of page.jobs) seen.push((j.data as { n: number }).n);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([3, 5, 1, 4, 2]);
    const first = await listJobs(ctx.runner(), ctx.keys(), { state: "waiting", limit: 1 });
    expect(first.jobs[0]!.priority).toBe(1);
    expect(parseStatsReply(ctx.keys(), await ctx.runner().run(statsCall(ctx.keys()))).waiting).toBe(5);
    const id = first.jobs[0]!.id.split(".")[1]!;
    expect((await cancelJob(ctx.runner(), ctx.keys(), id)).outcome).toBe("cancelled");
    expect(await ctx.direct().zscore(ctx.keys().prio, id)).toBeNull();
    expect(await drain()).toEqual([5, 1, 4, 2]);
  });

  it("priority: admin promote, retry and replay keep the priority", async () => {
    const d = await add(1, { priority: 2, delayMs: 60_000 });
    await add(2);
    expect((await promoteJob(ctx.runner(), ctx.keys(), d.localId, T0 + 5)).outcome).toBe("moved");
    expect(await ctx.direct().zscore(ctx.keys().prio, d.localId)).not.toBeNull();
    expect(await drain(T0 + 6)).toEqual([1, 2]);
    // Dead, then retried by an operator, then dead again and replayed: each time into the zset.
    const dead = async () => {
      await ctx.direct().hset(ctx.keys().job(d.localId), "s", "dead");
      await ctx.direct().zadd(ctx.keys().dead, T0, d.localId);
      await ctx.direct().del(ctx.keys().active("w"));
    };
    await dead();
    expect((await retryJob(ctx.runner(), ctx.keys(), d.localId)).outcome).toBe("moved");
    expect(await ctx.direct().zscore(ctx.keys().prio, d.localId)).not.toBeNull();
    expect(await drain(T0 + 7)).toEqual([1]);
    await dead();
    expect((await replayDead(ctx.runner(), ctx.keys(), { ids: [`${ctx.keys().queue}.${d.localId}`] })).replayed).toBe(1);
    expect(await ctx.direct().zscore(ctx.keys().prio, d.localId)).not.toBeNull();
  });
}
