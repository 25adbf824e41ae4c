/**
 * Scenarios 1 and 3 on the same jobs: N no-op jobs are enqueued in batches with no worker running (Redis memory
 * per waiting job = used_memory delta / N, producer disconnected), then one worker process drains them; the
 * time is from the first handler call to the moment the last completion has landed in Redis. Each drain also
 * says what the jobs cost in CPU: the worker process's own CPU time from its first handler call to its last
 * completion, and the Redis server's CPU (INFO cpu) and script time (INFO commandstats) from the worker's start
 * to its last completion, each divided by the number of jobs. The same again with 2 KB and 20 KB payloads.
 */
import { LABEL, PAYLOAD, payloadOfSize, SYSTEMS, type BenchPayload, type SystemName } from "../bench-job";
import { addSample, figure, type Figure, type ScenarioResult } from "../results";
import { PRODUCERS } from "../systems/index";
import { startWorkerProcess } from "../worker-process";
import type { ScenarioContext } from "./context";

export interface DrainResult {
  jobsPerSecond: number;
  bytesPerWaitingJob: number;
  /** The worker process's CPU (user + system, all threads), first handler call → last completion, per job. */
  workerCpuUsPerJob: number;
  /** Redis server CPU (used_cpu_user + used_cpu_sys), worker start → last completion, per job. */
  redisCpuUsPerJob: number;
  /** Redis time inside script calls (commandstats usec of EVAL/EVALSHA/FCALL), same window, per job. */
  redisScriptUsPerJob: number;
}

/** Enqueues `jobs`, drains them with one worker process at `concurrency`, checks every one completed. */
export async function drainOnce(
  ctx: ScenarioContext,
  system: SystemName,
  jobs: number,
  concurrency: number,
  payload: BenchPayload = PAYLOAD,
): Promise<DrainResult> {
  const { admin, redisUrl, config } = ctx;
  // Warm-up: the system's scripts are loaded into Redis's script cache before the baseline is taken, so their
  // memory is not charged to the jobs.
  const warm = await PRODUCERS[system](redisUrl);
  await warm.enqueueBatch([payload]);
  await warm.close();
  await admin.flush();
  await admin.untilClients(1);
  const before = await admin.usedMemory();
  const producer = await PRODUCERS[system](redisUrl);
  for (let done = 0; done < jobs; done += config.batchSize) {
    await producer.enqueueBatch(new Array(Math.min(config.batchSize, jobs - done)).fill(payload));
  }
  await producer.close();
  await admin.untilClients(1);
  const after = await admin.usedMemory();

  await admin.resetStats();
  const redisCpuBefore = await admin.cpuUs();
  const worker = await startWorkerProcess({ system, redisUrl, concurrency, expected: jobs, reportEachCall: false });
  try {
    const [first, done] = await Promise.all([worker.next("first"), worker.next("done")]);
    const redisCpu = (await admin.cpuUs()) - redisCpuBefore;
    const scriptUs = await admin.scriptUsec();
    const checker = await PRODUCERS[system](redisUrl);
    const counts = await checker.counts();
    await checker.close();
    if (counts.completed !== jobs || counts.waiting !== 0) {
      throw new Error(`${system}: ${counts.completed} of ${jobs} completed, ${counts.waiting} still waiting`);
    }
    return {
      jobsPerSecond: (jobs * 1_000) / (done.at - first.at),
      bytesPerWaitingJob: (after - before) / jobs,
      workerCpuUsPerJob: ((done.cpuMs - first.cpuMs) * 1_000) / jobs,
      redisCpuUsPerJob: redisCpu / jobs,
      redisScriptUsPerJob: scriptUs / jobs,
    };
  } finally {
    await worker.stop();
  }
}

/** The CPU figures of one drain configuration (a concurrency, or a payload size). */
function cpuFigures(id: string, what: string) {
  return {
    worker: figure(`cpu.worker.${id}`, "1b. CPU per job", `worker process CPU, ${what}`, "µs/job", "lower"),
    redis: figure(`cpu.redis.${id}`, "1b. CPU per job", `Redis CPU (used_cpu_user+sys), ${what}`, "µs/job", "lower"),
    // bee-queue does most of its work outside scripts: a ratio against its script time would mean nothing.
    script: { ...figure(`cpu.script.${id}`, "1b. CPU per job", `Redis time in scripts (commandstats usec), ${what}`, "µs/job", "lower"), ratioAgainst: ["bullmq" as const] },
  };
}

