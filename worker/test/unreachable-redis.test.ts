/**
 * A worker process (the real main.ts) whose Redis cannot be reached: it says once, clearly, which address and
 * why (connection refused; authentication failed, with the password redacted), keeps retrying with backoff
 * without a warning per attempt, answers 503 on /healthz until Redis answers, then starts working.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../infra/test/free-port";
import { startRedisServer, type RedisServerHandle } from "../../infra/test/redis-server";
import { waitFor } from "../../infra/test/wait-for";
import { JOBS } from "../../shared/src/jobs/index";
import { queueKeys } from "../../shared/src/keys";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { enqueueOne, waitForState } from "./support";

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const children: ChildProcess[] = [];
const servers: RedisServerHandle[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill("SIGKILL");
    if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
  }
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** Starts main.ts; every stdout line is parsed, every byte of output kept (to check nothing leaks). */
async function startWorkerProcess(redisUrl: string) {
  const healthPort = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../src/main.ts")], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: "unreachable",
      WORKER_QUEUES: "noop",
      HEALTH_PORT: String(healthPort),
      HEALTH_HOST: "127.0.0.1",
      LOG_LEVEL: "debug",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines: LogLine[] = [];
  let output = "";
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  createInterface({ input: child.stdout! }).on("line", (text) => {
    output += `${text}\n`;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`worker exited (${code}): ${output.slice(-2_000)}`);
  });
  exited.catch(() => {});
  return {
    lines,
    output: () => output,
    /** The first line (already seen or to come) that matches. */
    line(match: (line: LogLine) => boolean): Promise<LogLine> {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return Promise.race([new Promise<LogLine>((resolve) => waiters.push({ match, resolve })), exited]);
    },
    async health(): Promise<{ status: number; body: Record<string, string> }> {
      const response = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    },
  };
}

const ERROR = 50;
const WARN = 40;
/** Lines at warn or above, other than the one-time start-up notice. */
const complaints = (lines: LogLine[]) => lines.filter((l) => l.level >= WARN && !l.msg.startsWith("worker waiting for Redis"));

describe("a worker whose Redis is unreachable", () => {
  it("nothing listening: one clear error naming the address, 503 until Redis answers, then it works", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const worker = await startWorkerProcess(url);
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
    const worker = await startWorkerProcess(`redis://:wrong-secret-1234@127.0.0.1:${server.port}`);
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
