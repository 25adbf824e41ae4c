/**
 * The CLI as a real process: configuration errors, the "listening" line, serving, and a clean exit on signals.
 * Every wait is on process output or exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../runtime/redis-server";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const VARIABLES = ["REDIS_URL", "UPSTASH_LOCAL_TOKEN", "UPSTASH_LOCAL_PORT", "UPSTASH_LOCAL_HOST"];
let redisServer: RedisServerHandle;

beforeAll(async () => {
  redisServer = await startRedisServer();
});
afterAll(() => redisServer?.stop());

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function runCli(env: Record<string, string>): Run {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !VARIABLES.includes(name)));
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves with the first stdout line, or rejects if the process exits first. */
function firstLine(run: Run): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = () => {
      const newline = run.stdout().indexOf("\n");
      if (newline >= 0) resolve(run.stdout().slice(0, newline));
    };
    run.child.stdout!.on("data", onData);
    void run.exited.then((code) => reject(new Error(`exited ${code} before printing: ${run.stderr()}`)));
  });
}

describe("main.ts", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("prints its URL, serves the client, and exits 0 on %s", async (signal) => {
    const run = runCli({ REDIS_URL: redisServer.url, UPSTASH_LOCAL_TOKEN: "cli-token", UPSTASH_LOCAL_PORT: "0" });
    const line = await firstLine(run);
    const url = line.match(/^upstash-local listening on (http:\/\/127\.0\.0\.1:\d+)$/)?.[1];
    expect(url, line).toBeDefined();

    const client = new Redis({ url: url!, token: "cli-token" });
    expect(await client.set(`cli:${signal}`, "v")).toBe("OK");
    expect(await client.get(`cli:${signal}`)).toBe("v");

    run.child.kill(signal);
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toBe("");
  });

  it.each([
    [{ UPSTASH_LOCAL_TOKEN: "t" }, /^upstash-local: REDIS_URL is required/],
    [{ REDIS_URL: "localhost:6379", UPSTASH_LOCAL_TOKEN: "t" }, /^upstash-local: REDIS_URL must be a redis:\/\//],
    [{ REDIS_URL: "redis://127.0.0.1:6379" }, /^upstash-local: UPSTASH_LOCAL_TOKEN is required/],
    [
      { REDIS_URL: "redis://127.0.0.1:6379", UPSTASH_LOCAL_TOKEN: "t", UPSTASH_LOCAL_PORT: "http" },
      /^upstash-local: UPSTASH_LOCAL_PORT must be/,
    ],
  ])("exits 1 with one line naming the variable for %j", async (env, message) => {
    const run = runCli(env);
    expect(await run.exited).toBe(1);
    expect(run.stdout()).toBe("");
    expect(run.stderr()).toMatch(message);
    expect(run.stderr().trimEnd().split("\n")).toHaveLength(1);
  });

  it("exits 1 with one line when Redis cannot be reached", async () => {
    const run = runCli({ REDIS_URL: "redis://127.0.0.1:1", UPSTASH_LOCAL_TOKEN: "t", UPSTASH_LOCAL_PORT: "0" });
    expect(await run.exited).toBe(1);
    expect(run.stderr().trimEnd()).toMatch(/^upstash-local: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
  });
});
