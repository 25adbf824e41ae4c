/**
 * Smoke test of the benchmark's core: each system's worker process drains 200 jobs and every job is found
 * completed in Redis (drainOnce throws otherwise). Figures are not asserted: this is not the place for them.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../test/redis-server";
import { SYSTEMS } from "./bench-job";
import { QUICK } from "./config";
import { RedisAdmin } from "./redis-admin";
import type { ScenarioContext } from "./scenarios/context";
import { drainOnce } from "./scenarios/throughput";
import { bundleWorkers, removeBundles } from "./worker-process";

let redis: RedisServerHandle;
let ctx: ScenarioContext;

beforeAll(async () => {
  [redis] = await Promise.all([startRedisServer(), bundleWorkers()]);
  ctx = {
    config: QUICK,
    redisUrl: redis.url,
    admin: new RedisAdmin(redis.url),
    log: () => {},
    extraRedis: () => Promise.reject(new Error("not needed here")),
  };
});

afterAll(async () => {
  await ctx?.admin.close();
  await redis?.stop();
  removeBundles();
});

test.each(SYSTEMS)("%s: a worker process completes all 200 jobs", { timeout: 20_000 }, async (system) => {
  const result = await drainOnce(ctx, system, 200, 10);
  expect(result.jobsPerSecond).toBeGreaterThan(0);
  expect(result.bytesPerWaitingJob).toBeGreaterThan(0);
});
