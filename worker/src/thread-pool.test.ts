/**
 * The thread pool with a real piscina pool and a real thread bundle: an error a thread handler throws to steer
 * its outcome (RateLimitedError, RetryAfterError, UnrecoverableError) reaches the main thread as the same class
 * with its fields, so it becomes the same outcome and settlement as on the main thread. Structured cloning alone
 * turns each into a plain Error (a failed attempt, retryAfterMs lost).
 */
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { JobEnvelope } from "../../shared/src/envelope";
import { defineJob } from "../../shared/src/job-definition";
import { HardStop } from "./hard-stop";
import { RateLimitedError } from "./job-errors";
import { planSettlement } from "./outcome";
import { runJob } from "./run";
import { createThreadPool, type ThreadPool } from "./thread-pool";

const definition = defineJob({ name: "cpu", schema: z.object({ n: z.number() }), runIn: "thread", maxAttempts: 3 });
const envelope: JobEnvelope = {
  v: 1, id: "cpu.aaaaaaaaaaaaaaaa", localId: "aaaaaaaaaaaaaaaa", name: "cpu", data: { n: 1 }, attempt: 1, maxAttempts: 3, enqueuedAt: 0, stalls: 0, options: {},
};
const log = pino({ level: "silent" });

let dir: string;
let pool: ThreadPool;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "offload-thread-bundle-"));
  await build({
    entryPoints: { thread: join(import.meta.dirname, "../test/fixtures/steering-thread.ts") },
    outdir: dir,
    bundle: true,
    platform: "node",
    format: "esm",
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
  pool = createThreadPool(join(dir, "thread.mjs"), 1);
});

afterAll(async () => {
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});

const runInThread = (name: string) =>
  runJob({ envelope, definition, handler: pool.handlerFor(name), shutdown: new HardStop(), host: { progress: async () => {}, logger: () => log } });

describe("thread pool", () => {
  it("a RateLimitedError thrown in a thread keeps its class and retryAfterMs, and becomes a throttled settlement", async () => {
    const thrown = await (pool.handlerFor("throttled")({ n: 1 }, { jobId: envelope.id, attempt: 1 } as never) as Promise<unknown>).catch((error) => error);
    expect(thrown).toBeInstanceOf(RateLimitedError);
    expect(thrown).toMatchObject({ retryAfterMs: 1_500, message: "receiver said slow down" });
    expect((thrown as Error).stack).toContain("thread.mjs"); // the thread's own stack, not the main thread's

    const outcome = await runInThread("throttled");
    expect(outcome).toMatchObject({ kind: "throttled", retryAfterMs: 1_500, error: { message: "receiver said slow down" } });
    expect(planSettlement(outcome, { entry: envelope.localId, envelope, definition }, 10_000)).toMatchObject({ kind: "throttled", runAt: 11_500 });
  });

  it("RetryAfterError and UnrecoverableError steer the outcome as on the main thread; other errors keep name and message", async () => {
    expect(await runInThread("retryAfter")).toMatchObject({ kind: "failed", retryAfterMs: 4_000, error: { message: "receiver answered 503" } });
    expect(await runInThread("unrecoverable")).toMatchObject({ kind: "unrecoverable", reason: "unrecoverable", error: { message: "receiver answered 410 Gone" } });
    expect(await runInThread("plain")).toMatchObject({ kind: "failed", error: { name: "ReceiverError", message: "receiver answered 500" } });
    expect(await runInThread("done")).toEqual({ kind: "completed", result: { echoed: { n: 1 } } });
  });
});
