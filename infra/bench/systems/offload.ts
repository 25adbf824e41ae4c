/**
 * Offload's producer: `prepareJob` + the one `enqueue` script call the edge makes, over ioredis (TCP) or over
 * an Upstash-compatible REST endpoint (the edge's path).
 */
import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis } from "ioredis";
import { queueKeys } from "../../../shared/src/keys";
import { enqueue, prepareJob } from "../../../shared/src/ops/enqueue";
import { parseStatsReply, statsCall } from "../../../shared/src/ops/read";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { upstashRunner } from "../../../shared/src/runners/upstash-runner";
import type { ScriptRunner } from "../../../shared/src/script-runner";
import { benchJob, PREFIX, QUEUE, type BenchPayload } from "../bench-job";
import type { Producer } from "./producer";

export const offloadKeys = queueKeys(QUEUE, PREFIX.offload);

function offloadProducer(runner: ScriptRunner, close: () => Promise<void>): Producer {
  async function add(data: readonly BenchPayload[]): Promise<void> {
    const jobs = await Promise.all(data.map((d) => prepareJob(benchJob, d)));
    const results = await enqueue(runner, offloadKeys, jobs);
    if (results.length !== jobs.length || results.some((r) => r.outcome !== "created")) {
      throw new Error(`offload enqueue: expected ${jobs.length} created, got ${JSON.stringify(results.slice(0, 3))}`);
    }
  }
  return {
    system: "offload",
    enqueueOne: (data) => add([data]),
    enqueueBatch: add,
    async counts() {
      const stats = parseStatsReply(offloadKeys, await runner.run(statsCall(offloadKeys)));
      return { waiting: stats.waiting, completed: stats.completed };
    },
    close,
  };
}

/** Over TCP, as a Node producer would. */
export async function offloadTcpProducer(redisUrl: string): Promise<Producer> {
  const redis = new Redis(redisUrl, { protocol: 2 });
  await redis.ping();
  return offloadProducer(ioredisRunner(redis), async () => void (await redis.quit()));
}

/** Over REST, as the edge does (one HTTP request per enqueue call). */
export async function offloadRestProducer(url: string, token: string): Promise<Producer> {
  const redis = new UpstashRedis({ url, token, automaticDeserialization: false });
  return offloadProducer(upstashRunner(redis), async () => {});
}
