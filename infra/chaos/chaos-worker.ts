/**
 * The worker process the chaos scenarios start and kill: the real `createWorker` and the real registry and
 * handlers, except `noop`, whose handler leaves evidence in Redis (on a connection of its own, so it is not
 * part of what is being tested):
 *   - `HINCRBY chaos:executions <jobId> 1` when a run starts (counts executions, duplicates included), and
 *     `HINCRBY chaos:runs-by-worker <workerId> 1` (shows which workers still work after a fault), and
 *     `RPUSH chaos:runs:<jobId> "<workerId> attempt=<n> at=<ms>"` (who ran a duplicate, and when);
 *   - after a few ms of "work", its side effect keyed by job id: `SET chaos:effect:<jobId> <worker> NX`, and
 *     `INCR chaos:effects` only if that SET created the key (one atomic script), so a job that runs twice
 *     applies its effect once, as the delivery guarantee asks handlers to do with `ctx.jobId`;
 *   - each of the two writes once per run, whatever the client re-sends after a Redis restart (evidence.ts).
 * It tells its parent over IPC when it is ready (`{ type: "ready", workerId }`). SIGTERM: graceful stop, exit 0.
 *
 * Environment: REDIS_URL (the worker's connections), EFFECT_REDIS_URL (the handler's, default REDIS_URL),
 * WORKER_CONCURRENCY, LEASE_MS, GRACE_MS, BLOCK_SECONDS, JOB_MS_MIN / JOB_MS_MAX (handler duration), LOG_LEVEL,
 * CHAOS_QUEUES (default noop; the other jobs get their shipped handlers), CHAOS_TRACE=1 (trace every fetch-loop
 * step to stderr, see worker-trace.ts).
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { pino } from "pino";
import { JOBS } from "../../shared/src/jobs/index";
import type { JobContext } from "../../worker/src/handler";
import { createHandlers } from "../../worker/src/handlers/index";
import type { WorkerObserver } from "../../worker/src/observer";
import { createWorker } from "../../worker/src/worker";
import { applyEffect, recordRun } from "./evidence";

const env = process.env;
const number = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
const redisUrl = env.REDIS_URL!;
const jobMsMin = number("JOB_MS_MIN", 5);
const jobMsMax = number("JOB_MS_MAX", 20);

// maxRetriesPerRequest null: while Redis restarts, evidence waits for it instead of failing the run (its writes
// are idempotent per run for that reason, see evidence.ts).
const evidence = new Redis(env.EFFECT_REDIS_URL || redisUrl, { protocol: 2, maxRetriesPerRequest: null });
evidence.on("error", () => {});

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

const observers: WorkerObserver[] = [];
if (env.CHAOS_TRACE === "1") {
  const { traceObserver } = await import("./worker-trace");
  observers.push(traceObserver((line) => process.stderr.write(`TRACE ${process.pid} ${line}\n`)));
}

const log = pino({ level: env.LOG_LEVEL ?? "warn", base: { pid: process.pid } });
let workerId = "";

async function recordingNoop(_data: unknown, ctx: JobContext) {
  if (env.CHAOS_TRACE === "1") process.stderr.write(`TRACE ${process.pid} ${Date.now()} run ${ctx.jobId}\n`);
  const run = { token: randomUUID(), jobId: ctx.jobId, workerId, attempt: ctx.attempt, at: Date.now() };
  await recordRun(evidence, run);
  await sleep(jobMsMin + Math.floor(Math.random() * (jobMsMax - jobMsMin + 1)), ctx.signal);
  return { ok: true, applied: await applyEffect(evidence, run) };
}

const queues = (env.CHAOS_QUEUES ?? "noop").split(",");
const worker = createWorker({
  redisUrl,
  registry: JOBS,
  handlers: { ...createHandlers(env, queues, log), noop: recordingNoop },
  queues,
  concurrency: number("WORKER_CONCURRENCY", 8),
  leaseMs: number("LEASE_MS", 2_000),
  shutdownGraceMs: number("GRACE_MS", 5_000),
  blockSeconds: number("BLOCK_SECONDS", 5),
  observers,
  log,
});
workerId = worker.id;

let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  worker.stop().then(
    () => {
      evidence.disconnect();
      process.exit(0);
    },
    (error: unknown) => {
      log.error({ err: error }, "graceful stop failed");
      process.exit(1);
    },
  );
});
// The parent going away must not leave workers behind: stop gracefully, and if that cannot finish (its Redis may
// be gone too), exit anyway.
process.on("disconnect", () => {
  process.kill(process.pid, "SIGTERM");
  setTimeout(() => process.exit(1), number("GRACE_MS", 5_000) + 5_000).unref();
});

await worker.start();
process.send?.({ type: "ready", workerId: worker.id });
