/**
 * The chaos handler's evidence against a real redis-server: a write the client sends again (what ioredis does
 * with an unanswered command after Redis restarted on an AOF that already held it) is counted once, while two
 * real runs of one job are counted twice and apply their effect once.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../runtime/redis-server";
import { applyEffect, EFFECTS_APPLIED_KEY, EFFECT_WRITES_KEY, explainRuns, readEvidence, recordRun, RUNS_BY_WORKER_KEY } from "./evidence";

let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

it("a re-sent write counts once; a second run counts again and its effect applies once", async () => {
  const jobId = "noop.0000000000000001";
  const first = { token: "t1", jobId, workerId: "w1", attempt: 1, at: 1_000 };
  await recordRun(redis, first);
  await recordRun(redis, first);
  expect(await applyEffect(redis, first)).toBe(true);
  expect(await applyEffect(redis, first)).toBe(false);

  const second = { token: "t2", jobId, workerId: "w2", attempt: 2, at: 2_000 };
  await recordRun(redis, second);
  expect(await applyEffect(redis, second)).toBe(false);

  const evidence = await readEvidence(redis);
  expect(evidence.executions.get(jobId)).toBe(2);
  expect(evidence.effectWrites).toBe(2);
  expect(evidence.effectsApplied).toBe(1);
  expect(await redis.get(EFFECTS_APPLIED_KEY)).toBe("1");
  expect(await redis.get(EFFECT_WRITES_KEY)).toBe("2");
  expect(await redis.hgetall(RUNS_BY_WORKER_KEY)).toEqual({ w1: "1", w2: "1" });
  expect((await explainRuns(redis, [jobId]))[jobId]!.runs).toEqual(["w1 attempt=1 at=1000", "w2 attempt=2 at=2000"]);
});
