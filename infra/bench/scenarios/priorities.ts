/**
 * Scenario 10: priorities (issue 12). The same number of no-op jobs drained by the production worker (`npm run
 * worker`'s bundle, the noop queue, concurrency 100, one process), once all at the default priority (every job
 * in the wait list, the path a queue without priorities takes) and once with mixed priorities (each job a
 * random priority 1-10, so 9 in 10 of them wait in the priority zset and every claim merges the two), alternated
 * run by run. As in scenario 8 the jobs are enqueued into a paused queue and the worker is ready before the
 * resume, so the drain window (resume → the stats hash counts every job completed) holds neither enqueueing nor
 * start-up; the enqueue of the batches (1,000 jobs a call) is timed on its own. The figure the issue asks for is
 * the ratio mixed / default (target ≥ 0.8).
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

const MODES = ["default", "mixed"] as const;
const BATCH = 1_000;
const POLL_MS = 5;

export async function runPriorities(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config, admin, log } = ctx;
  const n = config.processesJobs;
  const redis = new Redis(ctx.redisUrl, { protocol: 2 } as never);
  const runner = ioredisRunner(redis);
  const keys = queueKeys("noop");
  const drain = MODES.map((mode) =>
    figure(`priorities-drain-${mode}`, "priorities", `no-op jobs/s drained, production worker, ${mode} priorities`, "jobs/s", "higher"),
  );
  const enqueueFigures = MODES.map((mode) =>
    figure(`priorities-enqueue-${mode}`, "priorities", `jobs/s enqueued in batches of ${BATCH}, ${mode} priorities`, "jobs/s", "higher"),
  );
  const scriptFigures = MODES.map((mode) =>
    figure(`priorities-script-us-${mode}`, "priorities", `Redis script µs per job drained (claim + settle), ${mode} priorities`, "µs", "lower"),
  );
  const perRun: {
    mode: string;
    drainPerS: number;
    enqueuePerS: number;
    enqueueScriptUs: number;
    scriptUsPerJob: number;
    commandsPerJob: number;
  }[] = [];
  try {
    for (let run = 0; run < config.runs; run += 1) {
      for (const [i, mode] of MODES.entries()) {
        await admin.flush();
        await setPaused(runner, keys, true);
        await admin.resetStats();
        const enqueueStarted = performance.now();
        for (let done = 0; done < n; done += BATCH) {
          const jobs = await Promise.all(
            Array.from({ length: Math.min(BATCH, n - done) }, () =>
              prepareJob(noopJob, {}, mode === "mixed" ? { priority: 1 + Math.floor(Math.random() * 10) } : {}),
            ),
          );
          await enqueue(runner, keys, jobs);
        }
        const enqueuePerS = n / ((performance.now() - enqueueStarted) / 1_000);
        const enqueueScriptUs = (await admin.scriptUsec()) / n;
        const worker = await startShippedWorker(ctx.redisUrl, { concurrency: 100, env: { WORKER_PROCESSES: "1", WORKER_QUEUES: "noop" } });
        try {
          await admin.resetStats();
          const started = performance.now();
          await setPaused(runner, keys, false);
          while (Number(await redis.hget(keys.stats, "completed")) < n) await new Promise((r) => setTimeout(r, POLL_MS));
          const drainPerS = n / ((performance.now() - started) / 1_000);
          // What Redis did for the drain, independent of how busy the machine is: script time and the commands
          // the scripts ran (our own polling HGETs and the script calls themselves left out).
          const scriptUsPerJob = (await admin.scriptUsec()) / n;
          const stats = await admin.commandStats();
          const commandsPerJob =
            Object.entries(stats)
              .filter(([name]) => !["eval", "evalsha", "hget", "resume"].includes(name))
              .reduce((sum, [, calls]) => sum + calls, 0) / n;
          addSample(scriptFigures[i]!, "offload", scriptUsPerJob);
          addSample(drain[i]!, "offload", drainPerS);
          addSample(enqueueFigures[i]!, "offload", enqueuePerS);
          perRun.push({ mode, drainPerS, enqueuePerS, enqueueScriptUs, scriptUsPerJob, commandsPerJob });
          log(
            `  run ${run + 1}: ${mode}: drained ${Math.round(drainPerS).toLocaleString("en")} jobs/s, ` +
              `enqueued ${Math.round(enqueuePerS).toLocaleString("en")} jobs/s (${enqueueScriptUs.toFixed(2)} script µs a job), ` +
              `${scriptUsPerJob.toFixed(2)} script µs and ${commandsPerJob.toFixed(2)} commands per job drained`,
          );
        } finally {
          await worker.stop();
        }
      }
    }
  } finally {
    redis.disconnect();
  }
  const ratios = perRun
    .filter((r) => r.mode === "mixed")
    .map((mixed, run) => ({
      drain: mixed.drainPerS / perRun[run * 2]!.drainPerS,
      enqueue: mixed.enqueuePerS / perRun[run * 2]!.enqueuePerS,
      scriptCost: perRun[run * 2]!.scriptUsPerJob / mixed.scriptUsPerJob,
    }));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const drainRatio = median(ratios.map((r) => r.drain));
  const enqueueRatio = median(ratios.map((r) => r.enqueue));
  const scriptRatio = median(ratios.map((r) => r.scriptCost));
  log(
    `  mixed / default: drain ${drainRatio.toFixed(2)}×, enqueue ${enqueueRatio.toFixed(2)}×, ` +
      `Redis script time per job ${scriptRatio.toFixed(2)}× as cheap (median of ${ratios.length} runs)`,
  );
  return {
    figures: [...drain, ...enqueueFigures, ...scriptFigures].map((f) => ({ ...f, ratioAgainst: [] })),
    details: { priorities: perRun, ratios, drainRatio, enqueueRatio, scriptRatio, jobs: n },
    notes: [
      `Scenario 10 (priorities): ${n.toLocaleString("en")} no-op jobs per run, production worker bundle, concurrency 100, one ` +
        "process; resume of a paused queue → all completed, default priority vs a random priority 1-10 per job. " +
        `Mixed / default, median of the pairwise run ratios: drain ${drainRatio.toFixed(2)}×, enqueue ${enqueueRatio.toFixed(2)}× ` +
        `(target ≥ 0.8×); Redis script time per drained job: default / mixed = ${scriptRatio.toFixed(2)}× (less sensitive to a busy machine).`,
    ],
  };
}
