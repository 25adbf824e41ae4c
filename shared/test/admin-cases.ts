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
import { pauseCall, resumeCall, setPaused } from "../src/ops/admin";
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
}
