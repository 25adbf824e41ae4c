/**
 * Pausing a queue, seen from real workers over a real redis-server (the admin API, the dashboard and the CLI all
 * call the same setPaused): a job running when the pause comes finishes; nothing starts while paused, although
 * jobs wait; the pause outlives the worker and holds for every worker (two new ones start nothing); a paused worker
 * costs what an idle one does — one tick per idle heartbeat and re-issued BLMOVEs, counted by the server, no
 * claim polling; and resume wakes a worker blocked in BLMOVE at once (its block and idle heartbeat are minutes
 * away, so nothing else could start the job in time).
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { queueKeys } from "../../shared/src/keys";
import { setPaused } from "../../shared/src/ops/admin";
import { getStatus } from "../../shared/src/ops/read";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { waitFor } from "../../infra/test/wait-for";
import { createWorker, type Worker, type WorkerOptions } from "../src/worker";
import type { WorkerObserver } from "../src/observer";
import { EXECUTIONS_KEY, TEST_REGISTRY, createWorkHandler, workJob } from "./fixtures/test-jobs";
import { enqueueOne, waitForState } from "./support";

let server: RedisServerHandle;
let redis: Redis;
const workers: Worker[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const prefix = "pause";
const keys = queueKeys("work", prefix);
const runner = () => ioredisRunner(redis);

function startWorker(options: Partial<WorkerOptions> & { observers: WorkerObserver[] }): Worker {
  const worker = createWorker({
    redisUrl: server.url,
    prefix,
    registry: TEST_REGISTRY,
    handlers: { work: createWorkHandler(redis) },
    queues: ["work"],
    concurrency: 2,
    leaseMs: 1_000,
    shutdownGraceMs: 2_000,
    log: pino({ level: "silent" }),
    ...options,
  });
  workers.push(worker);
  return worker;
}

/** Resolves on the next matching observer event (no polling). */
function events<E>() {
  const waiters: ((event: E) => void)[] = [];
  return {
    emit: (event: E) => waiters.splice(0).forEach((wake) => wake(event)),
    next: () => new Promise<E>((resolve) => waiters.push(resolve)),
  };
}

const blockedClients = async () => Number((await redis.info("clients")).match(/blocked_clients:(\d+)/)?.[1]);

describe("a paused queue", () => {
  it("lets the running job finish, starts nothing, outlives the worker, costs no polling, and resume wakes at once", async () => {
    // 1. A job is running when the pause comes: it finishes.
    const started = events<{ entry: string }>();
    const idleTicks = events<void>();
    const first = startWorker({
      idleHeartbeatMs: 1_500,
      blockSeconds: 1,
      observers: [{ started: (event) => started.emit(event), ticked: (event) => event.idle && idleTicks.emit() }],
    });
    await first.start();
    const nextStart = started.next();
    const running = await enqueueOne(runner(), keys, workJob, { ms: 500, tag: "running" });
    expect((await nextStart).entry).toBe(running);
    expect(await setPaused(runner(), keys, true)).toEqual({ name: "work", paused: true });
    const waiting = await enqueueOne(runner(), keys, workJob, { tag: "waits" });
    await waitForState(runner(), keys, running, "completed");

    // 2. While paused a job waits and the worker costs what an idle one does: over 3 idle heartbeats, one
    //    script call (the tick) each, BLMOVEs re-issued as they time out, nothing else — no claim polling.
    await idleTicks.next();
    const before = await commandCalls();
    for (let i = 0; i < 3; i++) await idleTicks.next();
    const sent = diff(before, await commandCalls());
    expect(sent.evalsha).toBe(3);
    expect(sent.blmove).toBeGreaterThan(0);
    const insideScripts = new Set(["del", "exists", "hget", "hmget", "hset", "hincrby", "llen", "zadd", "zrange", "zrangebyscore", "pexpire", "get", "zrem", "zcard"]);
    expect(Object.keys(sent).filter((name) => !["evalsha", "blmove"].includes(name) && !insideScripts.has(name))).toEqual([]);
    expect(await getStatus(runner(), keys, waiting)).toMatchObject({ state: "waiting", attempt: 0 });

    // 3. The pause lives in Redis: new workers (other ids, as after a restart, or on other machines) start
    //    nothing either. Their block and idle heartbeat are minutes long, so only a wake-up can start the job.
    await first.stop();
    workers.splice(workers.indexOf(first), 1);
    const laterStarts = events<{ entry: string }>();
    for (let i = 0; i < 2; i++) {
      const ticks = events<void>();
      const later = startWorker({
        idleHeartbeatMs: 300_000,
        blockSeconds: 300,
        observers: [{ started: (event) => laterStarts.emit(event), ticked: (event) => event.idle && ticks.emit() }],
      });
      const idle = ticks.next();
      await later.start();
      await idle;
    }
    await waitFor(async () => (await blockedClients()) === 2, { what: "both new workers blocked in BLMOVE" });
    expect(await getStatus(runner(), keys, waiting)).toMatchObject({ state: "waiting", attempt: 0 });
    expect(await redis.hget(EXECUTIONS_KEY, `work.${waiting}`)).toBeNull();

    // 4. Resume: the RENAME back wakes a blocked worker, which starts the job at once (once: one job, one run).
    const woke = laterStarts.next();
    const resumedAt = performance.now();
    expect(await setPaused(runner(), keys, false)).toEqual({ name: "work", paused: false });
    expect((await woke).entry).toBe(waiting);
    // Not a performance bound: only a wake-up can start it before the 300 s block or idle heartbeat ends, and
    // 10 s leaves a loaded CI machine all the room it needs (it takes a few ms here).
    expect(performance.now() - resumedAt).toBeLessThan(10_000);
    await waitForState(runner(), keys, waiting, "completed");
    expect(await redis.hget(EXECUTIONS_KEY, `work.${waiting}`)).toBe("1");
  });
});

/** Calls per command since the server started, from INFO commandstats. */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await redis.info("commandstats");
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

function diff(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) {
    if (name === "info") continue; // this test's own reads
    const delta = n - (before[name] ?? 0);
    if (delta > 0) out[name] = delta;
  }
  return out;
}
