/**
 * The worker runtime in-process against a real redis-server: outcomes, retries, poison, timeouts, concurrency
 * and the thread pool.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { minuteOf, queueKeys, type QueueKeys } from "../../shared/src/keys";
import { getStatus, parseStatsReply, statsCall } from "../../shared/src/ops/read";
import { enqueue, prepareJob } from "../../shared/src/ops/enqueue";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { JOBS } from "../../shared/src/jobs/index";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { buildWorker } from "../../infra/scripts/build-worker";
import { createWorker, type Worker } from "../src/worker";
import type { JobContext } from "../src/handler";
import type { SettledEvent, WorkerObserver } from "../src/observer";
import { EXECUTIONS_KEY, TEST_REGISTRY, createWorkHandler, workJob } from "./fixtures/test-jobs";
import { enqueueOne, waitForState } from "./support";
import { waitFor } from "../../infra/test/wait-for";

let server: RedisServerHandle;
let redis: Redis;
let threadFile: string;
const runner = () => ioredisRunner(redis);
let prefixCounter = 0;
let keys: QueueKeys;
let prefix: string;
const workers: Worker[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 });
  threadFile = join(await buildWorker(mkdtempSync(join(tmpdir(), "offload-worker-build-"))), "thread.js");
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

function startWorker(
  options: {
    concurrency?: number;
    onStart?: (ctx: JobContext) => void;
    queues?: string[];
    work?: (data: unknown, ctx: JobContext) => unknown;
    /** Runs once the queue's keys are known, before the worker starts (e.g. to pre-fill the queue). */
    beforeStart?: () => Promise<void>;
    observers?: WorkerObserver[];
  } = {},
) {
  prefix = `w${++prefixCounter}`;
  keys = queueKeys("work", prefix);
  const worker = createWorker({
    redisUrl: server.url,
    prefix,
    registry: TEST_REGISTRY,
    handlers: { work: options.work ?? createWorkHandler(redis, options.onStart) },
    queues: options.queues ?? ["work"],
    concurrency: options.concurrency ?? 4,
    leaseMs: 5_000,
    shutdownGraceMs: 2_000,
    threadFile,
    observers: options.observers,
    log: pino({ level: "silent" }),
  });
  workers.push(worker);
  return (options.beforeStart?.() ?? Promise.resolve()).then(() => worker.start()).then(() => worker);
}

