/**
 * Scenario 4: pickup latency. An idle worker in its own process; one job at a time, from the moment the
 * producer's enqueue call resolved to the moment the handler was called (both clocks are wall-clock with
 * sub-ms precision on the same machine), with a short gap before the next job so the worker is idle again.
 */
import { LABEL, payloadFor, SYSTEMS, type SystemName } from "../bench-job";
import { addSample, figure, type ScenarioResult } from "../results";
import { percentile } from "../stats";
import { PRODUCERS } from "../systems/index";
import { startWorkerProcess } from "../worker-process";
import { clock } from "../workers/protocol";
import type { ScenarioContext } from "./context";

const CONCURRENCY = 10;

async function latencies(ctx: ScenarioContext, system: SystemName): Promise<number[]> {
  const { admin, redisUrl, config } = ctx;
  await admin.flush();
  const worker = await startWorkerProcess({ system, redisUrl, concurrency: CONCURRENCY, expected: 0, reportEachCall: true });
  const producer = await PRODUCERS[system](redisUrl);
  const samples: number[] = [];
  try {
    const total = config.latencyWarmupJobs + config.latencyJobs;
    for (let i = 0; i < total; i++) {
      const called = worker.next("call", 30_000);
      await producer.enqueueOne(payloadFor(i));
      const resolvedAt = clock();
      const call = await called;
      if (call.userId !== i) throw new Error(`${system}: expected job ${i}, handler got ${call.userId}`);
      if (i >= config.latencyWarmupJobs) samples.push(call.at - resolvedAt);
      await new Promise((resolve) => setTimeout(resolve, config.latencyGapMs));
    }
  } finally {
    await producer.close();
    await worker.stop();
  }
  return samples;
}

export async function runLatency(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config } = ctx;
  const label = `${config.latencyJobs.toLocaleString("en")} sequential jobs, ${config.latencyGapMs} ms apart`;
  const p50 = figure("latency.p50", "4. Pickup latency", `p50, ${label}`, "ms", "lower");
  const p99 = figure("latency.p99", "4. Pickup latency", `p99, ${label}`, "ms", "lower");
  for (let run = 0; run < config.runs; run++) {
    for (const system of SYSTEMS) {
      const samples = await latencies(ctx, system);
      addSample(p50, system, percentile(samples, 50));
      addSample(p99, system, percentile(samples, 99));
      ctx.log(
        `latency run ${run + 1}/${config.runs} ${LABEL[system]}: p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms`,
      );
    }
  }
  return {
    figures: [p50, p99],
    notes: [
      `Pickup latency: worker concurrency ${CONCURRENCY}; the first ${config.latencyWarmupJobs} jobs of each run are a warm-up and not counted. A negative sample would mean the handler ran before the producer saw its reply.`,
    ],
  };
}
