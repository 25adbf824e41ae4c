/**
 * Fresh jobs (PROTOCOL.md "Fresh jobs"): a waiting job never claimed keeps its record packed in {q}:fresh, not in
 * a hash of its own. Every reader must see it as the record it stands for, and its first claim must turn it into
 * that record — through both runners, since Lua does all of it.
 */
import { expect, it } from "vitest";
import type { AdminCaseContext } from "./admin-fixtures";
import { job, T0 } from "./admin-fixtures";
import { enqueue, prepareJob } from "../src/ops/enqueue";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { cancelJob, getStatus, readRecord } from "../src/ops/read";
import { listJobs } from "../src/ops/admin";
import { setPaused } from "../src/ops/admin/pause";
import { parseTickReply, tickCall } from "../src/ops/tick";
import { recoverCall } from "../src/ops/recover";
import { envelopeFromClaim } from "../src/envelope";

export function freshCases(ctx: AdminCaseContext): void {
  const claim = async (worker: string, max: number, now: number, moved?: string) =>
    parseClaimReply(await ctx.runner().run(claimCall(ctx.keys(), worker, max, { moved, now })));

  it("a plain job is fresh: no key of its own, one field of {q}:fresh; status, listing and the record read it", async () => {
    const keys = ctx.keys();
    const [created] = await enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 1 })], T0);
    const id = created!.localId;
    expect(await ctx.direct().exists(keys.job(id))).toBe(0);
    expect(await ctx.direct().hlen(keys.fresh)).toBe(1);
    const status = await getStatus(ctx.runner(), keys, id);
    expect(status).toMatchObject({ state: "waiting", attempt: 0, maxAttempts: 3, createdAt: new Date(T0).toISOString(), stalls: 0 });
    const page = await listJobs(ctx.runner(), keys, { state: "waiting", limit: 10 });
    expect(page.jobs.map((j) => [j.id, j.data])).toEqual([[`proto.${id}`, { n: 1 }]]);
  });

  it("a fresh job with a name and options of its own keeps both through the packed form and its first claim", async () => {
    const keys = ctx.keys();
    // A job name other than the queue's is stored (n); a timeout is an option override (o).
    const prepared = { ...(await prepareJob(job, { n: 2 }, { timeoutMs: 1_500 })), name: "proto-named" };
    expect(prepared.optionsJson).not.toBe("");
    await enqueue(ctx.runner(), keys, [prepared], T0);
    expect(await ctx.direct().exists(keys.job(prepared.localId))).toBe(0);
    const before = await readRecord(ctx.runner(), keys, prepared.localId);
    expect(before).toEqual({ v: "1", d: '{"n":2}', s: "waiting", m: "3", c: String(T0), n: "proto-named", o: prepared.optionsJson });
    const claimed = await claim("w", 1, T0 + 5);
    expect(claimed.claimed).toHaveLength(1);
    const envelope = envelopeFromClaim(keys.queue, claimed.claimed[0]!.entry, claimed.claimed[0]!.fields);
    expect(envelope).toMatchObject({ ok: true, envelope: { name: "proto-named", data: { n: 2 }, attempt: 1, maxAttempts: 3, options: { timeoutMs: 1_500 }, stalls: 0 } });
    // Claimed: the ordinary record, the packed form gone.
    expect(await ctx.direct().hexists(keys.fresh, prepared.localId)).toBe(0);
    expect(await ctx.direct().hgetall(keys.job(prepared.localId))).toEqual({ ...before, s: "active", a: "1", t: String(T0 + 5) });
  });

  it("a re-sent fresh job is reported existing by either enqueue script, and written once", async () => {
    const keys = ctx.keys();
    const plain = await prepareJob(job, { n: 3 });
    await enqueue(ctx.runner(), keys, [plain], T0);
    // The same id again, alone (enqueue_short) and beside a job with options (enqueue).
    const alone = await enqueue(ctx.runner(), keys, [plain], T0 + 1);
    const mixed = await enqueue(ctx.runner(), keys, [plain, await prepareJob(job, { n: 4 }, { timeoutMs: 5 })], T0 + 2);
    expect(alone[0]).toMatchObject({ localId: plain.localId, state: "waiting", outcome: "existing" });
    expect(mixed[0]).toMatchObject({ localId: plain.localId, state: "waiting", outcome: "existing" });
    expect(await ctx.direct().lrange(keys.wait, 0, -1)).toEqual([mixed[1]!.localId, plain.localId]);
    expect((await readRecord(ctx.runner(), keys, plain.localId)).c).toBe(String(T0));
  });

  it("cancelling a fresh job writes its record, cancelled, with its data; the claim then skips nothing it should run", async () => {
    const keys = ctx.keys();
    const [a, b] = await enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 5 }), await prepareJob(job, { n: 6 })], T0);
    expect(await cancelJob(ctx.runner(), keys, a!.localId, T0 + 1)).toEqual({ outcome: "cancelled", previousState: "waiting" });
    expect(await ctx.direct().hexists(keys.fresh, a!.localId)).toBe(0);
    expect(await readRecord(ctx.runner(), keys, a!.localId)).toMatchObject({ s: "cancelled", d: '{"n":5}', f: String(T0 + 1) });
    expect(await ctx.direct().pttl(keys.job(a!.localId))).toBeGreaterThan(0);
    expect((await claim("w", 5, T0 + 2)).claimed.map((c) => c.entry)).toEqual([b!.localId]);
  });

  it("a fresh job a dead worker's BLMOVE took comes back through the reap, attempt 0, and is claimed once", async () => {
    const keys = ctx.keys();
    const [created] = await enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 7 })], T0);
    const id = created!.localId;
    // The blocked worker's BLMOVE moved it; the worker died before its claim.
    await ctx.direct().lmove(keys.wait, keys.active("dead"), "RIGHT", "LEFT");
    await ctx.direct().zadd(keys.workers, T0 + 1_000, "dead");
    parseTickReply(await ctx.runner().run(tickCall(keys, { workerId: "live", leaseMs: 30_000, maxStalls: 1, deadTtlMs: 60_000 }, T0 + 2_000)));
    expect(await ctx.direct().lrange(keys.wait, 0, -1)).toEqual([id]);
    expect(await getStatus(ctx.runner(), keys, id)).toMatchObject({ state: "waiting", attempt: 0, stalls: 0 });
    const claimed = await claim("live", 5, T0 + 3_000);
    expect(claimed.claimed.map((c) => c.entry)).toEqual([id]);
    expect(await getStatus(ctx.runner(), keys, id)).toMatchObject({ state: "active", attempt: 1 });
  });

  it("a fresh job whose BLMOVE reply was lost is handed back by recover, still fresh", async () => {
    const keys = ctx.keys();
    const [created] = await enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 8 })], T0);
    await ctx.direct().lmove(keys.wait, keys.active("w"), "RIGHT", "LEFT");
    expect(Number(await ctx.runner().run(recoverCall(keys, "w", [])))).toBe(1);
    expect(await ctx.direct().lrange(keys.wait, 0, -1)).toEqual([created!.localId]);
    expect(await ctx.direct().hexists(keys.fresh, created!.localId)).toBe(1);
  });

  it("a fresh job moved by BLMOVE just before a pause goes back first in line, still fresh, and runs after resume", async () => {
    const keys = ctx.keys();
    const [created] = await enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 9 })], T0);
    const id = created!.localId;
    await ctx.direct().lmove(keys.wait, keys.active("w"), "RIGHT", "LEFT");
    await setPaused(ctx.runner(), keys, true);
    expect((await claim("w", 1, T0 + 1, id)).claimed).toEqual([]);
    expect(await ctx.direct().lrange(keys.paused, 0, -1)).toEqual([id]);
    expect(await ctx.direct().hexists(keys.fresh, id)).toBe(1);
    await setPaused(ctx.runner(), keys, false);
    expect((await claim("w", 1, T0 + 2)).claimed.map((c) => c.entry)).toEqual([id]);
  });

  it("an unreadable packed record is dead-lettered under its own id with the reason; the next job still runs", async () => {
    const keys = ctx.keys();
    const [bad, good] = await enqueue(ctx.runner(), keys, [await prepareJob(job, { n: 10 }), await prepareJob(job, { n: 11 })], T0);
    await ctx.direct().hset(keys.fresh, bad!.localId, "garbage");
    const claimed = await claim("w", 5, T0 + 1);
    expect(claimed.claimed.map((c) => c.entry)).toEqual([good!.localId]);
    const status = await getStatus(ctx.runner(), keys, bad!.localId);
    expect(status).toMatchObject({ state: "dead" });
    expect(status?.error).toMatchObject({ reason: "unreadable_record" });
    expect(await ctx.direct().hexists(keys.fresh, bad!.localId)).toBe(0);
  });

  it("draining a queue leaves {q}:fresh empty (the key is gone)", async () => {
    const keys = ctx.keys();
    const jobs = await Promise.all(Array.from({ length: 300 }, (_, i) => prepareJob(job, { n: i })));
    await enqueue(ctx.runner(), keys, jobs, T0);
    expect(await ctx.direct().hlen(keys.fresh)).toBe(300);
    let claimed = 0;
    while (claimed < 300) claimed += (await claim("w", 100, T0 + 1)).claimed.length;
    expect(await ctx.direct().exists(keys.fresh)).toBe(0);
  });
}
