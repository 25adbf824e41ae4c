/**
 * Admin cases that read or pause: setPaused, getQueueDetail, getJobDetail, listJobs (registered by
 * admin-cases.ts inside the protocol suite, so each runs through both clients).
 */
import { Redis } from "ioredis";
import { expect, it } from "vitest";
import { enqueue, prepareJob } from "../src/ops/enqueue";
import { OffloadError } from "../src/errors";
import {
  getJobDetail, getQueueDetail, HISTORY_MINUTES, listJobs, listJobsCall, parseListJobsReply, pauseCall, resumeCall, setPaused,
  type JobDetail,
} from "../src/ops/admin";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { settleCall } from "../src/ops/settle";
import type { JobState } from "../src/record";
import {
  type AdminCaseContext, allPages, createJobs, drain, job, lid, localIds, T0, untilBlocked,
} from "./admin-fixtures";

/** Test-only: N ids into wait (m0 first in line) and into dead (m0 died last), without records. */
const SEED_MILLION = `
local n = tonumber(ARGV[1])
local function id(i) return 'm' .. string.rep('0', 15 - #tostring(i)) .. i end
for first = 0, n - 1, 2000 do
  local ids, scored = {}, {}
  for i = first, math.min(first + 1999, n - 1) do
    ids[#ids + 1] = id(i)
    scored[#scored + 1] = ${T0} + n - i
    scored[#scored + 1] = id(i)
  end
  redis.call('LPUSH', KEYS[1], unpack(ids))
  redis.call('ZADD', KEYS[2], unpack(scored))
end`;

