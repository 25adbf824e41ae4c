/** BullMQ's producer: `Queue.add` and `Queue.addBulk`, default job options (completed jobs kept). */
import { Queue } from "bullmq";
import { PREFIX, QUEUE, type BenchPayload } from "../bench-job";
import type { Producer } from "./producer";

export async function bullmqProducer(redisUrl: string): Promise<Producer> {
  const url = new URL(redisUrl);
  const queue = new Queue<BenchPayload>(QUEUE, {
    connection: { host: url.hostname, port: Number(url.port) },
    prefix: PREFIX.bullmq,
  });
  await queue.waitUntilReady();
  return {
    system: "bullmq",
    enqueueOne: async (data) => void (await queue.add(QUEUE, data)),
    enqueueBatch: async (data) => void (await queue.addBulk(data.map((d) => ({ name: QUEUE, data: d })))),
    async counts() {
      const counts = await queue.getJobCounts("wait", "completed");
      return { waiting: counts.wait ?? 0, completed: counts.completed ?? 0 };
    },
    close: () => queue.close(),
  };
}
