/**
 * Admin cases that move jobs: replayDead, purgeDead (with the 100,000-job case), retryJob, promoteJob
 * (registered by admin-cases.ts inside the protocol suite, so each runs through both clients).
 */
import { expect, it } from "vitest";
import { enqueue, prepareJob } from "../src/ops/enqueue";
import { cancelJob } from "../src/ops/read";
import { BULK_CHUNK, getJobDetail, promoteJob, purgeDead, replayDead, retryJob, setPaused } from "../src/ops/admin";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { settleCall } from "../src/ops/settle";
import { type AdminCaseContext, countingRunner, createJobs, job, lid, seedDead, T0 } from "./admin-fixtures";

export function adminMoveCases(ctx: AdminCaseContext): void {
  const created = (count: number, now = T0) => createJobs(ctx, count, now);

  it("replays a dead letter with the same id: attempts and stalls reset, errors kept, persistent, counters unchanged", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const runner = ctx.runner();
    const [id] = await created(1);
    parseClaimReply(await runner.run(claimCall(keys, "w1", 1, { now: T0 })));
    const death = { entry: id!, recordId: id!, kind: "dead" as const, payload: '{"message":"boom","reason":"max_attempts"}', runAt: 0, ttlMs: 60_000, runMs: 5 };
    await runner.run(settleCall(keys, "w1", [death], T0 + 10));
    await direct.hset(keys.job(id!), "k", "2");
    const before = await direct.hgetall(keys.job(id!));
    const stats = await direct.hgetall(keys.stats);
    expect(before).toMatchObject({ s: "dead", a: "1" });
    expect(await direct.pttl(keys.job(id!))).toBeGreaterThan(0);

    expect(await replayDead(runner, keys, { ids: [`proto.${id}`] })).toEqual({ replayed: 1, skipped: [] });
    const after = await direct.hgetall(keys.job(id!));
    expect(after.s).toBe("waiting");
    expect(after.a).toBeUndefined();
    expect(after.k).toBeUndefined();
    expect(after.f).toBeUndefined();
    expect([after.e, after.h, after.d]).toEqual([before.e, before.h, before.d]);
    expect(await direct.pttl(keys.job(id!))).toBe(-1);
    expect(await direct.zscore(keys.dead, id!)).toBeNull();
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual([id]);
    expect(await direct.hgetall(keys.stats)).toEqual(stats);
    const detail = await getJobDetail(runner, keys, id!);
    expect(detail).toMatchObject({ state: "waiting", attempt: 0, stalls: 0, errors: [{ message: "boom", reason: "max_attempts", attempt: 1 }] });

    // Twice: skipped, enqueued once. Unknown, malformed and other queues' ids are skipped with their reason.
    const again = await replayDead(runner, keys, { ids: [`proto.${id}`, "proto.0000000000000000", "nope", `other.${id}`] });
    expect(again).toEqual({
      replayed: 0,
      skipped: [
        { id: `proto.${id}`, reason: "not_dead" },
        { id: "proto.0000000000000000", reason: "not_found" },
        { id: "nope", reason: "not_found" },
        { id: `other.${id}`, reason: "wrong_queue" },
      ],
    });
    expect(await direct.llen(keys.wait)).toBe(1);
    // It runs again as a fresh first attempt.
    const claimed = parseClaimReply(await runner.run(claimCall(keys, "w2", 1, { now: T0 + 20 })));
    expect(claimed.claimed.map((c) => c.entry)).toEqual([id]);
    expect(await direct.hget(keys.job(id!), "a")).toBe("1");
  });

  it("replay respects pause, and replay all takes the oldest deaths first", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const ids = await seedDead(direct, keys, "r", 3, T0);
    await setPaused(ctx.runner(), keys, true);
    expect(await replayDead(ctx.runner(), keys, { all: true })).toEqual({ replayed: 3, skipped: [] });
    expect(await direct.exists(keys.wait)).toBe(0);
    // The oldest death first in line (the right end).
    expect(await direct.lrange(keys.paused, 0, -1)).toEqual([...ids].reverse());
    expect(await direct.zcard(keys.dead)).toBe(0);
  });

  it("replay by ids splits a long list into calls of at most BULK_CHUNK ids, answering in the order asked", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const ids = await seedDead(direct, keys, "i", BULK_CHUNK * 2 + 100, T0);
    const asked = [...ids.map((id) => `proto.${id}`), "proto.0000000000000000"];
    const { runner, calls } = countingRunner(ctx.runner());
    const result = await replayDead(runner, keys, { ids: asked });
    expect(result).toEqual({ replayed: ids.length, skipped: [{ id: "proto.0000000000000000", reason: "not_found" }] });
    const replays = calls.filter((c) => c.name === "replay_dead");
    expect(replays).toHaveLength(3);
    for (const { reply } of replays) expect((reply as [number, number, unknown[]])[2].length).toBeLessThanOrEqual(BULK_CHUNK);
    // One list in the order asked: the first id is first in line (the right end).
    expect(await direct.lrange(keys.wait, -1, -1)).toEqual([ids[0]]);
    expect(await direct.lrange(keys.wait, 0, 0)).toEqual([ids.at(-1)]);
  });

  it("purges dead letters that died before a time, or all of them", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const ids = await seedDead(direct, keys, "p", 5, T0);
    // A stale index entry whose job was replayed meanwhile leaves the index, but its record stays.
    await direct.hset(keys.job(ids[1]!), "s", "waiting");
    expect(await purgeDead(ctx.runner(), keys, { before: T0 + 3 })).toEqual({ purged: 2 });
    expect(await direct.exists(keys.job(ids[0]!), keys.job(ids[2]!))).toBe(0);
    expect(await direct.exists(keys.job(ids[1]!))).toBe(1);
    expect(await direct.zrange(keys.dead, "0", "-1")).toEqual([ids[3], ids[4]]);
    expect(await purgeDead(ctx.runner(), keys)).toEqual({ purged: 2 });
    expect(await direct.zcard(keys.dead)).toBe(0);
    expect(await purgeDead(ctx.runner(), keys)).toEqual({ purged: 0 });
    await expect(purgeDead(ctx.runner(), keys, { before: Number.NaN })).rejects.toMatchObject({ code: "validation_failed" });
  });

  // 100,000 through ioredis; 10,000 through Upstash REST, where the same scripts with the same chunking cost an
  // HTTP request (script body included) per chunk: 400 of them took ~20 s on the shared 2-core machine, and they
  // test nothing the 40 calls of 10,000 do not (the chunk bound is per call, not per total).
  const BULK_N = ctx.runnerName === "ioredis" ? 100_000 : 10_000;
  it(`replay all and purge of ${BULK_N.toLocaleString("en")} dead letters run in calls of at most BULK_CHUNK ids`, async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const N = BULK_N;
    await seedDead(direct, keys, "b", N, T0);
    const { runner, calls } = countingRunner(ctx.runner());
    expect(await replayDead(runner, keys, { all: true })).toEqual({ replayed: N, skipped: [] });
    expect(await direct.llen(keys.wait)).toBe(N);
    expect(await direct.zcard(keys.dead)).toBe(0);
    expect(await direct.hget(keys.job(lid("b", N - 1)), "s")).toBe("waiting");
    const replays = calls.filter((c) => c.name === "replay_dead");
    expect(replays.length).toBe(N / BULK_CHUNK);
    for (const { reply } of replays) {
      const [replayed, , skipped] = reply as [number, number, unknown[]];
      expect(Number(replayed) + skipped.length / 2).toBeLessThanOrEqual(BULK_CHUNK);
    }

    calls.length = 0;
    await seedDead(direct, keys, "c", N, T0);
    expect(await purgeDead(runner, keys, { before: T0 + N / 2 })).toEqual({ purged: N / 2 });
    expect(await purgeDead(runner, keys)).toEqual({ purged: N / 2 });
    expect(await direct.zcard(keys.dead)).toBe(0);
    expect(await direct.exists(keys.job(lid("c", 0)), keys.job(lid("c", N - 1)))).toBe(0);
    const purges = calls.filter((c) => c.name === "purge_dead");
    // Each half takes N/2/BULK_CHUNK full calls and one that finds fewer than a chunk.
    expect(purges.length).toBe(2 * (N / 2 / BULK_CHUNK + 1));
    for (const { reply } of purges) expect(Number((reply as number[])[0])).toBeLessThanOrEqual(BULK_CHUNK);
  });

  it("retry: dead or cancelled back to waiting (attempt reset, persistent, out of its index); else conflict or missing", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const runner = ctx.runner();
    const [deadId] = await seedDead(direct, keys, "t", 1, T0);
    const [cancelledId, activeId] = await created(2);
    await cancelJob(runner, keys, cancelledId!, T0);
    expect(await direct.zscore(keys.cancelled, cancelledId!)).not.toBeNull();

    expect(await retryJob(runner, keys, deadId!)).toEqual({ outcome: "moved", state: "waiting" });
    expect(await direct.hgetall(keys.job(deadId!))).toMatchObject({ s: "waiting", e: '{"message":"boom"}' });
    expect(await direct.hexists(keys.job(deadId!), "a")).toBe(0);
    expect(await direct.pttl(keys.job(deadId!))).toBe(-1);
    expect(await direct.zscore(keys.dead, deadId!)).toBeNull();
    expect(await retryJob(runner, keys, deadId!)).toEqual({ outcome: "conflict", state: "waiting" });

    await setPaused(runner, keys, true);
    expect(await retryJob(runner, keys, cancelledId!)).toEqual({ outcome: "moved", state: "waiting" });
    expect(await direct.zscore(keys.cancelled, cancelledId!)).toBeNull();
    expect(await direct.pttl(keys.job(cancelledId!))).toBe(-1);
    // Paused: both went to the paused list, at the back of the line (left).
    expect(await direct.lrange(keys.paused, 0, -1)).toEqual([cancelledId, deadId, activeId]);

    await setPaused(runner, keys, false);
    parseClaimReply(await runner.run(claimCall(keys, "w1", 1, { now: T0 })));
    expect(await retryJob(runner, keys, activeId!)).toEqual({ outcome: "conflict", state: "active" });
    expect(await retryJob(runner, keys, "0000000000000000")).toEqual({ outcome: "missing" });
  });

  it("promote: delayed to the front of the line now, runAt updated; else conflict or missing", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const runner = ctx.runner();
    const [waitingId] = await created(1);
    const [delayed] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 }, { delayMs: 3_600_000 })], T0);
    const id = delayed!.localId;
    await direct.del(keys.wait); // the wake marker the delayed enqueue pushed, and the waiting job
    await direct.rpush(keys.wait, waitingId!);
    expect(await promoteJob(runner, keys, id, T0 + 5)).toEqual({ outcome: "moved", state: "waiting" });
    expect(await direct.zscore(keys.delayed, id)).toBeNull();
    expect(await getJobDetail(runner, keys, id)).toMatchObject({ state: "waiting", runAt: new Date(T0 + 5).toISOString() });
    // Next in line (the right end), ahead of the job that was already waiting.
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual([waitingId, id]);
    expect(await promoteJob(runner, keys, id, T0 + 6)).toEqual({ outcome: "conflict", state: "waiting" });
    expect(await promoteJob(runner, keys, "0000000000000000", T0)).toEqual({ outcome: "missing" });
  });
}
