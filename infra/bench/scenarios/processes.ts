/**
 * Scenario 8: one machine's cores (issue 15, item 0). The production worker (`npm run worker`'s bundle, the
 * noop queue, concurrency 100) with WORKER_PROCESSES=1 and =2, alternated run by run, each draining the same
 * number of pre-enqueued no-op jobs. The jobs are enqueued into a paused queue and the workers started (and
 * ready: one "worker started" per process) before the queue is resumed, so the window — resume → the stats
 * hash counts every job completed — holds neither enqueueing nor start-up. Completion is read by polling
 * `{q}:stats` every 5 ms from the benchmark (a few hundred cheap HGETs per second: noise, not load).
 *
 * On a 2-core machine two worker processes share the cores with redis-server itself, so the gain is bounded
 * by what Redis leaves over; on a bigger machine the ratio is the one to expect per added core until Redis
 * (single-threaded) is the limit.
 */
import { Redis } from "ioredis";
import { noopJob } from "../../../shared/src/jobs/noop";
import { queueKeys } from "../../../shared/src/keys";
import { setPaused } from "../../../shared/src/ops/admin";
import { enqueue, prepareJob } from "../../../shared/src/ops/enqueue";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { addSample, figure, type ScenarioResult } from "../results";
import { startShippedWorker } from "../shipped-worker";
import type { ScenarioContext } from "./context";

const PROCESS_COUNTS = [1, 2] as const;
const BATCH = 1_000;
const POLL_MS = 5;

export async function runProcesses(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config, admin, log } = ctx;
  const n = config.processesJobs;
  const redis = new Redis(ctx.redisUrl, { protocol: 2 } as never);
  const runner = ioredisRunner(redis);
  const keys = queueKeys("noop");
  const figures = PROCESS_COUNTS.map((count) =>
    figure(`processes-${count}`, "processes", `no-op jobs/s, production worker, WORKER_PROCESSES=${count}`, "jobs/s", "higher"),
  );
  const perRun: { processes: number; jobsPerS: number }[] = [];
  try {
    for (let run = 0; run < config.runs; run += 1) {
      for (const [i, count] of PROCESS_COUNTS.entries()) {
        await admin.flush();
        await setPaused(runner, keys, true);
        for (let done = 0; done < n; done += BATCH) {
          const jobs = await Promise.all(Array.from({ length: Math.min(BATCH, n - done) }, () => prepareJob(noopJob, {})));
          await enqueue(runner, keys, jobs);
        }
        const worker = await startShippedWorker(ctx.redisUrl, {
          concurrency: 100,
          env: { WORKER_PROCESSES: String(count), WORKER_QUEUES: "noop" },
          readyLines: count,
        });
        try {
          const started = performance.now();
          await setPaused(runner, keys, false);
          while (Number(await redis.hget(keys.stats, "completed")) < n) await new Promise((r) => setTimeout(r, POLL_MS));
          const jobsPerS = n / ((performance.now() - started) / 1_000);
          addSample(figures[i]!, "offload", jobsPerS);
          perRun.push({ processes: count, jobsPerS });
          log(`  run ${run + 1}: WORKER_PROCESSES=${count}: ${Math.round(jobsPerS).toLocaleString("en")} jobs/s`);
        } finally {
          await worker.stop();
        }
      }
    }
  } finally {
    redis.disconnect();
  }
  return {
    figures: figures.map((f) => ({ ...f, ratioAgainst: [] })),
    details: { processes: perRun, jobs: n },
    notes: [
      `Scenario 8 (processes): ${n.toLocaleString("en")} no-op jobs per run, production worker bundle, concurrency 100 per process; ` +
        "resume of a paused queue → all completed. Two processes share this machine's 2 cores with redis-server.",
    ],
  };
}
