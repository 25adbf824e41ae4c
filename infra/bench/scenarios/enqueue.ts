/**
 * Scenario 2: enqueue throughput, awaited one by one and in batches of 1,000. Offload runs the script the edge
 * uses, over ioredis and over the local Upstash-compatible REST endpoint (one HTTP request per call).
 */
import { startUpstashLocal } from "../../upstash-local/server";
import { LABEL, PAYLOAD, SYSTEMS } from "../bench-job";
import { addSample, figure, type Series, type ScenarioResult } from "../results";
import { PRODUCERS, type Producer } from "../systems/index";
import { offloadRestProducer } from "../systems/offload";
import type { ScenarioContext } from "./context";

const TOKEN = "offload-bench-token";

async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

export async function runEnqueue(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config, admin, redisUrl } = ctx;
  const single = figure("enqueue.single", "2. Enqueue throughput", "awaited one by one", "jobs/s", "higher");
  const batch = figure("enqueue.batch", "2. Enqueue throughput", `batches of ${config.batchSize.toLocaleString("en")}`, "jobs/s", "higher");
  const rest = await startUpstashLocal({ redisUrl, token: TOKEN, port: 0 });
  const factories: [Series, () => Promise<Producer>][] = [
    ...SYSTEMS.flatMap((system): [Series, () => Promise<Producer>][] => {
      const entry: [Series, () => Promise<Producer>] = [system, () => PRODUCERS[system](redisUrl)];
      return system === "offload" ? [entry, ["offload-rest", () => offloadRestProducer(rest.url, TOKEN)]] : [entry];
    }),
  ];
  const restRequests: number[] = [];
  try {
    for (let run = 0; run < config.runs; run++) {
      for (const [series, create] of factories) {
        await admin.flush();
        const producer = await create();
        // Warm-up: connection, script cache, JIT. Not timed.
        for (let i = 0; i < 50; i++) await producer.enqueueOne(PAYLOAD);
        await producer.enqueueBatch(new Array(config.batchSize).fill(PAYLOAD));
        await admin.flush();

        const requestsBefore = rest.requestCount();
        const n1 = config.enqueueSingleJobs;
        const ms1 = await timed(async () => {
          for (let i = 0; i < n1; i++) await producer.enqueueOne(PAYLOAD);
        });
        await admin.flush();
        const n2 = config.enqueueBatchJobs;
        const ms2 = await timed(async () => {
          for (let done = 0; done < n2; done += config.batchSize) {
            await producer.enqueueBatch(new Array(Math.min(config.batchSize, n2 - done)).fill(PAYLOAD));
          }
        });
        if (series === "offload-rest") {
          // One HTTP request per enqueue call is the edge's contract; the endpoint counts what reached it.
          restRequests.push((rest.requestCount() - requestsBefore) / (n1 + Math.ceil(n2 / config.batchSize)));
        }
        await producer.close();
        addSample(single, series, (n1 * 1_000) / ms1);
        addSample(batch, series, (n2 * 1_000) / ms2);
        const name = series === "offload-rest" ? "Offload over REST" : LABEL[series as keyof typeof LABEL];
        ctx.log(`enqueue run ${run + 1}/${config.runs} ${name}: ${((n1 * 1_000) / ms1).toFixed(0)} jobs/s single, ${((n2 * 1_000) / ms2).toFixed(0)} jobs/s batch`);
      }
    }
  } finally {
    await rest.close();
  }
  return {
    figures: [single, batch],
    details: { restRequestsPerEnqueueCall: restRequests },
    notes: [
      `Enqueue over the local REST endpoint made ${restRequests.length ? Math.max(...restRequests).toFixed(2) : "n/a"} HTTP requests per enqueue call (single or batch).`,
    ],
  };
}