function record(figures: ReturnType<typeof cpuFigures>, system: SystemName, r: DrainResult): void {
  addSample(figures.worker, system, r.workerCpuUsPerJob);
  addSample(figures.redis, system, r.redisCpuUsPerJob);
  addSample(figures.script, system, r.redisScriptUsPerJob);
}

const sizeLabel = (bytes: number) => (bytes >= 1_024 ? `${bytes / 1_024} KB` : `${bytes} B`);

export async function runThroughput(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config } = ctx;
  const n = config.throughputJobs;
  const throughput = config.concurrencies.map((c) =>
    figure(`throughput.c${c}`, "1. Worker throughput", `${n.toLocaleString("en")} jobs, concurrency ${c}`, "jobs/s", "higher"),
  );
  const memory = figure("memory.waiting", "3. Redis memory per waiting job", `${n.toLocaleString("en")} jobs (each drain's enqueue)`, "bytes", "lower");
  const cpu = config.concurrencies.map((c) => cpuFigures(`c${c}`, `concurrency ${c}`));
  const sized = config.payloadSizes.map(({ bytes, jobs }) => {
    const what = `${sizeLabel(bytes)} payload, ${jobs.toLocaleString("en")} jobs, concurrency ${config.payloadConcurrency}`;
    return {
      bytes,
      jobs,
      payload: payloadOfSize(bytes),
      throughput: figure(`throughput.p${bytes}`, "1. Worker throughput", what, "jobs/s", "higher"),
      memory: figure(`memory.p${bytes}`, "3. Redis memory per waiting job", `${sizeLabel(bytes)} payload, ${jobs.toLocaleString("en")} jobs`, "bytes", "lower"),
      cpu: cpuFigures(`p${bytes}`, `${sizeLabel(bytes)} payload, concurrency ${config.payloadConcurrency}`),
    };
  });
  for (let run = 0; run < config.runs; run++) {
    for (const [ci, concurrency] of config.concurrencies.entries()) {
      for (const system of SYSTEMS) {
        const result = await drainOnce(ctx, system, n, concurrency);
        addSample(throughput[ci]!, system, result.jobsPerSecond);
        // Every drain starts from a fresh enqueue of the same jobs: one memory sample each.
        addSample(memory, system, result.bytesPerWaitingJob);
        record(cpu[ci]!, system, result);
        ctx.log(
          `throughput run ${run + 1}/${config.runs} c=${concurrency} ${LABEL[system]}: ${result.jobsPerSecond.toFixed(0)} jobs/s, ` +
            `${result.bytesPerWaitingJob.toFixed(0)} B/waiting job, worker ${result.workerCpuUsPerJob.toFixed(1)} µs/job, ` +
            `Redis ${result.redisCpuUsPerJob.toFixed(1)} µs/job (${result.redisScriptUsPerJob.toFixed(1)} in scripts)`,
        );
      }
    }
    for (const size of sized) {
      for (const system of SYSTEMS) {
        const result = await drainOnce(ctx, system, size.jobs, config.payloadConcurrency, size.payload);
        addSample(size.throughput, system, result.jobsPerSecond);
        addSample(size.memory, system, result.bytesPerWaitingJob);
        record(size.cpu, system, result);
        ctx.log(
          `throughput run ${run + 1}/${config.runs} ${sizeLabel(size.bytes)} payload ${LABEL[system]}: ${result.jobsPerSecond.toFixed(0)} jobs/s, ` +
            `${result.bytesPerWaitingJob.toFixed(0)} B/waiting job, worker ${result.workerCpuUsPerJob.toFixed(1)} µs/job, Redis ${result.redisCpuUsPerJob.toFixed(1)} µs/job`,
        );
      }
    }
  }
  const cpuRows: Figure[] = [...cpu, ...sized.map((s) => s.cpu)].flatMap((f) => [f.worker, f.redis, f.script]);
  return {
    figures: [...throughput, ...sized.map((s) => s.throughput), memory, ...sized.map((s) => s.memory), ...cpuRows],
    notes: [
      `CPU per job: the worker process's CPU time (process.cpuUsage, all threads) from its first handler call to its last completion; Redis's CPU (INFO cpu used_cpu_user+used_cpu_sys, the whole server) and its time inside script calls (INFO commandstats usec of EVAL/EVALSHA/FCALL, which includes the commands the scripts ran; commands sent outside scripts, such as a blocking pop, are only in the CPU figure) from the worker's start to its last completion; each divided by the number of jobs. Summing every commandstats row instead would count scripted commands twice.`,
      `Payload sizes: the default payload with a \`pad\` string that makes its JSON exactly 2,048 or 20,480 bytes; drained at concurrency ${config.payloadConcurrency}.`,
    ],
  };
}
