/**
 * The Settler against a real redis-server: settlements of one turn go out as one call, a batch taken by a claim
 * is not sent twice, a failed call puts its batch back in line until it lands (also across a Redis restart),
 * and a settlement for an entry that is no longer ours resolves false.
 */
import type { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { queueKeys, type QueueKeys } from "../../shared/src/keys";
import { claimCall, parseClaimReply } from "../../shared/src/ops/claim";
import { enqueue, prepareJob } from "../../shared/src/ops/enqueue";
import { getStatus } from "../../shared/src/ops/read";
import type { Settlement } from "../../shared/src/ops/settle";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import type { ScriptRunner } from "../../shared/src/script-runner";
import { workJob } from "../test/fixtures/test-jobs";
import type { SettledEvent } from "./observer";
import { planSettlement } from "./outcome";
import { createConnection } from "./redis-connections";
import { Settler } from "./settler";

const WORKER = "settler-test";
let server: RedisServerHandle;
let redis: Redis;
let runner: ScriptRunner;
let prefixCounter = 0;
const log = pino({ level: "silent" });

beforeAll(async () => {
  server = await startRedisServer({ appendOnly: true });
  redis = createConnection(server.url, "settler-test");
  redis.on("error", () => {});
  runner = ioredisRunner(redis);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

/** A fresh queue with `count` jobs claimed into our in-flight list. */
async function claimed(count: number): Promise<{ keys: QueueKeys; entries: string[] }> {
  const keys = queueKeys("work", `s${++prefixCounter}`);
  await enqueue(runner, keys, await Promise.all(Array.from({ length: count }, () => prepareJob(workJob, {}))));
  const reply = parseClaimReply(await runner.run(claimCall(keys, WORKER, count)));
  return { keys, entries: reply.claimed.map((c) => c.entry) };
}

const completed = (entry: string): Settlement => planSettlement({ kind: "completed", result: { entry } }, { entry }, Date.now(), 1);

function settlerWithEvents(keys: QueueKeys) {
  const events: SettledEvent[] = [];
  const settler = new Settler(keys, WORKER, runner, log, { settled: (event) => events.push(event) });
  return { settler, events };
}

describe("Settler", () => {
  it("sends the settlements of one turn of the event loop as one call", async () => {
    const { keys, entries } = await claimed(3);
    const { settler, events } = settlerWithEvents(keys);
    const applied = await Promise.all(entries.map((entry) => settler.add(completed(entry))));
    expect(applied).toEqual([true, true, true]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ via: "settle", applied: [true, true, true] });
    expect(events[0]!.settlements.map((s) => s.entry)).toEqual(entries);
    for (const entry of entries) expect((await getStatus(runner, keys, entry))?.state).toBe("completed");
    expect(settler.size).toBe(0);
  });

  it("a batch a claim takes is not sent again; the claim's reply says what was applied", async () => {
    const { keys, entries } = await claimed(2);
    const { settler, events } = settlerWithEvents(keys);
    const results = entries.map((entry) => settler.add(completed(entry)));
    const taken = settler.take("claim")!;
    expect(taken.settlements).toHaveLength(2);
    expect(settler.entries().sort()).toEqual([...entries].sort());
    // Carry them in a real claim, as the fetch loop does.
    const reply = parseClaimReply(await runner.run(claimCall(keys, WORKER, 1, { settlements: taken.settlements })));
    taken.complete(reply.settled);
    expect(await Promise.all(results)).toEqual([true, true]);
    // Give the flush its turn: it must find nothing to send.
    await new Promise((resolve) => setImmediate(resolve));
    await settler.drain();
    expect(events.map((e) => e.via)).toEqual(["claim"]);
  });

  it("a settlement for an entry that is no longer ours resolves false", async () => {
    const { keys } = await claimed(0);
    const { settler, events } = settlerWithEvents(keys);
    expect(await settler.add(completed("0000000000000000"))).toBe(false);
    expect(events[0]!.applied).toEqual([false]);
  });

  it("a failed call puts its batch back in line, ahead of later ones, and it lands on a retry", async () => {
    const { keys, entries } = await claimed(2);
    const { settler, events } = settlerWithEvents(keys);
    const first = settler.add(completed(entries[0]!));
    settler.take("claim")!.fail();
    const second = settler.add(completed(entries[1]!));
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(events.flatMap((e) => e.settlements.map((s) => s.entry))).toEqual(entries);
  });

  it("keeps retrying while Redis is down and lands once it is back (drain waits for it)", async () => {
    const { keys, entries } = await claimed(1);
    const { settler } = settlerWithEvents(keys);
    await server.kill();
    const result = settler.add(completed(entries[0]!));
    const drained = settler.drain();
    await server.start();
    await drained;
    expect(await result).toBe(true);
    expect((await getStatus(runner, keys, entries[0]!))?.state).toBe("completed");
  });
});