describe("worker runtime", () => {
  it("fetches and completes a job, keeping its result", async () => {
    await startWorker();
    const id = await enqueueOne(runner(), keys, workJob, { tag: "hello" });
    const status = await waitForState(runner(), keys, id, "completed");
    expect(status).toMatchObject({ result: { tag: "hello", attempt: 1 }, attempt: 1, error: null });
    expect(status.startedAt).not.toBeNull();
  });

  it("tells its observer claimed → started → settled, and each settlement carries how long the attempt ran", async () => {
    const events: string[] = [];
    const settled: SettledEvent[] = [];
    let landed!: () => void;
    const allLanded = new Promise<void>((resolve) => (landed = resolve));
    await startWorker({
      observers: [
        {
          claimed: ({ entries }) => entries.forEach((entry) => events.push(`claimed ${entry}`)),
          started: ({ entry }) => events.push(`started ${entry}`),
          settled: (event) => {
            settled.push(event);
            event.settlements.forEach((s, i) => events.push(`settled ${s.entry} ${s.kind} ${event.applied[i]}`));
            if (settled.flatMap((e) => e.settlements).filter((s) => s.kind === "completed").length === 2) landed();
          },
        },
      ],
    });
    const slow = await enqueueOne(runner(), keys, workJob, { ms: 40 });
    const failing = await enqueueOne(runner(), keys, workJob, { failTimes: 1 });
    await allLanded;
    for (const id of [slow, failing]) {
      const own = events.filter((e) => e.includes(id)).map((e) => e.split(" ")[0]);
      expect(own.slice(0, 3)).toEqual(["claimed", "started", "settled"]);
    }
    const settlements = settled.flatMap((e) => e.settlements);
    const ofSlow = settlements.find((s) => s.entry === slow)!;
    expect(ofSlow.kind).toBe("completed");
    // A lower bound only: the handler slept 40 ms, so the attempt cannot have taken less.
    expect(ofSlow.runMs).toBeGreaterThanOrEqual(39);
    expect(events.filter((e) => e.includes(failing)).map((e) => e.split(" ")[0])).toHaveLength(6); // a retry, then done
    const ofFailing = settlements.find((s) => s.entry === failing)!;
    expect(ofFailing.kind).toBe("retry");
    expect(ofFailing.runMs).toEqual(expect.any(Number));
    // The run times reach the queue's per-minute history (three attempts ran; the buckets may straddle a minute).
    const minute = minuteOf(Date.now());
    let runCount = 0;
    let runSum = 0;
    for (const m of [minute - 1, minute]) {
      runCount += Number((await redis.hget(keys.history(m), "runCount")) ?? 0);
      runSum += Number((await redis.hget(keys.history(m), "runSum")) ?? 0);
    }
    expect(runCount).toBe(3);
    expect(runSum).toBeGreaterThanOrEqual(39);
  });

  it("retries with backoff, then dead-letters with the last error after maxAttempts", async () => {
    await startWorker();
    const id = await enqueueOne(runner(), keys, workJob, { failTimes: 99 });
    const status = await waitForState(runner(), keys, id, "dead");
    expect(status).toMatchObject({ attempt: 3, error: { message: "planned failure 3", reason: "max_attempts" } });
    expect(Number(await redis.hget(EXECUTIONS_KEY, `work.${id}`))).toBe(3);
    expect(parseStatsReply(keys, await runner().run(statsCall(keys)))).toMatchObject({ failed: 3, dead: 1, completed: 0 });
  });

  it("succeeds on a retry after failing", async () => {
    await startWorker();
    const id = await enqueueOne(runner(), keys, workJob, { failTimes: 2 });
    expect(await waitForState(runner(), keys, id, "completed")).toMatchObject({ attempt: 3, result: { attempt: 3 } });
  });

  it("honours a per-job maxAttempts override", async () => {
    await startWorker();
    const id = await enqueueOne(runner(), keys, workJob, { failTimes: 99 }, { maxAttempts: 1 });
    expect(await waitForState(runner(), keys, id, "dead")).toMatchObject({ attempt: 1, maxAttempts: 1 });
  });

  it("dead-letters an UnrecoverableError at once", async () => {
    await startWorker();
    const id = await enqueueOne(runner(), keys, workJob, { unrecoverable: true });
    const status = await waitForState(runner(), keys, id, "dead");
    expect(status).toMatchObject({ attempt: 1, error: { message: "this can never work", reason: "unrecoverable" } });
  });

  it("a run past its timeout aborts the signal and counts as a failed attempt", async () => {
    await startWorker();
    const id = await enqueueOne(runner(), keys, workJob, { ms: 10_000, ignoreSignal: true }, { timeoutMs: 50, maxAttempts: 2 });
    const status = await waitForState(runner(), keys, id, "dead");
    expect(status.attempt).toBe(2);
    expect(status.error?.message).toMatch(/timed out after 50 ms/);
  });

  it("dead-letters poison in the wait list with its reason while good jobs keep flowing", async () => {
    await startWorker();
    const r = runner();
    const good1 = await enqueueOne(r, keys, workJob, { tag: "before" });
    // Garbage entry, a record with truncated JSON, an unknown job name, a wrong envelope version, a payload
    // failing its schema: all written straight to Redis, as a buggy producer or a human might.
    await redis.lpush(keys.wait, "%%garbage%%");
    const bad = {
      truncated: "aaaaaaaaaaaaaaa1",
      unknown: "aaaaaaaaaaaaaaa2",
      version: "aaaaaaaaaaaaaaa3",
      schema: "aaaaaaaaaaaaaaa4",
      otherQueue: "aaaaaaaaaaaaaaa5",
      state: "aaaaaaaaaaaaaaa6",
    };
    const record = (fields: Record<string, string>) => ({ v: "1", n: "work", d: "{}", s: "waiting", a: "0", m: "3", c: String(Date.now()), ...fields });
    await redis.hset(keys.job(bad.truncated), record({ d: '{"ms": 1' }));
    await redis.hset(keys.job(bad.unknown), record({ n: "no-such-job" }));
    await redis.hset(keys.job(bad.version), record({ v: "99" }));
    await redis.hset(keys.job(bad.schema), record({ d: '{"ms":"soon"}' }));
    // A job type this worker does handle, but not this queue's: it must not run here.
    await redis.hset(keys.job(bad.otherQueue), record({ n: "digest", d: '{"text":"x","rounds":1}' }));
    await redis.hset(keys.job(bad.state), record({ s: "sleeping" }));
    await redis.lpush(keys.wait, bad.truncated, bad.unknown, bad.version, bad.schema, bad.otherQueue, bad.state);
    const good2 = await enqueueOne(r, keys, workJob, { tag: "after" });

    expect((await waitForState(r, keys, good1, "completed")).result).toMatchObject({ tag: "before" });
    expect((await waitForState(r, keys, good2, "completed")).result).toMatchObject({ tag: "after" });
    expect((await waitForState(r, keys, bad.truncated, "dead")).error).toMatchObject({ reason: "malformed_json" });
    expect((await waitForState(r, keys, bad.unknown, "dead")).error).toMatchObject({ reason: "unknown_job" });
    expect((await waitForState(r, keys, bad.version, "dead")).error).toMatchObject({ reason: "wrong_version" });
    expect((await waitForState(r, keys, bad.schema, "dead")).error).toMatchObject({ reason: "invalid_payload" });
    expect((await waitForState(r, keys, bad.otherQueue, "dead")).error).toMatchObject({ reason: "unknown_job" });
    expect((await waitForState(r, keys, bad.state, "dead")).error).toMatchObject({ reason: "invalid_state" });
    // The garbage entry is not a job id: it is dead-lettered under an id derived from it, keeping the raw entry.
    const dead = await redis.zrange(keys.dead, "0", "-1");
    expect(dead).toHaveLength(7);
    const garbageId = dead.find((id) => !Object.values(bad).includes(id))!;
    expect((await getStatus(r, keys, garbageId))!.error).toMatchObject({ reason: "invalid_entry", raw: "%%garbage%%" });
    expect(await redis.llen(keys.active(workers[0]!.id))).toBe(0);
  });

  it("never runs more than `concurrency` jobs at once and claims in batches", async () => {
    let running = 0;
    let peak = 0;
    const worker = await startWorker({
      concurrency: 5,
      onStart: () => {
        running += 1;
        peak = Math.max(peak, running);
        setTimeout(() => (running -= 1), 15);
      },
    });
    const r = runner();
    const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => enqueueOne(r, keys, workJob, { ms: 15, tag: String(i) })));
    for (const id of ids) await waitForState(r, keys, id, "completed");
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBeGreaterThan(1);
    expect(worker.activeCount()).toBe(0);
  });

  it("claims ahead while jobs are quick: one round trip feeds many runs, never more than `concurrency` at once", async () => {
    let running = 0;
    let peak = 0;
    const work = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await Promise.resolve();
      running -= 1;
      return null;
    };
    const r = runner();
    const ids: string[] = [];
    let before = 0;
    await startWorker({
      concurrency: 1,
      work,
      beforeStart: async () => {
        for (let i = 0; i < 20; i++) {
          const jobs = await Promise.all(Array.from({ length: 20 }, (_, n) => prepareJob(workJob, { tag: `${i}-${n}` })));
          ids.push(...(await enqueue(r, keys, jobs)).map((job) => job.localId));
        }
        before = Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.info("commandstats"))?.[1] ?? 0);
      },
    });
    // Watched with plain HGETs, so every script call counted below is the worker's own.
    await waitFor(async () => Number(await redis.hget(keys.stats, "completed")) === ids.length, { what: "400 completions" });
    const after = Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.info("commandstats"))?.[1] ?? 0);
    expect(peak).toBe(1);
    // One claim per job would be 400 calls; claiming ahead needs far fewer.
    expect(after - before).toBeLessThan(100);
    expect((await getStatus(r, keys, ids[399]!))!.state).toBe("completed");
  });

  it("runs a delayed job once it is due, woken by the producer's marker", async () => {
    await startWorker();
    const r = runner();
    const enqueuedAt = Date.now();
    const id = await enqueueOne(r, keys, workJob, {}, { delayMs: 300 });
    expect((await getStatus(r, keys, id))!.state).toBe("delayed");
    const status = await waitForState(r, keys, id, "completed");
    expect(Date.parse(status.startedAt!)).toBeGreaterThanOrEqual(enqueuedAt + 300);
  });

  it("records progress from ctx.progress", async () => {
    await startWorker({
      concurrency: 1,
      work: async (_, ctx) => {
        await ctx.progress(42);
        return (await getStatus(runner(), keys, ctx.jobId.split(".")[1]!))!.progress;
      },
    });
    const id = await enqueueOne(runner(), keys, workJob, {});
    expect((await waitForState(runner(), keys, id, "completed")).result).toBe(42);
  });

  it("runs CPU-heavy jobs in the thread pool without freezing the event loop", async () => {
    await startWorker({ queues: ["work", "digest"], concurrency: 4 });
    const r = runner();
    const digestKeys = queueKeys("digest", prefix);
    const [cpu] = await Promise.all([enqueueOne(r, digestKeys, JOBS.digest, { text: "abc", rounds: 300_000 })]);
    // While the digest runs, the main thread must keep serving quick jobs and timers.
    let maxLag = 0;
    let last = Date.now();
    const probe = setInterval(() => {
      maxLag = Math.max(maxLag, Date.now() - last - 10);
      last = Date.now();
    }, 10);
    const quick = await enqueueOne(r, keys, workJob, { tag: "quick" });
    await waitForState(r, keys, quick, "completed");
    const status = await waitForState(r, digestKeys, cpu, "completed");
    clearInterval(probe);
    expect(status.result).toMatchObject({ rounds: 300_000 });
    expect((status.result as { digest: string }).digest).toMatch(/^[0-9a-f]{64}$/);
    expect(maxLag).toBeLessThan(200);
  });
});
