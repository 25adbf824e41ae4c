/**
 * claim_short (the pickup of one BLMOVE'd id): it must claim exactly as claim does, or change nothing and answer
 * "long" wherever claim would do something it does not (shared/scripts/claim_short.lua).
 */
import { expect, it } from "vitest";
import type { AdminCaseContext } from "./admin-fixtures";
import { job, T0 } from "./admin-fixtures";
import { enqueue, prepareJob } from "../src/ops/enqueue";
import { claimCall, isLongClaimNeeded, parseClaimReply, shortClaimCall, type ClaimOptions } from "../src/ops/claim";
import { readRecord } from "../src/ops/read";
import { setPaused } from "../src/ops/admin/pause";
import { settleCall } from "../src/ops/settle";
import { queueKeys, type QueueKeys } from "../src/keys";

export function claimShortCases(ctx: AdminCaseContext): void {
  const LEASE = 30_000;
  /** Enqueues one job and moves it into worker w's in-flight list, as a blocked BLMOVE would. */
  async function moved(keys: QueueKeys, data: { n: number }, options = {}): Promise<string> {
    const [created] = await enqueue(ctx.runner(), keys, [await prepareJob(job, data, options)], T0);
    // A marker an earlier idle -> busy claim left would be what BLMOVE takes first.
    await ctx.direct().lrem(keys.wait, 0, "~");
    await ctx.direct().lmove(keys.wait, keys.active("w"), "RIGHT", "LEFT");
    return created!.localId;
  }
  const shortCall = (keys: QueueKeys, options: ClaimOptions) => ctx.runner().run(shortClaimCall(keys, "w", options)!);
  /** Every key of the queue with its content, to prove "long" changed nothing. */
  async function dump(keys: QueueKeys): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const key of (await ctx.direct().keys(`${keys.jobPrefix.slice(0, -"job:".length)}*`)).sort()) out[key] = (await ctx.direct().dumpBuffer(key)).toString("base64");
    return out;
  }

  it("a pickup claims the entry as claim does: same reply, same record, same lists (fresh and handed-back jobs)", async () => {
    const base = ctx.keys();
    const [short, long] = [queueKeys("proto", `${base.jobPrefix.split(":")[0]}-s`), queueKeys("proto", `${base.jobPrefix.split(":")[0]}-l`)];
    for (const keys of [short, long]) {
      // A handed-back job (attempt given back, a record of its own) is picked up too.
      const first = await moved(keys, { n: 1 });
      await ctx.runner().run(claimCall(keys, "w", 1, { moved: first, now: T0 + 1 }));
      await ctx.runner().run(settleCall(keys, "w", [{ entry: first, recordId: first, kind: "handBack", payload: "", runAt: 0, ttlMs: 60_000 }], T0 + 2));
      await ctx.direct().lmove(keys.wait, keys.active("w"), "RIGHT", "LEFT");
    }
    expect(await ctx.direct().exists(short.job((await ctx.direct().lrange(short.active("w"), 0, 0))[0]!))).toBe(1);
    const replies = [];
    for (const round of [0, 1]) {
      const ids = [];
      for (const keys of [short, long]) ids.push(round === 0 ? (await ctx.direct().lrange(keys.active("w"), 0, 0))[0]! : await moved(keys, { n: 2 }));
      const options = (id: string): ClaimOptions => ({ moved: id, now: T0 + 10 + round, leaseMs: LEASE });
      const viaShort = await shortCall(short, options(ids[0]!));
      const viaLong = await ctx.runner().run(claimCall(long, "w", 1, options(ids[1]!)));
      expect(isLongClaimNeeded(viaShort)).toBe(false);
      const [a, b] = [parseClaimReply(viaShort), parseClaimReply(viaLong)];
      expect(a.claimed.map((c) => c.fields)).toEqual(b.claimed.map((c) => c.fields));
      expect(a.movedFound).toBe(true);
      expect(await readRecord(ctx.runner(), short, ids[0]!)).toEqual(await readRecord(ctx.runner(), long, ids[1]!));
      replies.push(a.claimed[0]!.fields);
    }
    // Both first attempts (a hand back gives its attempt back); the first was read from its hash, the second from
    // its packed form.
    expect(replies.map((fields) => fields[3])).toEqual(["1", "1"]);
    expect(await ctx.direct().lrange(short.active("w"), 0, -1)).toHaveLength(2);
    expect(await ctx.direct().exists(short.fresh)).toBe(0);
  });

  it("answers long and changes nothing: paused, grouped, a runtime limit or throttle, a waiting priority job, a due delayed job, a bad record", async () => {
    const arrangements: [string, (keys: QueueKeys, id: string) => Promise<unknown>][] = [
      ["paused", (keys) => setPaused(ctx.runner(), keys, true)],
      ["grouped", (keys) => ctx.direct().hset(keys.meta, "grouped", "1")],
      ["rate override", (keys) => ctx.direct().hset(keys.meta, "rate", "5/1000")],
      ["concurrency override", (keys) => ctx.direct().hset(keys.meta, "concurrency", "2")],
      ["throttled", (keys) => ctx.direct().hset(keys.meta, "throttledUntil", String(T0 + 60_000))],
      ["a priority job waiting", async (keys) => enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 9 }, { priority: 1 })], T0)],
      ["a delayed job due", async (keys) => enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 9 }, { delayMs: 5 })], T0)],
      ["no record", (keys, id) => ctx.direct().hdel(keys.fresh, id)],
      ["unreadable packed record", (keys, id) => ctx.direct().hset(keys.fresh, id, "garbage")],
      ["a record in another state", async (keys, id) => ctx.direct().hdel(keys.fresh, id).then(() => ctx.direct().hset(keys.job(id), { s: "completed", v: "1" }))],
    ];
    for (const [i, [what, arrange]] of arrangements.entries()) {
      const keys = queueKeys("proto", `${ctx.keys().jobPrefix.split(":")[0]}-long-${i}`);
      const id = await moved(keys, { n: i });
      await arrange(keys, id);
      const before = await dump(keys);
      expect(await shortCall(keys, { moved: id, now: T0 + 100, leaseMs: LEASE }), what).toBe("long");
      expect(await dump(keys), what).toEqual(before);
    }
  });

  it("a back-pressure pause that has passed (throttledUntil stays in meta) does not send the pickup to claim", async () => {
    const keys = ctx.keys();
    const id = await moved(keys, { n: 1 });
    await ctx.direct().hset(keys.meta, "throttledUntil", String(T0 - 1));
    expect(parseClaimReply(await shortCall(keys, { moved: id, now: T0 + 1 })).claimed.map((c) => c.entry)).toEqual([id]);
  });

  it("an entry no longer in our list is not claimed and asks for recovery (movedFound false)", async () => {
    const keys = ctx.keys();
    const id = await moved(keys, { n: 1 });
    await ctx.direct().lrem(keys.active("w"), 1, id);
    const reply = parseClaimReply(await shortCall(keys, { moved: id, now: T0 + 1 }));
    expect(reply).toMatchObject({ movedFound: false, claimed: [] });
    expect(await ctx.direct().hexists(keys.fresh, id)).toBe(1);
  });

  it("idle to busy as claim: the far lease entry made short again, and a marker wakes a peer when wait is empty", async () => {
    const keys = ctx.keys();
    const id = await moved(keys, { n: 1 });
    await ctx.direct().zadd(keys.workers, T0 + 270_000, "w");
    parseClaimReply(await shortCall(keys, { moved: id, now: T0 + 1, leaseMs: LEASE }));
    expect(Number(await ctx.direct().zscore(keys.workers, "w"))).toBe(T0 + 1 + LEASE);
    expect(await ctx.direct().lrange(keys.wait, 0, -1)).toEqual(["~"]);
  });

  it("is not used for what claim must carry or gate: settlements, limits, a marker or group token, no moved entry", async () => {
    const keys = ctx.keys();
    const id = "abcdefgh12345678";
    expect(shortClaimCall(keys, "w", { moved: id })).toBeDefined();
    expect(shortClaimCall(keys, "w", {})).toBeUndefined();
    expect(shortClaimCall(keys, "w", { moved: "~" })).toBeUndefined();
    expect(shortClaimCall(keys, "w", { moved: "^tenant" })).toBeUndefined();
    expect(shortClaimCall(keys, "w", { moved: id, settlements: [{ entry: id, recordId: id, kind: "completed", payload: "null", runAt: 0, ttlMs: 1 }] })).toBeUndefined();
    expect(shortClaimCall(keys, "w", { moved: id, limits: { rateMax: 5, ratePerMs: 1_000, concurrency: 0 } })).toBeUndefined();
    expect(shortClaimCall(keys, "w", { moved: id, limits: { rateMax: 0, ratePerMs: 0, concurrency: 3 } })).toBeUndefined();
    expect(shortClaimCall(keys, "w", { moved: id, groupLimits: { concurrency: 1, rateLimit: null } })).toBeUndefined();
  });
}
