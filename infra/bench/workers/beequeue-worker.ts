/** bee-queue's benchmark worker: a worker `Queue` with its defaults (jobs kept on success) and a no-op handler. */
import BeeQueue from "bee-queue";
import { PREFIX, QUEUE, type BenchPayload } from "../bench-job";
import { runBenchWorker } from "./harness";

await runBenchWorker(async (spec, hooks) => {
  const url = new URL(spec.redisUrl);
  const queue = new BeeQueue<BenchPayload>(QUEUE, {
    redis: { host: url.hostname, port: Number(url.port) },
    prefix: PREFIX.beequeue,
  });
  // Emitted once the finishJob script has returned, i.e. the completion is in Redis.
  queue.on("succeeded", () => hooks.completed());
  queue.on("error", (error) => console.error("bee-queue worker error", error));
  await queue.ready();
  queue.process(spec.concurrency, async (job) => {
    hooks.called(job.data);
    return null;
  });
  return { stop: () => queue.close(5_000) };
});
