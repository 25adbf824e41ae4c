/**
 * runJob: every way a handler can end becomes one outcome; a handler that returns synchronously is answered
 * without a promise (the fast path), an async one can still be timed out and handed back at shutdown.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { JobEnvelope } from "../../shared/src/envelope";
import { defineJob } from "../../shared/src/job-definition";
import { Deadlines } from "./deadlines";
import { HardStop } from "./hard-stop";
import { RetryAfterError, UnrecoverableError } from "./job-errors";
import { JobTimeoutError, runJob, type AnyHandler } from "./run";

const definition = defineJob({ name: "thing", schema: z.object({ n: z.number() }), timeoutMs: 30 });
const envelope = (data: unknown): JobEnvelope => ({
  v: 1, id: "thing.aaaaaaaaaaaaaaaa", localId: "aaaaaaaaaaaaaaaa", name: "thing", data, attempt: 1, maxAttempts: 3, enqueuedAt: 0, stalls: 0, options: {},
});
const log = pino({ level: "silent" });

function run(handler: AnyHandler, options: { data?: unknown; shutdown?: HardStop; deadlines?: Deadlines } = {}) {
  return runJob({
    envelope: envelope(options.data ?? { n: 1 }),
    definition,
    handler,
    shutdown: options.shutdown ?? new HardStop(),
    host: { progress: async () => {}, logger: () => log },
    deadlines: options.deadlines,
  });
}

describe("runJob", () => {
  it("a synchronous handler's outcome comes back at once, not as a promise", () => {
    const outcome = run((data: { n: number }) => data.n + 1);
    expect(outcome).toEqual({ kind: "completed", result: 2 });
    expect(run(() => { throw new Error("sync boom"); })).toMatchObject({ kind: "failed", error: { message: "sync boom" } });
    expect(run(() => { throw new UnrecoverableError("never"); })).toMatchObject({ kind: "unrecoverable", reason: "unrecoverable" });
    expect(run(() => { throw new RetryAfterError("later", 5_000); })).toMatchObject({ kind: "failed", retryAfterMs: 5_000 });
  });

  it("a payload failing its schema is unrecoverable and the handler never runs", () => {
    let called = false;
    const outcome = run(() => (called = true), { data: { n: "one" } });
    expect(outcome).toMatchObject({ kind: "unrecoverable", reason: "invalid_payload" });
    expect(called).toBe(false);
  });

  it("an async handler resolves or rejects into the same outcomes", async () => {
    const pending = run(async () => "done");
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toEqual({ kind: "completed", result: "done" });
    expect(await run(async () => Promise.reject(new Error("async boom")))).toMatchObject({ kind: "failed", error: { message: "async boom" } });
  });

  for (const timers of ["one timer per queue", "a timer per run"] as const) {
    it(`an async handler that outlives its timeout fails with a timeout and sees its signal aborted (${timers})`, async () => {
      let signal: AbortSignal | undefined;
      const deadlines = timers === "one timer per queue" ? new Deadlines() : undefined;
      const outcome = await run((_data, ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      }, { deadlines });
      expect(outcome).toMatchObject({ kind: "failed" });
      expect((outcome as { error: Error }).error).toBeInstanceOf(JobTimeoutError);
      expect(signal?.aborted).toBe(true);
      expect(deadlines?.pending ?? 0).toBe(0);
    });
  }

  it("ctx works destructured: signal, progress and log", async () => {
    const written: number[] = [];
    const outcome = runJob({
      envelope: envelope({ n: 1 }),
      definition,
      handler: async (_data, { signal, progress, log: logger, jobId }) => {
        await progress(40);
        logger.info("hello");
        return { aborted: signal.aborted, jobId };
      },
      shutdown: new HardStop(),
      host: { progress: async (_envelope, percent) => void written.push(percent), logger: () => log },
    });
    expect(await outcome).toEqual({ kind: "completed", result: { aborted: false, jobId: "thing.aaaaaaaaaaaaaaaa" } });
    expect(written).toEqual([40]);
  });

  it("a hard stop hands an async run back; a finished run leaves no deadline or subscription behind", async () => {
    const shutdown = new HardStop();
    const deadlines = new Deadlines();
    const running = run(() => new Promise(() => {}), { shutdown, deadlines });
    shutdown.abort();
    expect(await running).toEqual({ kind: "handBack" });
    const quick = new Deadlines();
    await run(async () => 1, { deadlines: quick });
    expect(quick.pending).toBe(0);
  });
});
