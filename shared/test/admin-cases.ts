/**
 * The `admin operations` cases of the protocol conformance suite (shared/test/protocol.test.ts registers them
 * inside its per-client `describe.each`, so every case runs through ioredis and through Upstash REST against
 * the same real redis-server). Kept in their own module so the suite file stays readable; not a suite of its
 * own (no `.test.ts`: vitest never runs it alone).
 */
import { Redis } from "ioredis";
import { expect, it } from "vitest";
import { z } from "zod";
import { defineJob } from "../src/job-definition";
import type { QueueKeys } from "../src/keys";
import { enqueue, prepareJob } from "../src/ops/enqueue";
import { OffloadError } from "../src/errors";
import {
  BULK_CHUNK, getJobDetail, getQueueDetail, HISTORY_MINUTES, listJobs, pauseCall, purgeDead, replayDead, resumeCall, setPaused,
  type JobDetail,
} from "../src/ops/admin";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { settleCall } from "../src/ops/settle";
import type { JobState } from "../src/record";
import type { ScriptCall, ScriptRunner } from "../src/script-runner";

export interface AdminCaseContext {
  /** The runner under test (ioredis or Upstash REST). */
  runner(): ScriptRunner;
  /** This test's queue keys (a fresh prefix per test). */
  keys(): QueueKeys;
  /** A direct ioredis connection for arranging and inspecting Redis. */
  direct(): Redis;
  redisUrl(): string;
  runnerName: string;
}

const job = defineJob({ name: "proto", schema: z.object({ n: z.number() }), maxAttempts: 3 });
const T0 = 1_800_000_000_000;

/** Resolves once Redis reports the named connection blocked in `command` (a state, not a timer). */
async function untilBlocked(direct: Redis, clientName: string, command: string): Promise<void> {
  for (;;) {
    const list = String(await direct.client("LIST"));
    const line = list.split("\n").find((l) => l.includes(` name=${clientName} `));
    if (line?.includes(` cmd=${command} `) && / flags=\S*b/.test(line)) return;
  }
}

/** A 16-character local id with a readable prefix. */
const lid = (prefix: string, n: number) => prefix + String(n).padStart(16 - prefix.length, "0");

