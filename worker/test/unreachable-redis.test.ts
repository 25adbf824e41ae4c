/**
 * A worker process (the real main.ts) whose Redis cannot be reached: it says once, clearly, which address and
 * why (connection refused; authentication failed, with the password redacted), keeps retrying with backoff
 * without a warning per attempt, answers 503 on /healthz until Redis answers, then starts working.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../infra/runtime/free-port";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { waitFor } from "../../infra/test/wait-for";
import { JOBS } from "../../shared/src/jobs/index";
import { queueKeys } from "../../shared/src/keys";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { enqueueOne, waitForState } from "./support";
import { startWorkerProcess, stopWorkerProcesses, type LogLine } from "./support/main-process";

const servers: RedisServerHandle[] = [];
afterEach(async () => {
  await stopWorkerProcesses();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});


const ERROR = 50;
const WARN = 40;
/** Lines at warn or above, other than the one-time start-up notice. */
const complaints = (lines: LogLine[]) => lines.filter((l) => l.level >= WARN && !l.msg.startsWith("worker waiting for Redis"));

describe("a worker whose Redis is unreachable", () => {
  it("nothing listening: one clear error naming the address, 503 until Redis answers, then it works", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const worker = await startWorkerProcess(url, { REDIS_PREFIX: "unreachable", LOG_LEVEL: "debug" });
    const error = await worker.line((l) => l.level === ERROR);
    expect(error.msg).toBe(`cannot reach Redis at ${url}: connection refused: nothing is listening at that address; retrying with backoff`);
    expect(error.code).toBe("ECONNREFUSED");
    // Several more attempts (each one logged at debug only)...
    await worker.line((l) => l.msg === "redis command connection error" && worker.lines.filter((x) => x.msg === l.msg).length >= 4);
    // (The debug lines are per attempt; the test counts them to know that several attempts went by.)
    // ...and still only that one complaint: no "retrying" warning per attempt and loop.
    expect(complaints(worker.lines)).toEqual([error]);
    expect(worker.lines.some((l) => l.msg === "worker started")).toBe(false);
    const down = await worker.health();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: "redis_unavailable", redis: url });
    expect(down.body.cause).toMatch(/connection refused/);
    // Metrics still answer (Prometheus must see the outage); the depth gauges' failed stats call counts as a Redis
    // error (in the next scrape: a scrape's counters are read while its gauges still wait for Redis).
    await waitFor(async () => /^offload_redis_errors_total\{op="stats"\} [1-9]/m.test(await worker.metrics()), {
      what: "a failed stats call counted",
    });

    const server = await startRedisServer({ port });
    servers.push(server);
    const back = await worker.line((l) => l.msg.startsWith(`connected to Redis at ${url} after`));
    expect(back.failedAttempts).toBeGreaterThanOrEqual(4);
    await waitFor(async () => (await worker.health()).status === 200, { what: "/healthz 200" });
    const redis = new Redis(server.url, { protocol: 2 });
    try {
      const runner = ioredisRunner(redis);
      const keys = queueKeys("noop", "unreachable");
      const id = await enqueueOne(runner, keys, JOBS.noop, {});
      await waitForState(runner, keys, id, "completed");
    } finally {
      redis.disconnect();
    }
  });

  it("wrong password: says authentication failed, never prints the password, answers 503", async () => {
    const server = await startRedisServer();
    servers.push(server);
    const admin = new Redis(server.url, { protocol: 2 });
    await admin.config("SET", "requirepass", "the-right-one");
    await admin.auth("the-right-one");
    const worker = await startWorkerProcess(`redis://:wrong-secret-1234@127.0.0.1:${server.port}`, { LOG_LEVEL: "debug" });
    try {
      const error = await worker.line((l) => l.level === ERROR);
      const redacted = `redis://:***@127.0.0.1:${server.port}`;
      expect(error.msg).toBe(`cannot reach Redis at ${redacted}: authentication failed: wrong password or user (check REDIS_URL); retrying with backoff`);
      // Redis itself counts the connections the worker keeps opening: wait for a few more, then check there was one
      // complaint.
      const connections = async () => Number(/total_connections_received:(\d+)/.exec(await admin.info("stats"))?.[1]);
      const before = await connections();
      await waitFor(async () => (await connections()) >= before + 4, { what: "4 more connection attempts" });
      expect(complaints(worker.lines)).toEqual([error]);
      const down = await worker.health();
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: "redis_unavailable", redis: redacted });
      expect(down.body.cause).toMatch(/authentication failed/);
      expect(worker.output()).not.toContain("wrong-secret-1234");
    } finally {
      admin.disconnect();
    }
  });
});
