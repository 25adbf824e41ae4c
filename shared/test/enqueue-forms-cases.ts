/**
 * The `two enqueue scripts` cases of the protocol conformance suite (registered by shared/test/protocol.test.ts
 * for every runner). enqueueCall sends plain jobs to enqueue_short and everything else to enqueue; both must
 * leave Redis exactly as the other would. A seeded property case runs random plain calls (one job or many,
 * repeated ids, ids that already exist in any state, a paused queue, calls larger than a chunk) through both
 * scripts on two queues side by side and compares replies, records and lists.
 */
import { expect, it } from "vitest";
import type { AdminCaseContext } from "./admin-cases";
import { job, T0 } from "./admin-fixtures";
import { queueKeys, type QueueKeys } from "../src/keys";
import { enqueueCall, longEnqueueCall, parseEnqueueReply, prepareJob, shortEnqueueCall } from "../src/ops/enqueue";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { parseSettleReply, settleCall } from "../src/ops/settle";
import { setPaused } from "../src/ops/admin";
import { getStatus, readRecord } from "../src/ops/read";

/** mulberry32: a small seeded generator, so a failing case can be re-run as it was. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLES = ["", " ", "a b", "ünï", "日本", "🙂", "x".repeat(70), '"quoted"', "\\", "line\nbreak", "%s", "~"];

export function enqueueFormsCases(ctx: AdminCaseContext): void {
  it("plain jobs go to enqueue_short; a delay, options, other attempts, a key, a priority, a group or another name to enqueue", async () => {
    const keys = ctx.keys();
    const plain = await prepareJob(job, { n: 1 });
    expect(enqueueCall(keys, [plain], T0).script.name).toBe("enqueue_short");
    expect(enqueueCall(keys, [plain, await prepareJob(job, { n: 2 })], T0).script.name).toBe("enqueue_short");
    for (const options of [{ delayMs: 1 }, { runAt: T0 + 1 }, { maxAttempts: 9 }, { timeoutMs: 5 }, { idempotencyKey: "k" }, { dedupeKey: "d" }, { priority: 1 }, { group: "tenant-1" }]) {
      expect(enqueueCall(keys, [plain, await prepareJob(job, { n: 2 }, options)], T0).script.name, JSON.stringify(options)).toBe("enqueue");
    }
    expect(enqueueCall(keys, [{ ...plain, name: "other" }], T0).script.name).toBe("enqueue");
    expect(enqueueCall(keys, [], T0).script.name).toBe("enqueue");
    // A priority equal to the definition's is the list priority: still plain.
    expect(enqueueCall(keys, [await prepareJob(job, { n: 3 }, { priority: 5 })], T0).script.name).toBe("enqueue_short");
  });

  it("enqueue_short answers a single created job with a count, an existing one with its state, and writes enqueue's record", async () => {
    const keys = ctx.keys();
    const runner = ctx.runner();
    const prepared = await prepareJob(job, { n: 7 });
    expect(await runner.run(shortEnqueueCall(keys, [prepared], T0))).toBe(1);
    // A fresh job: no hash of its own, its record packed in {q}:fresh, read back whole.
    expect(await ctx.direct().exists(keys.job(prepared.localId))).toBe(0);
    expect(await ctx.direct().hexists(keys.fresh, prepared.localId)).toBe(1);
    expect(await readRecord(runner, keys, prepared.localId)).toEqual({ v: "1", d: '{"n":7}', s: "waiting", m: "3", c: String(T0) });
    const claimed = parseClaimReply(await runner.run(claimCall(keys, "w", 1, { now: T0 + 1 })));
    expect(claimed.claimed.map((c) => c.entry)).toEqual([prepared.localId]);
    // Re-sent while it runs: reported active, nothing written, not pushed again.
    const again = parseEnqueueReply(keys, await runner.run(shortEnqueueCall(keys, [prepared], T0 + 2)), [prepared]);
    expect(again).toEqual([{ id: `proto.${prepared.localId}`, localId: prepared.localId, state: "active", outcome: "existing" }]);
    expect(await ctx.direct().llen(keys.wait)).toBe(0);
    expect((await getStatus(runner, keys, prepared.localId))?.state).toBe("active");
  });

  it("property: enqueue_short and enqueue leave the same replies, records and lists (random plain calls)", async () => {
    const runner = ctx.runner();
    const direct = ctx.direct();
    const base = ctx.keys();
    const seed = 20261201;
    const next = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    // Both queues are named like the job (its name is implied) and share its hash tag: one slot, one node.
    const sides = (i: number): [QueueKeys, QueueKeys] => [
      queueKeys("proto", `${base.jobPrefix.split(":")[0]}-short-${i}`),
      queueKeys("proto", `${base.jobPrefix.split(":")[0]}-long-${i}`),
    ];
    const snapshot = async (keys: QueueKeys, ids: readonly string[]) => ({
      records: await Promise.all(ids.map((id) => readRecord(runner, keys, id))),
      wait: await direct.lrange(keys.wait, 0, -1),
      paused: await direct.lrange(keys.paused, 0, -1),
    });
    const cases = ctx.runnerName === "ioredis" ? 60 : 25;
    for (let i = 0; i < cases; i++) {
      const [short, long] = sides(i);
      const size = i === 0 ? 1_200 : next() < 0.4 ? 1 : 1 + Math.floor(next() * 6);
      const fresh = await Promise.all(
        Array.from({ length: size }, () => prepareJob(job, { n: Math.floor(next() * 1e6), s: pick(SAMPLES) } as never)),
      );
      // Some of the call's ids exist already: enqueued earlier, and some of those claimed, some completed.
      const before = fresh.filter(() => next() < 0.3);
      const calls = [...fresh];
      for (let d = 0; d < 2; d++) if (next() < 0.3) calls.splice(Math.floor(next() * calls.length), 0, pick(fresh)); // repeated ids
      const paused = next() < 0.3;
      const claims = Math.floor(next() * 3);
      const label = `seed ${seed}, case ${i}: ${calls.length} jobs, ${before.length} existing, ${claims} claimed, paused ${paused}`;

      const replies = [];
      for (const [keys, build] of [[short, shortEnqueueCall], [long, longEnqueueCall]] as const) {
        if (before.length > 0) await runner.run(longEnqueueCall(keys, before, T0));
        if (claims > 0 && before.length > 0) {
          const claimed = parseClaimReply(await runner.run(claimCall(keys, "w", claims, { now: T0 + 1 })));
          const first = claimed.claimed[0];
          if (first) {
            const done = { entry: first.entry, recordId: first.entry, kind: "completed" as const, payload: "null", runAt: 0, ttlMs: 60_000 };
            expect(parseSettleReply(await runner.run(settleCall(keys, "w", [done], T0 + 2)))).toEqual([true]);
          }
        }
        if (paused) await setPaused(runner, keys, true);
        const call = build(keys, calls, T0 + 3);
        replies.push(parseEnqueueReply(keys, await runner.run(call), calls).map((r) => [r.localId, r.state, r.outcome]));
      }
      expect(replies[0], label).toEqual(replies[1]);
      const ids = [...new Set(calls.map((c) => c.localId))];
      expect(await snapshot(short, ids), label).toEqual(await snapshot(long, ids));
      // And what both did is right: every id once in the ready list or known before, created exactly once.
      const created = replies[0]!.filter(([, , outcome]) => outcome === "created").map(([id]) => id);
      expect(new Set(created).size, label).toBe(created.length);
      expect(created.length, label).toBe(ids.length - new Set(before.map((b) => b.localId)).size);
      const ready = (await direct.lrange(paused ? short.paused : short.wait, 0, -1)).filter((entry) => created.includes(entry));
      expect(ready, label).toEqual([...created].reverse());
    }
  }, 120_000);
}
