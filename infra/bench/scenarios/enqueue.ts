/**
 * Scenario 2: enqueue throughput, awaited one by one and in batches of 1,000. Offload runs the script the edge
 * uses, over ioredis and over the local Upstash-compatible REST endpoint (one HTTP request per call). Over TCP
 * each run also says where the time went: the producer's CPU (this process, which does nothing else while
 * it enqueues) and Redis's CPU, per job.
 *
 *   npm run bench -- --only=enqueue --runs=7   just this scenario, full size (about a minute)
 */
import { startUpstashLocal } from "../../upstash-local/server";
import { LABEL, PAYLOAD, SYSTEMS } from "../bench-job";
import { addSample, figure, type Series, type ScenarioResult } from "../results";
import { PRODUCERS, type Producer } from "../systems/index";
import { offloadRestProducer } from "../systems/offload";
import type { ScenarioContext } from "./context";
import { onOneCpu } from "../one-cpu";

const TOKEN = "offload-bench-token";

interface Timed {
  ms: number;
  /** This process's CPU (user + system) over the work, µs. */
  producerCpuUs: number;
  /** Redis's CPU (used_cpu_user + used_cpu_sys) over the work, µs. */
  redisCpuUs: number;
}

async function timed(admin: ScenarioContext["admin"], work: () => Promise<void>): Promise<Timed> {
  const redisBefore = await admin.cpuUs();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { ms, producerCpuUs: cpu.user + cpu.system, redisCpuUs: (await admin.cpuUs()) - redisBefore };
}

export async function runEnqueue(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config, admin, redisUrl } = ctx;
  const single = figure("enqueue.single", "2. Enqueue throughput", "awaited one by one", "jobs/s", "higher");
  const batch = figure("enqueue.batch", "2. Enqueue throughput", `batches of ${config.batchSize.toLocaleString("en")}`, "jobs/s", "higher");
  const cpu = {
    singleProducer: figure("enqueue.single.producerCpu", "2. Enqueue throughput", "one by one: producer CPU per job", "µs/job", "lower"),
    singleRedis: figure("enqueue.single.redisCpu", "2. Enqueue throughput", "one by one: Redis CPU per job", "µs/job", "lower"),
    batchProducer: figure("enqueue.batch.producerCpu", "2. Enqueue throughput", "batches: producer CPU per job", "µs/job", "lower"),
    batchRedis: figure("enqueue.batch.redisCpu", "2. Enqueue throughput", "batches: Redis CPU per job", "µs/job", "lower"),
  };
  // The same one-by-one loop with this process and Redis on one CPU (one-cpu.ts says why); TCP only.
  const oneCpu = {
    rate: figure("enqueue.single.oneCpu", "2. Enqueue throughput", "awaited one by one, producer and Redis pinned to one CPU", "jobs/s", "higher"),
    producer: figure("enqueue.single.oneCpu.producerCpu", "2. Enqueue throughput", "one by one on one CPU: producer CPU per job", "µs/job", "lower"),
    redis: figure("enqueue.single.oneCpu.redisCpu", "2. Enqueue throughput", "one by one on one CPU: Redis CPU per job", "µs/job", "lower"),
  };
  const redisPid = Number((await admin.info("server")).process_id);
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
        const t1 = await timed(admin, async () => {
          for (let i = 0; i < n1; i++) await producer.enqueueOne(PAYLOAD);
        });
        await admin.flush();
        const n2 = config.enqueueBatchJobs;
        const t2 = await timed(admin, async () => {
          for (let done = 0; done < n2; done += config.batchSize) {
            await producer.enqueueBatch(new Array(Math.min(config.batchSize, n2 - done)).fill(PAYLOAD));
          }
        });
        let t3: Timed | undefined;
        if (series !== "offload-rest") {
          await admin.flush();
          t3 = await onOneCpu([process.pid, redisPid], () =>
            timed(admin, async () => {
              for (let i = 0; i < n1; i++) await producer.enqueueOne(PAYLOAD);
            }),
          );
        }
        const ms1 = t1.ms;
        const ms2 = t2.ms;
        if (series === "offload-rest") {
          // One HTTP request per enqueue call is the edge's contract; the endpoint counts what reached it.
          restRequests.push((rest.requestCount() - requestsBefore) / (n1 + Math.ceil(n2 / config.batchSize)));
        }
        await producer.close();
        addSample(single, series, (n1 * 1_000) / ms1);
        addSample(batch, series, (n2 * 1_000) / ms2);
        // Over REST the endpoint runs in this process too, so its CPU would be counted as the producer's: TCP only.
        if (series !== "offload-rest") {
          addSample(cpu.singleProducer, series, t1.producerCpuUs / n1);
          addSample(cpu.singleRedis, series, t1.redisCpuUs / n1);
          addSample(cpu.batchProducer, series, t2.producerCpuUs / n2);
          addSample(cpu.batchRedis, series, t2.redisCpuUs / n2);
        }
        if (t3) {
          addSample(oneCpu.rate, series, (n1 * 1_000) / t3.ms);
          addSample(oneCpu.producer, series, t3.producerCpuUs / n1);
          addSample(oneCpu.redis, series, t3.redisCpuUs / n1);
        }
        const name = series === "offload-rest" ? "Offload over REST" : LABEL[series as keyof typeof LABEL];
        const pinned = t3 ? `, ${((n1 * 1_000) / t3.ms).toFixed(0)} jobs/s single on one CPU` : "";
        ctx.log(`enqueue run ${run + 1}/${config.runs} ${name}: ${((n1 * 1_000) / ms1).toFixed(0)} jobs/s single, ${((n2 * 1_000) / ms2).toFixed(0)} jobs/s batch${pinned}`);
      }
    }
  } finally {
    await rest.close();
  }
  return {
    figures: [single, batch, ...Object.values(cpu), ...Object.values(oneCpu).filter((f) => Object.keys(f.samples).length > 0)],
    details: { restRequestsPerEnqueueCall: restRequests },
    notes: [
      `Enqueue CPU: the producer's is this benchmark process's CPU time (process.cpuUsage) over the timed loop, which includes the client library and the kernel's share of the socket writes; Redis's is INFO cpu used_cpu_user+used_cpu_sys over the same loop. Over TCP only (over REST the endpoint shares this process).`,
      `Enqueue on one CPU: the same one-by-one loop with the benchmark process and redis-server pinned to CPU 0 (taskset, every thread), after the unpinned loops; on this virtual machine a producer and Redis on two CPUs pay a cross-CPU wake-up per reply, and whether a run gets one or two CPUs changes from minute to minute (infra/bench/one-cpu.ts).`,
      `Enqueue over the local REST endpoint made ${restRequests.length ? Math.max(...restRequests).toFixed(2) : "n/a"} HTTP requests per enqueue call (single or batch).`,
    ],
  };
}
