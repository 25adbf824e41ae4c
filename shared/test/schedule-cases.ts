/**
 * The `recurring schedules` cases of the protocol conformance suite (registered by shared/test/protocol.test.ts
 * inside its per-client `describe.each`: every case runs through ioredis and Upstash REST). Time is passed in
 * explicitly: fire, compare-and-set, exactly-once and catch-up are tested without waiting.
 */
import { expect, it } from "vitest";
import type { AdminCaseContext } from "./admin-cases";
import { fireSchedule, readSchedules, upsertSchedules, deleteSchedule } from "../src/ops/schedules";
import { parseTickReply, tickCall } from "../src/ops/tick";
import { scheduleLocalId } from "../src/schedules/ids";
import { MAX_CATCH_UP, toSpec, type ScheduleJobOptions } from "../src/schedules/spec";
import { z } from "zod";
import { defineJob } from "../src/job-definition";
import { enqueue, prepareJob } from "../src/ops/enqueue";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { getStatus } from "../src/ops/read";
import { settleCall, type Settlement } from "../src/ops/settle";

/** A tick-aligned time: 1,800,000,000,000 is a multiple of 2 s and of a minute. */
const T0 = 1_800_000_000_000;
const schema = z.object({ n: z.number() });
const plain = defineJob({ name: "proto", schema, maxAttempts: 3 });
/** List priority 2, and a default callback for deaths only. */
const urgent = defineJob({ name: "proto", schema, maxAttempts: 3, priority: 2, callback: { url: "https://default.example.com/", on: ["dead"] } });
const CALLBACK = "https://receiver.example.com/done";

