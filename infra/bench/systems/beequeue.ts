/** bee-queue's producer: a non-worker `Queue` as its README recommends, `Job.save` and `Queue.saveAll`. */
import BeeQueue from "bee-queue";
import { PREFIX, QUEUE, type BenchPayload } from "../bench-job";
import type { Producer } from "./producer";

export async function beequeueProducer(redisUrl: string): Promise<Producer> {
  const url = new URL(redisUrl);
  const queue = new BeeQueue<BenchPayload>(QUEUE, {
    redis: { host: url.hostname, port: Number(url.port) },
    prefix: PREFIX.beequeue,
    isWorker: false,
    getEvents: false,
  });
  await queue.ready();
  return {
    system: "beequeue",
    enqueueOne: async (data) => void (await queue.createJob(data).save()),
    async enqueueBatch(data) {
      const errors = await queue.saveAll(data.map((d) => queue.createJob(d)));
      if (errors.size > 0) throw new Error(`bee-queue saveAll: ${errors.size} jobs failed`);
    },
    async counts() {
      const health = await queue.checkHealth();
      return { waiting: health.waiting, completed: health.succeeded };
    },
    close: () => queue.close(),
  };
}
