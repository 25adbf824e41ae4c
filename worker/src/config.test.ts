/** The worker's env: the shared parsers' rules (REDIS_PREFIX, duration minimums, blank = default) and the exit. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, parseWorkerEnv } from "./config";

const base = { REDIS_URL: "redis://127.0.0.1:6379" };

function failure(env: Record<string, string>): string {
  try {
    parseWorkerEnv({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseWorkerEnv", () => {
  it("applies the defaults, also for blank variables", () => {
    const env = parseWorkerEnv({ ...base, WORKER_LEASE: "", WORKER_CONCURRENCY: "", LOG_LEVEL: "", WORKER_PREFETCH: "" });
    expect(env).toMatchObject({
      REDIS_PREFIX: "offload",
      WORKER_CONCURRENCY: 10,
      WORKER_LEASE: 30_000,
      WORKER_SHUTDOWN_GRACE: 25_000,
      WORKER_THREADS: 2,
      HEALTH_PORT: 9091,
      LOG_LEVEL: "info",
    });
    expect(env.WORKER_PREFETCH).toBeUndefined();
  });

  it("accepts the prefixes the edge accepts (my_app), and refuses the ones it refuses", () => {
    expect(parseWorkerEnv({ ...base, REDIS_PREFIX: "my_app" }).REDIS_PREFIX).toBe("my_app");
    expect(failure({ REDIS_PREFIX: "Has:Colons" })).toMatch(/^invalid config: REDIS_PREFIX: use 1 to 64 letters/);
  });

  it("WORKER_LEASE=30 is refused with the minimum and what it would have meant", () => {
    expect(failure({ WORKER_LEASE: "30" })).toBe(
      'invalid config: WORKER_LEASE: must be at least 1s; "30" is 30 ms (a bare number is milliseconds), did you mean "30s"?',
    );
  });

  it.each([
    ["WORKER_CONCURRENCY", "0"],
    ["WORKER_PREFETCH", "-1"],
    ["WORKER_SHUTDOWN_GRACE", "0"],
    ["WORKER_THREADS", "65"],
    ["HEALTH_PORT", "70000"],
    ["REDIS_URL", "http://x"],
    ["REDIS_URL", "redis://a:7000,http://b:7000"],
    ["REDIS_CLUSTER", "maybe"],
  ])("names %s when it is %j", (name, value) => {
    expect(failure({ [name]: value })).toMatch(new RegExp(`^invalid config: ${name}: `));
  });

  it("REDIS_CLUSTER=true takes REDIS_URL as comma-separated seed nodes; several without it names REDIS_CLUSTER", () => {
    const seeds = "redis://10.0.0.1:7000,redis://10.0.0.2:7000";
    expect(parseWorkerEnv({ REDIS_URL: seeds, REDIS_CLUSTER: "true" })).toMatchObject({ REDIS_URL: seeds, REDIS_CLUSTER: true });
    expect(parseWorkerEnv(base).REDIS_CLUSTER).toBe(false);
    expect(failure({ REDIS_URL: seeds })).toBe(
      "invalid config: REDIS_CLUSTER: REDIS_URL lists several nodes; set REDIS_CLUSTER=true to use them as Redis Cluster seed nodes",
    );
  });
});

describe("the worker process", () => {
  it("stops at start with one line when WORKER_LEASE is below its minimum", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "main.ts")], {
      env: { ...process.env, REDIS_URL: "redis://127.0.0.1:1", WORKER_LEASE: "30" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      'invalid config: WORKER_LEASE: must be at least 1s; "30" is 30 ms (a bare number is milliseconds), did you mean "30s"?',
    ]);
  });

  it("stops at start with one line when a registry key is not its job's name", () => {
    const preload = pathToFileURL(join(import.meta.dirname, "../test/fixtures/miskeyed-registry.ts")).href;
    const result = spawnSync(process.execPath, ["--import", "tsx", "--import", preload, join(import.meta.dirname, "main.ts")], {
      env: { ...process.env, REDIS_URL: "redis://127.0.0.1:1", WORKER_QUEUES: "noop" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      'invalid registry: key "sendReceipt" holds the job named "send-receipt"; the key must be the job\'s name (write "send-receipt": <definition>)',
    ]);
  });
});
