/**
 * Offload's benchmark worker: the real `createWorker` (production defaults) with a no-op handler.
 *
 * A completion counts when Redis's reply saying so reaches this process, as BullMQ's `completed` and bee-queue's
 * `succeeded` events do for them. Offload has no such event, so the worker's command connection is watched:
 * settlements land either in a `claim` call (which carries pending settlements) or in a `settle` call, and both
 * replies are read with the shared parsers. Should the protocol move settlements elsewhere, the hook would see
 * nothing: then, once every handler has run, the stats counter is polled instead and a warning says to fix this.
 */
import { Redis, type Command } from "ioredis";
import { pino } from "pino";
import { SCRIPTS } from "../../../shared/src/generated/scripts";
import { queueKeys } from "../../../shared/src/keys";
import { parseClaimReply } from "../../../shared/src/ops/claim";
import { parseStatsReply, statsCall } from "../../../shared/src/ops/read";
import { parseSettleReply } from "../../../shared/src/ops/settle";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { createWorker } from "../../../worker/src/worker";
import { BENCH_REGISTRY, PREFIX, QUEUE, type BenchPayload } from "../bench-job";
import { runBenchWorker } from "./harness";

const FALLBACK_AFTER_MS = 2_000;

/** Which script a command runs, by sha1 (EVALSHA) or body (EVAL after NOSCRIPT). */
function scriptOf(command: Command): "claim" | "settle" | undefined {
  if (command.name !== "evalsha" && command.name !== "eval") return undefined;
  const first = String(command.args[0]);
  for (const name of ["claim", "settle"] as const) {
    if (first === SCRIPTS[name].sha1 || first === SCRIPTS[name].source) return name;
  }
  return undefined;
}

/** Calls `onApplied(n)` with the number of settlements each claim or settle reply reports as applied. */
function watchSettlements(redis: Redis, onApplied: (count: number) => void): void {
  const send = redis.sendCommand.bind(redis) as (...args: unknown[]) => unknown;
  redis.sendCommand = ((command: Command, ...rest: unknown[]) => {
    const script = scriptOf(command);
    if (script) {
      command.promise.then(
        (reply) => {
          const settled = script === "claim" ? parseClaimReply(reply).settled : parseSettleReply(reply);
          const applied = settled.filter(Boolean).length;
          if (applied > 0) onApplied(applied);
        },
        () => {},
      );
    }
    return send(command, ...rest);
  }) as Redis["sendCommand"];
}

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
    // The production defaults (WORKER_LEASE 30s; BLMOVE blocks 60 s; prefetch as createWorker chooses).
    leaseMs: 30_000,
    shutdownGraceMs: 5_000,
    log: pino({ level: "warn" }),
  });
  watchSettlements(worker.commands, (count) => {
    seen += count;
    if (seen >= spec.expected) clearTimeout(fallback);
    hooks.completed(count);
  });
  await worker.start();
  return { stop: () => worker.stop() };
});
