/** BullMQ's benchmark worker: a `Worker` with its defaults (completed jobs kept) and a no-op processor. */
import { Worker } from "bullmq";
import { PREFIX, QUEUE, type BenchPayload } from "../bench-job";
import { runBenchWorker } from "./harness";

await runBenchWorker(async (spec, hooks) => {
  const url = new URL(spec.redisUrl);
  const worker = new Worker<BenchPayload>(
    QUEUE,
    async (job) => {
      hooks.called(job.data);
      return null;
    },
    { connection: { host: url.hostname, port: Number(url.port) }, prefix: PREFIX.bullmq, concurrency: spec.concurrency },
  );
  // Emitted once moveToFinished has returned, i.e. the completion is in Redis.
  worker.on("completed", () => hooks.completed());
  worker.on("error", (error) => console.error("bullmq worker error", error));
  await worker.waitUntilReady();
  return { stop: () => worker.close() };
});
