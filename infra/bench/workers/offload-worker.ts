/**
 * Offload's benchmark worker: the real `createWorker` with a no-op handler. Completions are counted when the
 * settle script's reply reaches this process (what BullMQ's `completed` and bee-queue's `succeeded` events
 * mean for them), by watching the worker's command connection: the worker itself is not changed.
 */
import type { Command, Redis } from "ioredis";
import { pino } from "pino";
import { SCRIPTS } from "../../../shared/src/generated/scripts";
import { createWorker } from "../../../worker/src/worker";
import { BENCH_REGISTRY, PREFIX, QUEUE, type BenchPayload } from "../bench-job";
import { runBenchWorker } from "./harness";

/** Calls `onApplied(n)` with the number of applied outcomes in every settle reply on this connection. */
function watchSettles(redis: Redis, onApplied: (count: number) => void): void {
  const send = redis.sendCommand.bind(redis);
  const settle = SCRIPTS.settle;
  redis.sendCommand = ((command: Command, ...rest: unknown[]) => {
    const first = command.args[0];
    const isSettle =
      (command.name === "evalsha" && String(first) === settle.sha1) ||
      (command.name === "eval" && String(first) === settle.source);
    if (isSettle) {
      command.promise.then(
        (reply) => onApplied((reply as unknown[]).filter((value) => Number(value) === 1).length),
        () => {},
      );
    }
    return (send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as Redis["sendCommand"];
}

await runBenchWorker(async (spec, hooks) => {
  const worker = createWorker({
    redisUrl: spec.redisUrl,
    prefix: PREFIX.offload,
    registry: BENCH_REGISTRY,
    handlers: {
      [QUEUE]: (data: BenchPayload) => {
        hooks.called(data);
        return null;
      },
    },
    queues: [QUEUE],
    concurrency: spec.concurrency,
    // The production defaults (WORKER_LEASE 30s; BLMOVE blocks 60 s).
    leaseMs: 30_000,
    shutdownGraceMs: 5_000,
    log: pino({ level: "warn" }),
  });
  watchSettles(worker.commands, (count) => hooks.completed(count));
  await worker.start();
  return { stop: () => worker.stop() };
});
