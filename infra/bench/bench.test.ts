/**
 * Smoke test of the benchmark's core: each system's worker process drains 200 jobs and every job is found
 * completed in Redis (drainOnce throws otherwise), and every figure the report needs is produced (present and
 * positive). Figures are not compared with anything: timing targets live in `npm run bench`, not here.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../runtime/redis-server";
import { payloadOfSize, SYSTEMS } from "./bench-job";
import { QUICK } from "./config";
import { descendants, processCpuMs } from "./proc-cpu";
import { RedisAdmin } from "./redis-admin";
import type { ScenarioContext } from "./scenarios/context";
import { runEnqueue } from "./scenarios/enqueue";
import { idleOnce, startIdleInBackground } from "./scenarios/idle";
import { drainOnce } from "./scenarios/throughput";
import { removeShippedBundle, SHIPPED_QUEUES } from "./shipped-worker";
import { bundleWorkers, removeBundles } from "./worker-process";

let redis: RedisServerHandle;
let ctx: ScenarioContext;

beforeAll(async () => {
  [redis] = await Promise.all([startRedisServer(), bundleWorkers()]);
  ctx = {
    config: { ...QUICK, enqueueSingleJobs: 50, enqueueBatchJobs: 1_000, idleWindowMs: 200, idleSettleMs: 100, settleMs: 100 },
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
  removeShippedBundle();
});

test.each(SYSTEMS)("%s: a worker process completes all 200 jobs, and the drain's CPU figures are produced", { timeout: 20_000 }, async (system) => {
  const result = await drainOnce(ctx, system, 200, 10);
  expect(result.jobsPerSecond).toBeGreaterThan(0);
  expect(result.bytesPerWaitingJob).toBeGreaterThan(0);
  expect(result.workerCpuUsPerJob).toBeGreaterThan(0);
  expect(result.redisCpuUsPerJob).toBeGreaterThan(0);
  // bee-queue does most of its work outside scripts, so its script time may round to nothing.
  expect(result.redisScriptUsPerJob).toBeGreaterThanOrEqual(0);
  if (system !== "beequeue") expect(result.redisScriptUsPerJob).toBeGreaterThan(0);
});

test("a 20 KB payload drains, and each waiting job costs at least its payload in Redis", { timeout: 20_000 }, async () => {
  expect(JSON.stringify(payloadOfSize(20_480)).length).toBe(20_480);
  const result = await drainOnce(ctx, "offload", 100, 10, payloadOfSize(20_480));
  expect(result.bytesPerWaitingJob).toBeGreaterThan(20_480);
  expect(result.workerCpuUsPerJob).toBeGreaterThan(0);
});

test("the enqueue scenario produces every figure for every series", { timeout: 60_000 }, async () => {
  const { figures } = await runEnqueue(ctx);
  const byId = new Map(figures.map((f) => [f.id, f]));
  const ids = ["enqueue.single", "enqueue.batch", "enqueue.single.producerCpu", "enqueue.single.redisCpu", "enqueue.batch.producerCpu", "enqueue.batch.redisCpu"];
  ids.push("enqueue.single.oneCpu", "enqueue.single.oneCpu.producerCpu", "enqueue.single.oneCpu.redisCpu");
  for (const id of ids) {
    const f = byId.get(id);
    expect(f, id).toBeDefined();
    for (const system of SYSTEMS) {
      expect(f!.samples[system], `${id} ${system}`).toHaveLength(1);
      expect(f!.samples[system]![0]!, `${id} ${system}`).toBeGreaterThan(0);
    }
  }
  expect(byId.get("enqueue.single")!.samples["offload-rest"]![0]!).toBeGreaterThan(0);
  // The pinned loop lets this process run on every CPU again.
  const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  expect(allowed).toBe(availableParallelism() > 1 ? `0-${availableParallelism() - 1}` : "0");
});

test("the idle figure of the production worker comes from a process serving the shipped job types", { timeout: 60_000 }, async () => {
  const cost = await idleOnce(ctx, "offload-shipped", ctx.admin);
  for (const value of [cost.clientPerMin, cost.allPerMin, cost.cpuMsPerMin]) {
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThanOrEqual(0);
  }
  // The process says which queues it serves when it starts (its "worker started" log line).
  expect(cost.queuesSeen.sort()).toEqual([...SHIPPED_QUEUES].sort());
});

test("the idle scenario started in the background gives every idle figure once its window is over", { timeout: 60_000 }, async () => {
  const extra: RedisServerHandle[] = [];
  const withServers: ScenarioContext = {
    ...ctx,
    async extraRedis() {
      const server = await startRedisServer();
      extra.push(server);
      return server.url;
    },
  };
  try {
    const started = performance.now();
    const idle = await startIdleInBackground(withServers);
    const { figures } = await idle.finish();
    expect(performance.now() - started).toBeGreaterThanOrEqual(ctx.config.idleWindowMs);
    const ids = figures.map((f) => f.id);
    expect(ids).toEqual(["idle.client", "idle.all", "idle.cpu", "idle.shipped.client", "idle.shipped.perQueue", "idle.shipped.all", "idle.shipped.cpu"]);
    for (const system of SYSTEMS) expect(figures[0]!.samples[system], system).toHaveLength(1);
    expect(figures[3]!.samples.offload).toHaveLength(1);
  } finally {
    await Promise.all(extra.map((s) => s.stop()));
  }
});

test("/proc CPU readings: a busy process's CPU time, and processes found below their grandparent", { timeout: 20_000 }, async () => {
  // A parent that starts a child which burns ~300 ms of CPU, then both wait to be killed.
  const script = `require("child_process").spawn(process.execPath, ["-e", "const t=Date.now(); while (Date.now()-t<300); setInterval(()=>{}, 1000); console.log('burnt')"], { stdio: "inherit" }); setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await once(parent.stdout!, "data");
    const below = descendants(parent.pid!);
    expect(below).toHaveLength(1);
    expect(processCpuMs(below[0]!.pid)).toBeGreaterThan(100);
    expect(processCpuMs(2 ** 22 + 12_345)).toBeNaN();
    process.kill(below[0]!.pid, "SIGKILL");
  } finally {
    parent.kill("SIGKILL");
  }
});