export function adminReadCases(ctx: AdminCaseContext): void {
  const created = (count: number, now = T0) => createJobs(ctx, count, now);

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

  it("a page of large records ends early with a cursor, and the next pages go on exactly after it", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const data = JSON.stringify({ pad: "x".repeat(100) });
    const ids = Array.from({ length: 8 }, (_, n) => lid("g", n));
    // The same eight jobs, listed as waiting, then dead, then active (each ~110 bytes of field values).
    const arrange: Record<"waiting" | "dead" | "active", () => Promise<unknown>> = {
      waiting: () => direct.lpush(keys.wait, ...ids),
      dead: () => direct.zadd(keys.dead, ...ids.flatMap((id, n) => [T0 - n, id])),
      active: async () => {
        await direct.zadd(keys.workers, T0, "w1", T0, "w2");
        await direct.lpush(keys.active("w1"), ...ids.slice(0, 5));
        await direct.lpush(keys.active("w2"), ...ids.slice(5));
      },
    };
    for (const state of ["waiting", "dead", "active"] as const) {
      for (const id of ids) await direct.hset(keys.job(id), "s", state, "d", data);
      await arrange[state]();
      const pages: JobDetail[][] = [];
      let after: { a: string; b: string } | undefined;
      for (;;) {
        const reply = (await ctx.runner().run(listJobsCall(keys, state, 100, after, 250))) as unknown[];
        pages.push(parseListJobsReply(keys, state, reply).jobs);
        if (Number(reply[0]) !== 1) break;
        after = { a: String(reply[1]), b: String(reply[2]) };
      }
      // 250 bytes are passed by the third record: pages of 3, 3, 2.
      expect(pages.map((page) => page.length), state).toEqual([3, 3, 2]);
      expect(localIds(pages.flat()), state).toEqual(ids);
    }
  });

  // A million waiting (and a million dead) jobs: a page deep in the listing must cost what the first page costs.
  // Measured inside Redis (SLOWLOG: the script's own execution time, no network, no client), median of 3 calls
  // each, interleaved. An offset scan over the list would take tens of milliseconds here; a page takes about one.
  it("a page a million jobs deep costs what the first page costs: no offset scan (waiting and dead)", async () => {
    const keys = ctx.keys();
    const direct = ctx.direct();
    const N = 1_000_000;
    const DEEP = N - 1_000;
    const PAGE = 100;
    // Ids m<n>: pushed so that m0 is first in line (the right end) and dead so that m0 died last (listed first).
    // Records only for the two pages read; listing needs nothing else.
    await direct.eval(SEED_MILLION, 2, keys.wait, keys.dead, N);
    expect(await direct.llen(keys.wait)).toBe(N);
    expect(await direct.zcard(keys.dead)).toBe(N);
    const slowlog = await direct.config("GET", "slowlog-log-slower-than");
    await direct.config("SET", "slowlog-log-slower-than", "0");
    try {
      for (const state of ["waiting", "dead"] as const) {
        const records = direct.pipeline();
        for (const n of [...Array(PAGE).keys()].flatMap((i) => [i, DEEP + i])) records.hset(keys.job(lid("m", n)), "s", state, "d", "{}");
        await records.exec();
        // The cursor a client holds after DEEP jobs: offset + last id (waiting), time of death + last id (dead).
        const last = lid("m", DEEP - 1);
        const deepAfter = state === "waiting" ? { a: String(DEEP), b: last } : { a: String(T0 + N - (DEEP - 1)), b: last };
        const timed = async (after: { a: string; b: string } | undefined) => {
          await direct.slowlog("RESET");
          const reply = await ctx.runner().run(listJobsCall(keys, state, PAGE, after));
          const entries = (await direct.slowlog("GET", 20)) as [number, number, number, string[]][];
          const script = entries.filter(([, , , args]) => /^eval/i.test(String(args[0])));
          expect(script.length, state).toBeGreaterThan(0);
          return { jobs: parseListJobsReply(keys, state, reply).jobs, micros: Math.max(...script.map(([, , micros]) => Number(micros))) };
        };
        const head: number[] = [];
        const deep: number[] = [];
        for (let i = 0; i < 3; i++) {
          const first = await timed(undefined);
          expect(localIds(first.jobs), state).toEqual(Array.from({ length: PAGE }, (_, n) => lid("m", n)));
          head.push(first.micros);
          const later = await timed(deepAfter);
          expect(localIds(later.jobs), state).toEqual(Array.from({ length: PAGE }, (_, n) => lid("m", DEEP + n)));
          deep.push(later.micros);
        }
        const median = (values: number[]) => [...values].sort((x, y) => x - y)[1]!;
        // Generous for a loaded shared machine: 4x the first page plus 5 ms.
        expect(median(deep), `${state}: deep ${deep.join(",")} µs vs head ${head.join(",")} µs`).toBeLessThan(4 * median(head) + 5_000);
      }
    } finally {
      await direct.config("SET", "slowlog-log-slower-than", String(slowlog[1]));
      await direct.unlink(keys.wait, keys.dead);
    }
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

  it("reads what the running scripts write: history of settled runs, the completed index, the errors history", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    const [ok, bad] = await created(2);
    parseClaimReply(await runner.run(claimCall(keys, "w1", 2, { now: T0 })));
    const settled = (entry: string, kind: "completed" | "dead", runMs: number) => ({
      entry, recordId: entry, kind, payload: kind === "completed" ? '{"ok":1}' : '{"message":"no"}', runAt: 0, ttlMs: 60_000, runMs,
    });
    await runner.run(settleCall(keys, "w1", [settled(ok!, "completed", 7), settled(bad!, "dead", 30)], T0 + 100));
    const detail = await getQueueDetail(runner, keys, { minutes: 1, now: T0 + 100 });
    // 7 ms falls in the bin up to 10 ms, 30 ms in the one up to 50 ms, which holds the 95th percentile.
    expect(detail.history).toEqual([
      { minute: new Date(T0).toISOString(), completed: 1, failed: 1, dead: 1, waiting: expect.anything(), runMsMean: 18.5, runMsP95: 50 },
    ]);
    expect(detail.counts).toMatchObject({ completed: 1, dead: 1, active: 0, waiting: 0 });
    const completed = await listJobs(runner, keys, { state: "completed", limit: 10 });
    expect(completed.jobs.map((j) => [j.id, j.result])).toEqual([[`proto.${ok}`, { ok: 1 }]]);
    const dead = await listJobs(runner, keys, { state: "dead", limit: 10 });
    expect(dead.jobs[0]).toMatchObject({ id: `proto.${bad}`, errors: [{ message: "no", attempt: 1, at: new Date(T0 + 100).toISOString() }] });
  });
}
