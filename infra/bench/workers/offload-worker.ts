/**
 * Offload's benchmark worker: the real `createWorker` (production defaults) with a no-op handler.
 *
 * A completion counts when Redis's reply saying so reaches this process, as BullMQ's `completed` and bee-queue's
 * `succeeded` events do for them: the worker's observer (worker/src/observer.ts) reports every batch of
 * settlements that landed, inside a claim or a settle, with which were applied. Should that ever report nothing,
 * then, once every handler has run, the stats counter is polled instead and a warning says to fix this.
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { queueKeys } from "../../../shared/src/keys";
import { parseStatsReply, statsCall } from "../../../shared/src/ops/read";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { createWorker } from "../../../worker/src/worker";
import { BENCH_REGISTRY, PREFIX, QUEUE, type BenchPayload } from "../bench-job";
import { runBenchWorker } from "./harness";

const FALLBACK_AFTER_MS = 2_000;

await runBenchWorker(async (spec, hooks) => {
  let calls = 0;
  let seen = 0;
  let fallback: NodeJS.Timeout | undefined;
  const keys = queueKeys(QUEUE, PREFIX.offload);

  async function pollStats(): Promise<void> {
    console.error(`offload-worker: the settlement hook saw ${seen} of ${spec.expected} completions; polling stats (update workers/offload-worker.ts)`);
    const redis = new Redis(spec.redisUrl, { protocol: 2 });
    const runner = ioredisRunner(redis);
    for (;;) {
      const { completed } = parseStatsReply(keys, await runner.run(statsCall(keys)));
      if (completed > seen) {
        hooks.completed(completed - seen);
        seen = completed;
      }
      if (seen >= spec.expected) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    redis.disconnect();
  }

  const worker = createWorker({
    redisUrl: spec.redisUrl,
    prefix: PREFIX.offload,
    registry: BENCH_REGISTRY,
    handlers: {
      [QUEUE]: (data: BenchPayload) => {
        hooks.called(data);
        calls += 1;
        if (spec.expected > 0 && calls === spec.expected) {
          fallback = setTimeout(() => void (seen < spec.expected && pollStats()), FALLBACK_AFTER_MS);
        }
        return null;
      },
    },
    queues: [QUEUE],
    concurrency: spec.concurrency,
    // The production defaults (WORKER_LEASE 30s; BLMOVE blocks 300 s, idle heartbeat 120 s; prefetch as createWorker chooses).
    leaseMs: 30_000,
    shutdownGraceMs: 5_000,
    observers: [
      {
        settled({ applied }) {
          const count = applied.filter(Boolean).length;
          if (count === 0) return;
          seen += count;
          if (seen >= spec.expected) clearTimeout(fallback);
          hooks.completed(count);
        },
      },
    ],
    log: pino({ level: "warn" }),
  });
  await worker.start();
  return { stop: () => worker.stop() };
});
