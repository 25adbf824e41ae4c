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
import { getQueueDetail, HISTORY_MINUTES, pauseCall, resumeCall, setPaused } from "../src/ops/admin";
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
      expect(await setPaused(ctx.runner(), keys, false)).toEqual({ name: "proto", paused: false });
      // The RENAME itself wakes the blocked client: its reply is the first job in line.
      expect(await moved).toBe(ids[0]);
      expect(await direct.hget(keys.meta, "paused")).toBeNull();
      expect(await direct.lrange(keys.wait, 0, -1)).toEqual([ids[1]]);
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
}
