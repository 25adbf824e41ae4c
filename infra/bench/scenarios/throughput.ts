/**
 * Scenarios 1 and 3 on the same jobs: N no-op jobs are enqueued in batches with no worker running (Redis memory
 * per waiting job = used_memory delta / N, producer disconnected), then one worker process drains them; the
 * time is from the first handler call to the moment the last completion has landed in Redis.
 */
import { LABEL, PAYLOAD, SYSTEMS, type SystemName } from "../bench-job";
import { addSample, figure, type ScenarioResult } from "../results";
import { PRODUCERS } from "../systems/index";
import { startWorkerProcess } from "../worker-process";
import type { ScenarioContext } from "./context";

export interface DrainResult {
  jobsPerSecond: number;
  bytesPerWaitingJob: number;
}

/** Enqueues `jobs`, drains them with one worker process at `concurrency`, checks every one completed. */
export async function drainOnce(
  ctx: ScenarioContext,
  system: SystemName,
  jobs: number,
  concurrency: number,
): Promise<DrainResult> {
  const { admin, redisUrl, config } = ctx;
  // Warm-up: the system's scripts are loaded into Redis's script cache before the baseline is taken, so their
  // memory is not charged to the jobs.
  const warm = await PRODUCERS[system](redisUrl);
  await warm.enqueueBatch([PAYLOAD]);
  await warm.close();
  await admin.flush();
  await admin.untilClients(1);
  const before = await admin.usedMemory();
  const producer = await PRODUCERS[system](redisUrl);
  for (let done = 0; done < jobs; done += config.batchSize) {
    await producer.enqueueBatch(new Array(Math.min(config.batchSize, jobs - done)).fill(PAYLOAD));
  }
  await producer.close();
  await admin.untilClients(1);
  const after = await admin.usedMemory();

  const worker = await startWorkerProcess({ system, redisUrl, concurrency, expected: jobs, reportEachCall: false });
  try {
    const [first, done] = await Promise.all([worker.next("first"), worker.next("done")]);
    const checker = await PRODUCERS[system](redisUrl);
    const counts = await checker.counts();
    await checker.close();
    if (counts.completed !== jobs || counts.waiting !== 0) {
      throw new Error(`${system}: ${counts.completed} of ${jobs} completed, ${counts.waiting} still waiting`);
    }
    return { jobsPerSecond: (jobs * 1_000) / (done.at - first.at), bytesPerWaitingJob: (after - before) / jobs };
  } finally {
    await worker.stop();
  }
}

export async function runThroughput(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config } = ctx;
  const n = config.throughputJobs;
  const throughput = config.concurrencies.map((c) =>
    figure(`throughput.c${c}`, "1. Worker throughput", `${n.toLocaleString("en")} jobs, concurrency ${c}`, "jobs/s", "higher"),
  );
  const memory = figure("memory.waiting", "3. Redis memory per waiting job", `${n.toLocaleString("en")} jobs (each drain's enqueue)`, "bytes", "lower");
  for (let run = 0; run < config.runs; run++) {
    for (const [ci, concurrency] of config.concurrencies.entries()) {
      for (const system of SYSTEMS) {
        const result = await drainOnce(ctx, system, n, concurrency);
        addSample(throughput[ci]!, system, result.jobsPerSecond);
        // Every drain starts from a fresh enqueue of the same jobs: one memory sample each.
        addSample(memory, system, result.bytesPerWaitingJob);
        ctx.log(
          `throughput run ${run + 1}/${config.runs} c=${concurrency} ${LABEL[system]}: ${result.jobsPerSecond.toFixed(0)} jobs/s, ` +
            `${result.bytesPerWaitingJob.toFixed(0)} B/waiting job`,
        );
      }
    }
  }
  return { figures: [...throughput, memory] };
}