export function scheduleCases(ctx: AdminCaseContext): void {
  const every2s = (catchUp: "one" | "all" | "none" = "one", data: unknown = { n: 1 }) =>
    toSpec("proto", { every: "2s", data, catchUp }, "code");
  const due = async (now: number) => readSchedules(ctx.runner(), ctx.keys(), { mode: "due", now, limit: 10 });
  const waiting = () => ctx.direct().lrange(ctx.keys().wait, 0, -1);

  it("upsert stores the spec and the first tick after now; the tick reply carries the earliest fire", async () => {
    const keys = ctx.keys();
    const { earliest } = await upsertSchedules(ctx.runner(), keys, [{ id: "s", spec: every2s() }], "code", T0 + 500);
    expect(earliest).toBe(T0 + 2_000);
    const tick = parseTickReply(await ctx.runner().run(tickCall(keys, { workerId: "w", leaseMs: 30_000, maxStalls: 1, deadTtlMs: 1 }, T0)));
    expect(tick.nextSchedule).toBe(T0 + 2_000);
    const [stored] = await readSchedules(ctx.runner(), keys, { mode: "one", id: "s" });
    expect(stored).toMatchObject({ id: "s", next: T0 + 2_000, lastRun: null, spec: { everyMs: 2_000, catchUp: "one", source: "code" } });
  });

  it("an unchanged spec keeps its next fire on re-upsert; a changed one restarts; code sync removes only code ones", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    await upsertSchedules(runner, keys, [{ id: "a", spec: every2s() }, { id: "b", spec: every2s() }], "code", T0);
    await upsertSchedules(runner, keys, [{ id: "api", spec: toSpec("proto", { every: "1m", data: null }, "api") }], "api", T0);
    // A later worker start with the same code: "a" keeps T0+2s (missed ticks stay visible), "b" is gone from code.
    const { removed } = await upsertSchedules(runner, keys, [{ id: "a", spec: every2s() }], "code", T0 + 10_000);
    expect(removed).toBe(1);
    const all = await readSchedules(runner, keys, { mode: "all" });
    expect(Object.fromEntries(all.map((s) => [s.id, s.next]))).toEqual({ a: T0 + 2_000, api: T0 + 60_000 });
    await upsertSchedules(runner, keys, [{ id: "a", spec: every2s("one", { n: 2 }) }], "code", T0 + 10_000);
    expect((await readSchedules(runner, keys, { mode: "one", id: "a" }))[0]!.next).toBe(T0 + 12_000);
    expect(await deleteSchedule(runner, keys, "api")).toBe(true);
    expect(await deleteSchedule(runner, keys, "api")).toBe(false);
  });

  it("firing a due tick creates one job with the derived id and moves the next fire; a second fire of the same read loses the compare", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    await upsertSchedules(runner, keys, [{ id: "s", spec: every2s() }], "code", T0);
    expect(await due(T0 + 1_999)).toEqual([]);
    const [read] = await due(T0 + 2_010);
    // Two workers read the same due schedule and both fire it.
    const first = await fireSchedule(runner, keys, read!, 3, T0 + 2_010);
    const second = await fireSchedule(runner, keys, read!, 3, T0 + 2_020);
    expect(first).toMatchObject({ fired: true, created: 1, earliest: T0 + 4_000, ticks: [T0 + 2_000] });
    expect(second).toMatchObject({ fired: false, created: 0, earliest: T0 + 4_000 });
    const localId = await scheduleLocalId("proto", "s", T0 + 2_000);
    expect(await waiting()).toEqual([localId]);
    expect(await ctx.direct().hget(keys.job(localId), "d")).toBe('{"n":1}');
    const [after] = await readSchedules(runner, keys, { mode: "one", id: "s" });
    expect(after!.lastRun).toEqual({ at: T0 + 2_000, jobId: `proto.${localId}` });
  });

  it("even a fire that passes the compare twice (the same tick re-fired) creates one job: the id already exists", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    await upsertSchedules(runner, keys, [{ id: "s", spec: every2s() }], "code", T0);
    const [read] = await due(T0 + 2_000);
    await fireSchedule(runner, keys, read!, 3, T0 + 2_000);
    // Put the next fire back to the tick already fired, as a racing upsert could: the job is not created again.
    await ctx.direct().zadd(keys.schedulesDue, T0 + 2_000, "s");
    const again = await fireSchedule(runner, keys, read!, 3, T0 + 2_000);
    expect(again).toMatchObject({ fired: true, created: 0 });
    expect(await waiting()).toHaveLength(1);
  });

  it("a spec changed between read and fire makes the fire lose: nothing is created from the old spec", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    await upsertSchedules(runner, keys, [{ id: "s", spec: every2s() }], "code", T0);
    const [read] = await due(T0 + 2_000);
    await ctx.direct().hset(keys.schedules, "s", JSON.stringify({ ...every2s(), data: { n: 9 } }));
    expect(await fireSchedule(runner, keys, read!, 3, T0 + 2_000)).toMatchObject({ fired: false, created: 0 });
    expect(await waiting()).toEqual([]);
  });

  it("an API change pushes the marker (a blocked worker wakes and ticks); a code sync or an unchanged spec does not", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    await upsertSchedules(runner, keys, [{ id: "c", spec: every2s() }], "code", T0);
    expect(await waiting()).toEqual([]);
    const api = toSpec("proto", { every: "1m", data: null }, "api");
    await upsertSchedules(runner, keys, [{ id: "a", spec: api }], "api", T0);
    expect(await waiting()).toEqual(["~"]);
    await upsertSchedules(runner, keys, [{ id: "a", spec: api }], "api", T0 + 1);
    expect(await waiting()).toEqual(["~"]);
  });

  it("catchUp after an outage: one creates the latest missed tick, none nothing, all every missed tick (bounded)", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    const now = T0 + 10_500; // ticks T0+2s … T0+10s were missed
    for (const catchUp of ["one", "none", "all"] as const) {
      await upsertSchedules(runner, keys, [{ id: catchUp, spec: every2s(catchUp) }], "api", T0);
    }
    const byId = Object.fromEntries((await due(now)).map((s) => [s.id, s]));
    const one = await fireSchedule(runner, keys, byId.one!, 3, now);
    const none = await fireSchedule(runner, keys, byId.none!, 3, now);
    const all = await fireSchedule(runner, keys, byId.all!, 3, now);
    expect(one).toMatchObject({ fired: true, created: 1, ticks: [T0 + 10_000] });
    expect(none).toMatchObject({ fired: true, created: 0, ticks: [] });
    expect(all).toMatchObject({ fired: true, created: 5, ticks: [2, 4, 6, 8, 10].map((s) => T0 + s * 1_000) });
    // Every schedule's next fire is the first tick after now, whatever it caught up.
    const next = await readSchedules(runner, keys, { mode: "all" });
    expect(new Set(next.map((s) => s.next))).toEqual(new Set([T0 + 12_000]));
    // Oldest tick first in line (the consuming end is the right).
    const ids = await Promise.all(all.ticks.map((t) => scheduleLocalId("proto", "all", t)));
    const oneId = await scheduleLocalId("proto", "one", T0 + 10_000);
    // (the API upserts pushed wake markers; a claim drops those)
    expect((await waiting()).filter((e) => e !== "~").reverse()).toEqual([oneId, ...ids]);
  });

  it("catchUp all is bounded to MAX_CATCH_UP jobs, the most recent ticks", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    await upsertSchedules(runner, keys, [{ id: "s", spec: every2s("all") }], "api", T0);
    const now = T0 + 2_000 * (MAX_CATCH_UP + 50);
    const [read] = await due(now);
    const fired = await fireSchedule(runner, keys, read!, 3, now);
    expect(fired.created).toBe(MAX_CATCH_UP);
    expect(fired.ticks.at(-1)).toBe(now);
    expect(fired.ticks[0]).toBe(now - 2_000 * (MAX_CATCH_UP - 1));
  });

  it("a cron schedule in a time zone fires at local time across DST (croner)", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    const spec = toSpec("proto", { cron: "0 0 2 * * *", tz: "America/New_York", data: null }, "api");
    // 2026-03-08 is the US spring-forward day: 02:00 does not exist; croner fires at 03:00 EDT (07:00Z).
    const { earliest } = await upsertSchedules(runner, keys, [{ id: "nightly", spec }], "api", Date.parse("2026-03-07T12:00:00Z"));
    expect(new Date(earliest).toISOString()).toBe("2026-03-08T07:00:00.000Z");
    const [read] = await due(earliest + 5);
    const fired = await fireSchedule(runner, keys, read!, 3, earliest + 5);
    expect(new Date(fired.earliest).toISOString()).toBe("2026-03-09T06:00:00.000Z");
  });

  /** Upserts one every-2s schedule with these options at T0 and fires it at `now`; returns its tick jobs' ids. */
  const fireWith = async (options: ScheduleJobOptions, definition = plain, now = T0 + 2_010, catchUp: "one" | "all" = "one") => {
    const spec = toSpec("proto", { every: "2s", data: { n: 0 }, catchUp, options }, "code");
    await upsertSchedules(ctx.runner(), ctx.keys(), [{ id: "s", spec }], "code", T0);
    const [read] = await due(now);
    const fired = await fireSchedule(ctx.runner(), ctx.keys(), read!, definition, now);
    expect(fired).toMatchObject({ fired: true, created: fired.ticks.length });
    return Promise.all(fired.ticks.map((tick) => scheduleLocalId("proto", "s", tick)));
  };

  it("options.priority: the tick jobs carry P, wait in the prio zset (oldest tick first) and are claimed before list-priority jobs", async () => {
    const keys = ctx.keys();
    const [early] = await enqueue(ctx.runner(), keys, [await prepareJob(plain, { n: 1 })], T0);
    const ids = await fireWith({ priority: 1 }, plain, T0 + 6_500, "all"); // ticks T0+2s, 4s, 6s
    expect(ids).toHaveLength(3);
    expect(await ctx.direct().zrange(keys.prio, "0", "-1")).toEqual(ids);
    expect(await ctx.direct().hget(keys.job(ids[0]!), "P")).toBe("1");
    expect(await getStatus(ctx.runner(), keys, ids[0]!)).toMatchObject({ priority: 1, state: "waiting" });
    expect((await waiting()).filter((entry) => entry !== "~")).toEqual([early!.localId]);
    const claimed = parseClaimReply(await ctx.runner().run(claimCall(keys, "w", 10, { now: T0 + 6_600, listPriority: plain.priority })));
    expect(claimed.claimed.map((c) => c.entry)).toEqual([...ids, early!.localId]);
  });

  it("options.priority: the definition's own priority is the list priority (wait list, no P); absent means the definition's", async () => {
    const keys = ctx.keys();
    const [same] = await fireWith({ priority: 2 }, urgent);
    expect(await ctx.direct().hget(keys.job(same!), "P")).toBeNull();
    expect(await waiting()).toEqual([same]);
    expect(await ctx.direct().zcard(keys.prio)).toBe(0);
    const [other] = await fireWith({ priority: 5 }, urgent, T0 + 4_010);
    expect(await ctx.direct().hget(keys.job(other!), "P")).toBe("5");
    expect(await getStatus(ctx.runner(), keys, other!, urgent.priority)).toMatchObject({ priority: 5 });
  });

  it("options.callback: stored in the tick job's options (o) instead of the definition's default, and recorded when it completes", async () => {
    const keys = ctx.keys();
    const [a] = await fireWith({ callback: CALLBACK, backoffMs: 500 }, urgent);
    // Its own URL means both outcomes (the default's `on` comes only with the default's URL), as for an enqueue.
    expect(JSON.parse((await ctx.direct().hget(keys.job(a!), "o"))!)).toEqual({ backoffMs: 500, callback: CALLBACK });
    const [b] = await fireWith({ callback: CALLBACK, callbackOn: ["completed"] }, urgent, T0 + 4_010);
    expect(JSON.parse((await ctx.direct().hget(keys.job(b!), "o"))!)).toEqual({ callback: CALLBACK, callbackOn: ["completed"] });
    const [c] = await fireWith({ maxAttempts: 1 }, urgent, T0 + 6_010);
    expect(JSON.parse((await ctx.direct().hget(keys.job(c!), "o"))!)).toEqual({ callback: "https://default.example.com/", callbackOn: ["dead"] });

    await ctx.runner().run(claimCall(keys, "w", 10, { now: T0 + 7_000, listPriority: urgent.priority }));
    const settlement = (entry: string): Settlement => ({ entry, recordId: entry, kind: "completed", payload: '{"ok":1}', runAt: T0 + 7_100, ttlMs: 60_000 });
    await ctx.runner().run(settleCall(keys, "w", [a!, b!, c!].map(settlement), T0 + 7_200));
    // c's default callback is for deaths only: its completion records nothing.
    expect(await ctx.direct().hgetall(keys.callbacks)).toEqual({ [`${a}:completed`]: CALLBACK, [`${b}:completed`]: CALLBACK });
  });

  it("while paused, a schedule's job goes to the paused list", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    await ctx.direct().hset(keys.meta, "paused", "1");
    await upsertSchedules(runner, keys, [{ id: "s", spec: every2s() }], "code", T0);
    const [read] = await due(T0 + 2_000);
    await fireSchedule(runner, keys, read!, 3, T0 + 2_000);
    expect(await waiting()).toEqual([]);
    expect(await ctx.direct().llen(keys.paused)).toBe(1);
  });
}