/** Every page of a listing, following cursors to the end. */
async function allPages(runner: ScriptRunner, keys: QueueKeys, state: JobState, limit: number): Promise<JobDetail[][]> {
  const pages: JobDetail[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await listJobs(runner, keys, { state, limit, ...(cursor === undefined ? {} : { cursor }) });
    pages.push(page.jobs);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
}

const localIds = (jobs: JobDetail[]) => jobs.map((j) => j.id.slice(j.id.indexOf(".") + 1));

/**
 * A ScriptRunner that records every call and its reply, to check that bulk operations stay within BULK_CHUNK
 * ids per script call (a wrapper around the real runner, not a mock: every call still runs in Redis).
 */
function countingRunner(inner: ScriptRunner) {
  const calls: { name: string; reply: unknown }[] = [];
  const runner: ScriptRunner = {
    async run(call) {
      const reply = await inner.run(call);
      calls.push({ name: call.script.name, reply });
      return reply;
    },
    runMany: (many) => inner.runMany(many),
  };
  return { runner, calls };
}

/**
 * Dead letters written straight into Redis as the settle script leaves them, by a test-only script: one EVAL
 * per 10,000 (a pipeline of 300,000 commands costs seconds of client time on a busy machine).
 */
const SEED_DEAD = `
for i = 0, tonumber(ARGV[3]) - 1 do
  local n = tonumber(ARGV[4]) + i
  local id = ARGV[2] .. string.rep('0', 16 - #ARGV[2] - #tostring(n)) .. n
  local key = ARGV[1] .. id
  local diedAt = tonumber(ARGV[5]) + n
  redis.call('HSET', key, 'v', '1', 'd', '{}', 's', 'dead', 'm', '3', 'a', '3', 'f', diedAt, 'e', '{"message":"boom"}')
  redis.call('PEXPIRE', key, 3600000)
  redis.call('ZADD', KEYS[1], diedAt, id)
end`;

async function seedDead(direct: Redis, keys: QueueKeys, prefix: string, count: number, firstDiedAt: number): Promise<string[]> {
  for (let first = 0; first < count; first += 10_000) {
    await direct.eval(SEED_DEAD, 1, keys.dead, keys.jobPrefix, prefix, Math.min(10_000, count - first), first, firstDiedAt);
  }
  return Array.from({ length: count }, (_, n) => lid(prefix, n));
}

/** Runs a bounded script call until it reports nothing left; returns how many calls it took. */
async function drain(runner: ScriptRunner, call: ScriptCall): Promise<number> {
  let calls = 0;
  for (;;) {
    calls++;
    if (Number(await runner.run(call)) === 0) return calls;
  }
}

export function adminCases(ctx: AdminCaseContext): void {
  const created = async (count: number, now = T0) =>
    (await enqueue(ctx.runner(), ctx.keys(), await Promise.all(Array.from({ length: count }, (_, n) => prepareJob(job, { n }))), now)).map(
      (result) => result.localId,
    );

  it("pause moves the wait list aside; resume wakes a worker blocked on wait at once", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const ids = await created(2);
    expect(await setPaused(ctx.runner(), keys, true)).toEqual({ name: "proto", paused: true });
    expect(await direct.hget(keys.meta, "paused")).toBe("1");
    expect(await direct.exists(keys.wait)).toBe(0);
    expect(await direct.lrange(keys.paused, 0, -1)).toEqual([ids[1], ids[0]]);

    const name = `blocked-${ctx.runnerName}-${Date.now()}`;
    const blocker = new Redis(ctx.redisUrl(), { protocol: 2, connectionName: name });
    try {
      const moved = blocker.blmove(keys.wait, keys.active("w-blocked"), "RIGHT", "LEFT", 0);
      await untilBlocked(direct, name, "blmove");
      // A job enqueued while paused goes to the paused list: the blocked worker keeps blocking (Redis would
      // have served it before answering our next command).
      const [late] = await enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 3 })], T0);
      expect(await direct.lrange(keys.paused, 0, -1)).toEqual([late!.localId, ids[1], ids[0]]);
      await untilBlocked(direct, name, "blmove");
      expect(await direct.exists(keys.wait)).toBe(0);
      expect(await setPaused(ctx.runner(), keys, false)).toEqual({ name: "proto", paused: false });
      // The RENAME itself wakes the blocked client: its reply is the first job in line.
      expect(await moved).toBe(ids[0]);
      expect(await direct.hget(keys.meta, "paused")).toBeNull();
      expect(await direct.lrange(keys.wait, 0, -1)).toEqual([late!.localId, ids[1]]);
    } finally {
      blocker.disconnect();
    }
  });

  it("pause and resume are idempotent", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const ids = await created(3);
    await setPaused(ctx.runner(), keys, true);
    expect(await setPaused(ctx.runner(), keys, true)).toEqual({ name: "proto", paused: true });
    expect(await direct.lrange(keys.paused, 0, -1)).toEqual([...ids].reverse());
    expect(await direct.exists(keys.wait)).toBe(0);
    await setPaused(ctx.runner(), keys, false);
    expect(await setPaused(ctx.runner(), keys, false)).toEqual({ name: "proto", paused: false });
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual([...ids].reverse());
    expect(await direct.exists(keys.paused)).toBe(0);
    expect(await direct.hget(keys.meta, "paused")).toBeNull();
  });

  it("pause and resume merge two existing lists in bounded chunks, keeping run order", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    // Run order is right to left: w3 w2 w1 first (wait was in line first), then p2 p1.
    await direct.rpush(keys.wait, "w1", "w2", "w3");
    await direct.rpush(keys.paused, "p1", "p2");
    expect(await drain(ctx.runner(), pauseCall(keys, 2))).toBe(2);
    expect(await direct.lrange(keys.paused, 0, -1)).toEqual(["p1", "p2", "w1", "w2", "w3"]);
    expect(await direct.exists(keys.wait)).toBe(0);
    // Markers pushed to wait while paused go behind the paused entries, one per call here.
    await direct.rpush(keys.wait, "~", "~");
    expect(await drain(ctx.runner(), resumeCall(keys, 1))).toBe(2);
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual(["~", "~", "p1", "p2", "w1", "w2", "w3"]);
    expect(await direct.exists(keys.paused)).toBe(0);
    expect(await direct.hget(keys.meta, "paused")).toBeNull();
  });

  it("queue detail: counts by state (markers are not jobs), paused, totals and workers, in one call", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    await created(3);
    await enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 9 }, { delayMs: 60_000 })], T0); // pushes a marker
    expect(await direct.lrange(keys.wait, -1, -1)).toEqual(["~"]);
    await direct.zadd(keys.workers, T0 + 30_000, "w1", T0 + 40_000, "w2");
    await direct.rpush(keys.active("w1"), "a000000000000001", "a000000000000002");
    await direct.rpush(keys.active("w2"), "a000000000000003");
    await direct.zadd(keys.completed, T0, "c000000000000001", T0 + 1, "c000000000000002");
    await direct.zadd(keys.cancelled, T0, "x000000000000001");
    await direct.zadd(keys.dead, T0, "d000000000000001", T0, "d000000000000002", T0, "d000000000000003");
    await direct.hset(keys.stats, "completed", 7, "failed", 4, "dead", 3, "stalled", 1);
    const detail = await getQueueDetail(ctx.runner(), keys, { now: T0 });
    expect(detail).toMatchObject({
      name: "proto",
      paused: false,
      counts: { waiting: 3, delayed: 1, active: 3, completed: 2, cancelled: 1, dead: 3 },
      totals: { completed: 7, failed: 4, dead: 3, stalled: 1 },
      workers: [
        { id: "w1", leaseExpiresAt: new Date(T0 + 30_000).toISOString(), inFlight: 2 },
        { id: "w2", leaseExpiresAt: new Date(T0 + 40_000).toISOString(), inFlight: 1 },
      ],
    });
    // Paused: the waiting jobs now sit in the paused list and still count as waiting.
    await setPaused(ctx.runner(), keys, true);
    expect(await getQueueDetail(ctx.runner(), keys, { now: T0 })).toMatchObject({ paused: true, counts: { waiting: 3 } });
  });

  it("queue detail: history per minute, zeros for empty minutes, mean and p95 from the bins", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const now = T0 + 59_999; // T0 is a whole minute, so this is the last millisecond of it
    const last = Math.floor(now / 60_000);
    // 20 runs: 18 in bin 2 (<= 5 ms), 2 in bin 6 (<= 100 ms): the 19th run (95 %) is in bin 6.
    await direct.hset(keys.history(last), "completed", 18, "failed", 2, "dead", 1, "waiting", 42, "runSum", 290, "runCount", 20, "rb2", 18, "rb6", 2);
    // 10 runs, all longer than the last bound: the open bin reports that bound (60 s).
    await direct.hset(keys.history(last - 2), "completed", 10, "runSum", 900_000, "runCount", 10, "rb15", 10);
    const detail = await getQueueDetail(ctx.runner(), keys, { minutes: 3, now });
    expect(detail.history).toEqual([
      { minute: new Date((last - 2) * 60_000).toISOString(), completed: 10, failed: 0, dead: 0, waiting: null, runMsMean: 90_000, runMsP95: 60_000 },
      { minute: new Date((last - 1) * 60_000).toISOString(), completed: 0, failed: 0, dead: 0, waiting: null, runMsMean: null, runMsP95: null },
      { minute: new Date(last * 60_000).toISOString(), completed: 18, failed: 2, dead: 1, waiting: 42, runMsMean: 14.5, runMsP95: 100 },
    ]);
    expect((await getQueueDetail(ctx.runner(), keys, { now })).history).toHaveLength(60);
    const day = await getQueueDetail(ctx.runner(), keys, { minutes: 100_000, now });
    expect(day.history).toHaveLength(HISTORY_MINUTES);
    expect(day.history.at(-1)!.completed).toBe(18);
    expect(day.history.at(-3)!.completed).toBe(10);
  });

  it("job detail: payload, option overrides and the errors of recent attempts, oldest first", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const [result] = await enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 1 }, { backoffMs: 250 })], T0);
    const id = result!.localId;
    expect(await getJobDetail(ctx.runner(), keys, id)).toMatchObject({
      id: `proto.${id}`, state: "waiting", data: { n: 1 }, options: { backoffMs: 250 }, errors: [],
    });
    const errors = [
      { message: "first", stack: "Error: first", attempt: 1, at: T0 + 1 },
      { message: "second", reason: "timeout", attempt: 2, at: T0 + 2 },
    ];
    await direct.hset(keys.job(id), "h", JSON.stringify(errors), "e", JSON.stringify({ message: "second", reason: "timeout" }));
    const detail = await getJobDetail(ctx.runner(), keys, id);
    expect(detail!.errors).toEqual([
      { message: "first", stack: "Error: first", attempt: 1, at: new Date(T0 + 1).toISOString() },
      { message: "second", reason: "timeout", attempt: 2, at: new Date(T0 + 2).toISOString() },
    ]);
    expect(detail!.error).toEqual({ message: "second", reason: "timeout" });
    // Without the history (older records, poison entries) the last error stands alone; no options → {}.
    await direct.hset(keys.job("p000000000000001"), "s", "dead", "e", JSON.stringify({ message: "bad", reason: "invalid_entry" }));
    expect(await getJobDetail(ctx.runner(), keys, "p000000000000001")).toMatchObject({
      state: "dead", data: null, options: {}, errors: [{ message: "bad", reason: "invalid_entry" }],
    });
    expect(await getJobDetail(ctx.runner(), keys, "0000000000000000")).toBeUndefined();
  });

  it("lists waiting jobs in run order, page by page, skipping markers", async () => {
    const keys = ctx.keys();
    const ids = await created(7);
    await ctx.direct().rpush(keys.wait, "~");
    const pages = await allPages(ctx.runner(), keys, "waiting", 3);
    expect(pages.flat().map((j) => j.id)).toEqual(ids.map((id) => `proto.${id}`));
    expect(pages.every((page) => page.length <= 3)).toBe(true);
    expect(pages[0]![0]).toMatchObject({ state: "waiting", data: { n: 0 }, options: {}, errors: [] });
    // Paused: the same jobs, read from the paused list.
    await setPaused(ctx.runner(), keys, true);
    expect(localIds((await allPages(ctx.runner(), keys, "waiting", 5)).flat())).toEqual(ids);
  });

  it("a waiting cursor keeps its place while workers take jobs from the front", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const ids = await created(10);
    const first = await listJobs(ctx.runner(), keys, { state: "waiting", limit: 3 });
    expect(localIds(first.jobs)).toEqual(ids.slice(0, 3));
    // Two taken: the last listed id moved two places towards the front; the next page goes on after it.
    for (let i = 0; i < 2; i++) await direct.lmove(keys.wait, keys.active("w1"), "RIGHT", "LEFT");
    const second = await listJobs(ctx.runner(), keys, { state: "waiting", limit: 3, cursor: first.nextCursor! });
    expect(localIds(second.jobs)).toEqual(ids.slice(3, 6));
    // Everything listed so far and more taken: the last id is gone, so the listing goes on from the front.
    for (let i = 0; i < 5; i++) await direct.lmove(keys.wait, keys.active("w1"), "RIGHT", "LEFT");
    const third = await listJobs(ctx.runner(), keys, { state: "waiting", limit: 3, cursor: second.nextCursor! });
    expect(localIds(third.jobs)).toEqual(ids.slice(7, 10));
  });

  it("lists finished states newest first and delayed by runAt, resuming strictly after the cursor", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const dead = [lid("d", 1), lid("d", 2), lid("d", 3), lid("d", 4)];
    for (const id of dead) await direct.hset(keys.job(id), "s", "dead", "d", "{}", "e", JSON.stringify({ message: id }));
    // Three share a time of death: ties are ordered by id (descending, like the scores).
    await direct.zadd(keys.dead, T0, dead[0]!, T0, dead[1]!, T0, dead[2]!, T0 + 1, dead[3]!);
    // An index entry whose record has expired is skipped, and forgotten by the index.
    await direct.zadd(keys.dead, T0 + 2, lid("e", 1));
    const first = await listJobs(ctx.runner(), keys, { state: "dead", limit: 2 });
    expect(localIds(first.jobs)).toEqual([dead[3]]);
    expect(await direct.zscore(keys.dead, lid("e", 1))).toBeNull();
    const second = await listJobs(ctx.runner(), keys, { state: "dead", limit: 2, cursor: first.nextCursor! });
    expect(localIds(second.jobs)).toEqual([dead[2], dead[1]]);
    // The cursor's own id left the index meanwhile (replayed): the page still resumes strictly after it.
    await direct.zrem(keys.dead, dead[1]!);
    const third = await listJobs(ctx.runner(), keys, { state: "dead", limit: 2, cursor: second.nextCursor! });
    expect(localIds(third.jobs)).toEqual([dead[0]]);
    expect(third.nextCursor).toBeNull();
    expect(third.jobs[0]).toMatchObject({ state: "dead", error: { message: dead[0] }, errors: [{ message: dead[0] }] });

    const delayed = [lid("l", 1), lid("l", 2), lid("l", 3)];
    for (const id of delayed) await direct.hset(keys.job(id), "s", "delayed", "d", "{}");
    await direct.zadd(keys.delayed, T0 + 5, delayed[0]!, T0 + 5, delayed[1]!, T0 + 1, delayed[2]!);
    const runOrder = (await allPages(ctx.runner(), keys, "delayed", 1)).flat();
    expect(localIds(runOrder)).toEqual([delayed[2], delayed[0], delayed[1]]);

    for (const [state, index] of [["completed", keys.completed], ["cancelled", keys.cancelled]] as const) {
      const ids = [lid("c", 1), lid("c", 2), lid("c", 3)].map((id) => `${state.slice(0, 2)}${id.slice(2)}`);
      for (const id of ids) await direct.hset(keys.job(id), "s", state);
      await direct.zadd(index, T0 + 1, ids[0]!, T0 + 3, ids[1]!, T0 + 2, ids[2]!);
      expect(localIds((await allPages(ctx.runner(), keys, state, 2)).flat())).toEqual([ids[1], ids[2], ids[0]]);
    }
  });

  it("lists active jobs worker by worker, oldest claim first", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const a = [lid("a", 1), lid("a", 2), lid("a", 3)];
    for (const id of a) await direct.hset(keys.job(id), "s", "active", "d", "{}");
    await direct.zadd(keys.workers, T0 + 9, "w1", T0 + 1, "w2");
    // Newest claim on the left: w1 claimed a1 then a2.
    await direct.rpush(keys.active("w1"), a[1]!, a[0]!);
    await direct.rpush(keys.active("w2"), a[2]!, "~");
    const pages = await allPages(ctx.runner(), keys, "active", 1);
    expect(localIds(pages.flat())).toEqual([a[0], a[1], a[2]]);
  });

  it("rejects an unknown state, a limit outside 1..500 and a cursor it did not issue, with the path", async () => {
    const keys = ctx.keys();
    const issue = async (query: Parameters<typeof listJobs>[2]) => {
      const error = await listJobs(ctx.runner(), keys, query).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(OffloadError);
      expect((error as OffloadError).code).toBe("validation_failed");
      return (error as OffloadError).details.issues![0]!.path;
    };
    expect(await issue({ state: "bogus" as JobState, limit: 10 })).toBe("state");
    expect(await issue({ state: "dead", limit: 0 })).toBe("limit");
    expect(await issue({ state: "dead", limit: 501 })).toBe("limit");
    expect(await issue({ state: "dead", limit: 1.5 })).toBe("limit");
    expect(await issue({ state: "dead", limit: 10, cursor: "garbage" })).toBe("cursor");
    expect(await issue({ state: "dead", limit: 10, cursor: "v1.!!!" })).toBe("cursor");
    expect(await issue({ state: "dead", limit: 10, cursor: `v1.${btoa('{"s":"dead","a":"x","b":"y"}')}` })).toBe("cursor");
    await ctx.direct().hset(keys.job(lid("w", 1)), "s", "waiting");
    await ctx.direct().rpush(keys.wait, lid("w", 1), lid("w", 2));
    const waiting = await listJobs(ctx.runner(), keys, { state: "waiting", limit: 1 });
    expect(waiting.nextCursor).not.toBeNull();
    expect(await issue({ state: "dead", limit: 10, cursor: waiting.nextCursor! })).toBe("cursor");
  });

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
}
