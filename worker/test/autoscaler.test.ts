/**
 * The part of autoscaling we own: fly-autoscaler (infra/autoscaler/fly.toml) reads our metrics with one PromQL
 * query; every metric it names must be exported by a real worker process with the `queue` label, hold the right
 * value, and cost Redis a bounded number of commands per scrape (two per served queue, cached for the next).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { JOBS } from "../../shared/src/jobs/index";
import { queueKeys } from "../../shared/src/keys";
import { pauseCall } from "../../shared/src/ops/admin/pause";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { enqueueOne } from "./support/index";
import { startWorkerProcess, stopWorkerProcesses } from "./support/main-process";

let server: RedisServerHandle;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 });
});
afterEach(() => stopWorkerProcesses());
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

/** `FAS_<name> = "…"` from the autoscaler's fly.toml, TOML basic-string escapes undone. */
function autoscalerSetting(name: string): string {
  const toml = readFileSync(join(import.meta.dirname, "../../infra/autoscaler/fly.toml"), "utf8");
  const line = new RegExp(`^\\s*FAS_${name} = "((?:[^"\\\\]|\\\\.)*)"\\s*$`, "m").exec(toml);
  if (!line) throw new Error(`FAS_${name} not found in infra/autoscaler/fly.toml`);
  return JSON.parse(`"${line[1]}"`) as string;
}

/** Sample value of `name{queue="…"}` in Prometheus text. */
function sample(text: string, name: string, queue: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`queue="${queue}"`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

const commandCalls = async (command: string) => Number(/calls=(\d+)/.exec((await redis.info("commandstats")).split("\n").find((l) => l.startsWith(`cmdstat_${command}:`)) ?? "")?.[1] ?? 0);

it("every metric the autoscaler's query reads is exported per queue, correct, and two commands per queue per scrape", async () => {
  const query = autoscalerSetting("PROMETHEUS_QUERY");
  expect(autoscalerSetting("PROMETHEUS_METRIC_NAME")).toBe("backlog");
  expect(autoscalerSetting("STARTED_MACHINE_COUNT")).toMatch(/^max\(1, .*\bbacklog\b/); // never below one machine
  const metrics = [...new Set(query.match(/\boffload_[a-z_]+/g))].sort();
  expect(metrics).toEqual(["offload_queue_due", "offload_queue_paused", "offload_queue_waiting"]);
  // Grouped and matched on `queue`, the label the worker exports them with.
  expect(query.match(/\bby \((\w+)\)|\bon \((\w+)\)/g)?.every((clause) => clause.endsWith("(queue)"))).toBe(true);

  const prefix = "autoscale";
  const worker = await startWorkerProcess(server.url, { REDIS_PREFIX: prefix, WORKER_QUEUES: "noop,event" });
  await worker.line((line) => line.msg === "worker started");
  const runner = ioredisRunner(redis);
  // noop: paused with 3 jobs waiting (the worker runs none), and 2 delayed jobs whose time has come but that no
  // tick promoted yet (their runAt moved into the past behind the worker's back: it ticks again in minutes).
  const noop = queueKeys("noop", prefix);
  await runner.run(pauseCall(noop));
  for (let i = 0; i < 3; i++) await enqueueOne(runner, noop, JOBS.noop, {});
  for (let i = 0; i < 2; i++) {
    const id = await enqueueOne(runner, noop, JOBS.noop, {}, { delayMs: 3_600_000 });
    await redis.zadd(noop.delayed, "XX", Date.now() - 1_000, id);
  }
  await enqueueOne(runner, noop, JOBS.noop, {}, { delayMs: 3_600_000 }); // delayed, not due

  const zcountBefore = await commandCalls("zcount");
  const text = await worker.metrics();
  expect(await commandCalls("zcount")).toBe(zcountBefore + 2); // one per served queue
  expect(sample(text, "offload_queue_waiting", "noop")).toBe(3);
  expect(sample(text, "offload_queue_due", "noop")).toBe(2);
  expect(sample(text, "offload_queue_paused", "noop")).toBe(1);
  expect(sample(text, "offload_queue_waiting", "event")).toBe(0);
  expect(sample(text, "offload_queue_due", "event")).toBe(0);
  expect(sample(text, "offload_queue_paused", "event")).toBe(0);
  // A second scraper right after (Fly's Prometheus and a curl, say) is answered from the cache: no command.
  await worker.metrics();
  expect(await commandCalls("zcount")).toBe(zcountBefore + 2);
});
