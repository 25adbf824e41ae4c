/**
 * Crash safety with real processes: a worker SIGKILLed mid-job, SIGTERM during a job, redis-server killed and
 * restarted on its AOF under load and while a worker sits in BLMOVE.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { queueKeys, type QueueKeys } from "../../shared/src/keys";
import { getStatus } from "../../shared/src/ops/read";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { waitFor } from "../../infra/test/wait-for";
import { EXECUTIONS_KEY, workJob } from "./fixtures/test-jobs";
import { enqueueOne, forkWorker, waitForState, type ChildWorker } from "./support";

const LEASE_MS = 2_000;
let server: RedisServerHandle;
let redis: Redis;
let keys: QueueKeys;
let prefix: string;
let counter = 0;
const children: ChildWorker[] = [];

beforeAll(async () => {
  server = await startRedisServer({ appendOnly: true });
  redis = new Redis(server.url, { protocol: 2, maxRetriesPerRequest: null });
  redis.on("error", () => {}); // the tests kill redis-server on purpose
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
    await child.exited();
  }
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const runner = () => ioredisRunner(redis);
async function spawnWorker(env: Record<string, string> = {}) {
  const child = await forkWorker({ REDIS_URL: server.url, REDIS_PREFIX: prefix, LEASE_MS: String(LEASE_MS), ...env });
  children.push(child);
  return child;
}
function freshQueue() {
  prefix = `crash${++counter}`;
  keys = queueKeys("work", prefix);
}
const executions = async (localId: string) => Number(await redis.hget(EXECUTIONS_KEY, `work.${localId}`));

describe("crash safety", () => {
  it("a SIGKILLed worker's job completes on another worker within the lease window", async () => {
    freshQueue();
    const doomed = await spawnWorker();
    const id = await enqueueOne(runner(), keys, workJob, { ms: 1_000, tag: "survivor" });
    expect(await doomed.nextStart()).toBe(`work.${id}`);
    doomed.process.kill("SIGKILL");
    await doomed.exited();
    const killedAt = Date.now();
    expect((await getStatus(runner(), keys, id))!.state).toBe("active");

    const rescuer = await spawnWorker();
    const readyAt = Date.now();
    expect(await rescuer.nextStart()).toBe(`work.${id}`);
    const pickedUpAt = Date.now();
    const status = await waitForState(runner(), keys, id, "completed");
    expect(status).toMatchObject({ stalls: 1, attempt: 1, result: { tag: "survivor" } });
    expect(await executions(id)).toBe(2);
    // Back in line once the dead worker's lease lapsed, not "eventually": soon after the later of the lease's
    // expiry and the rescuer being ready (on a busy machine, starting a process alone can outlast the lease).
    expect(pickedUpAt - Math.max(killedAt + LEASE_MS, readyAt)).toBeLessThan(3_000);
    expect(await redis.exists(keys.active(doomed.workerId))).toBe(0);
  });

  it("SIGTERM lets a running job finish, then exits 0", async () => {
    freshQueue();
    const worker = await spawnWorker({ GRACE_MS: "5000" });
    const id = await enqueueOne(runner(), keys, workJob, { ms: 300 });
    await worker.nextStart();
    worker.process.kill("SIGTERM");
    expect(await worker.exited()).toEqual({ code: 0, signal: null });
    expect(await getStatus(runner(), keys, id)).toMatchObject({ state: "completed" });
    expect(await executions(id)).toBe(1);
    expect(await redis.zscore(keys.workers, worker.workerId)).toBeNull();
  });

  it("SIGTERM hands a job that outlives the grace period back to the queue, then exits 0", async () => {
    freshQueue();
    const worker = await spawnWorker({ GRACE_MS: "200" });
    const id = await enqueueOne(runner(), keys, workJob, { ms: 30_000 });
    await worker.nextStart();
    worker.process.kill("SIGTERM");
    expect(await worker.exited()).toEqual({ code: 0, signal: null });
    expect(await getStatus(runner(), keys, id)).toMatchObject({ state: "waiting", attempt: 0 });
    expect(await redis.lrange(keys.wait, 0, -1)).toEqual([id]);
    expect(await redis.exists(keys.active(worker.workerId))).toBe(0);
  });

  it("survives redis-server being killed and restarted mid-run: nothing lost", async () => {
    freshQueue();
    await spawnWorker({ WORKER_CONCURRENCY: "8" });
    const r = runner();
    const ids = await Promise.all(Array.from({ length: 150 }, (_, i) => enqueueOne(r, keys, workJob, { ms: 10, tag: String(i) })));
    await waitFor(async () => Number(await redis.hget(keys.stats, "completed")) >= 20, { what: "20 completions" });
    await server.kill();
    await server.start();
    for (const id of ids) await waitForState(r, keys, id, "completed", 30_000);
    for (const id of ids) expect(await executions(id)).toBeGreaterThanOrEqual(1);
  });

  it("connections cut mid-run (replies lost after the scripts ran): nothing is lost or stuck active", async () => {
    freshQueue();
    await spawnWorker({ WORKER_CONCURRENCY: "8" });
    const r = runner();
    const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => enqueueOne(r, keys, workJob, { ms: 2, tag: String(i) })));
    for (const threshold of [30, 90, 160]) {
      await waitFor(async () => Number(await redis.hget(keys.stats, "completed")) >= threshold, { what: `${threshold} completions` });
      // Drops every client connection but ours: the worker's in-flight commands lose their replies.
      await redis.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    }
    for (const id of ids) await waitForState(r, keys, id, "completed", 30_000);
    expect(await redis.llen(keys.wait)).toBe(0);
  });

  it("a worker idle in BLMOVE resumes after a Redis restart (no silently re-sent blocking command)", async () => {
    freshQueue();
    await spawnWorker({ BLOCK_SECONDS: "30" });
    const before = await enqueueOne(runner(), keys, workJob, { tag: "before" });
    await waitForState(runner(), keys, before, "completed");
    await server.kill();
    await server.start();
    const after = await enqueueOne(runner(), keys, workJob, { tag: "after" });
    expect((await waitForState(runner(), keys, after, "completed", 30_000)).result).toMatchObject({ tag: "after" });
  });

  it("invalid configuration stops the process at start with one line naming the variable", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../src/main.ts")], {
      env: { ...process.env, REDIS_URL: "redis://127.0.0.1:1", WORKER_CONCURRENCY: "lots" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^invalid config: WORKER_CONCURRENCY: /);
  });
});
