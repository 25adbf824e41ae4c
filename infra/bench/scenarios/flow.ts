/**
 * Scenario 9: flow control (issue 13). The production worker (`npm run worker`'s bundle, the noop queue,
 * concurrency 100) under limits set with the runtime override (set_limits, as `PUT …/limits` does):
 *
 *   overhead   no-op jobs/s with no limit, with a concurrency limit that never binds (100,000: the gate counts
 *              every worker's in-flight list on each claim) and with a rate limit that never binds
 *              (1,000,000/1s: the sliding log of starts), alternated run by run. Jobs are enqueued into a paused
 *              queue and the worker is ready before the resume, so the window (resume → every job completed)
 *              holds neither enqueueing nor start-up. Also the Redis time in scripts per job over that window
 *              (INFO commandstats usec of EVALSHA), which a shared machine's noise moves much less than jobs/s.
 *   accuracy   4 worker processes (WORKER_PROCESSES=4) draining a backlog under 200/1s: the achieved rate over
 *              the run (starts / (last start − first start + 1 s)), the busiest 1-second window of starts and
 *              the script calls and gate waits per job (INFO commandstats: a gated queue that polled would show
 *              here). Start times are the records' startedAt, the claim's clock.
 */
import { Redis } from "ioredis";
import { parseRate } from "../../../shared/src/flow/limits";
import { noopJob } from "../../../shared/src/jobs/noop";
import { FIELD } from "../../../shared/src/record";
import { queueKeys } from "../../../shared/src/keys";
import { setLimits, setPaused } from "../../../shared/src/ops/admin";
import { enqueue, prepareJob } from "../../../shared/src/ops/enqueue";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { addSample, figure, type ScenarioResult } from "../results";
import { startShippedWorker } from "../shipped-worker";
import type { ScenarioContext } from "./context";

const BATCH = 1_000;
const POLL_MS = 5;
const NO_DEFINITION_LIMITS = { rateLimit: null, concurrency: null };
const VARIANTS = [
  { id: "none", label: "no limit", limits: {} },
  { id: "concurrency", label: "concurrency 100,000 (never binds)", limits: { concurrency: 100_000 } },
  { id: "rate", label: "rate 1,000,000/1s (never binds)", limits: { rate: "1000000/1s" } },
] as const;
const ACCURACY_RATE = "200/1s";

export async function runFlow(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config, admin, log } = ctx;
  const n = config.processesJobs / 2;
  const redis = new Redis(ctx.redisUrl, { protocol: 2 } as never);
  const runner = ioredisRunner(redis);
  const keys = queueKeys("noop");
  const fill = async (count: number) => {
    for (let done = 0; done < count; done += BATCH) {
      const jobs = await Promise.all(Array.from({ length: Math.min(BATCH, count - done) }, () => prepareJob(noopJob, {})));
      await enqueue(runner, keys, jobs);
    }
  };
  const limitsOf = (limits: { concurrency?: number; rate?: string }) => ({
    concurrency: limits.concurrency ?? null,
    rate: limits.rate ? (parseRate(limits.rate) as Exclude<ReturnType<typeof parseRate>, string>) : null,
  });
  const figures = VARIANTS.map((v) => figure(`flow-${v.id}`, "flow", `no-op jobs/s, production worker, ${v.label}`, "jobs/s", "higher"));
  const scriptFigures = VARIANTS.map((v) => figure(`flow-${v.id}-script-us`, "flow", `Redis time in scripts per job, ${v.label}`, "µs", "lower"));
  const accuracyFigures = {
    rate: figure("flow-rate-achieved", "flow", `achieved rate under ${ACCURACY_RATE}, 4 processes`, "jobs/s", "higher"),
    busiest: figure("flow-rate-busiest", "flow", `busiest 1-second window of starts under ${ACCURACY_RATE}`, "jobs", "lower"),
    gateWaits: figure("flow-rate-gate-waits", "flow", `gate waits (BLPOP) per job under ${ACCURACY_RATE}, 4 processes`, "calls", "lower"),
    scripts: figure("flow-rate-scripts", "flow", `script calls per job (claim, settle, tick) under ${ACCURACY_RATE}, 4 processes`, "calls", "lower"),
  };
  const perRun: Record<string, unknown>[] = [];
  try {
    for (let run = 0; run < config.runs; run += 1) {
      for (const [i, variant] of VARIANTS.entries()) {
        await admin.flush();
        await setPaused(runner, keys, true);
        await setLimits(runner, keys, NO_DEFINITION_LIMITS, limitsOf(variant.limits));
        await fill(n);
        const worker = await startShippedWorker(ctx.redisUrl, { concurrency: 100, env: { WORKER_QUEUES: "noop" } });
        try {
          await redis.config("RESETSTAT");
          const started = performance.now();
          await setPaused(runner, keys, false);
          while (Number(await redis.hget(keys.stats, "completed")) < n) await new Promise((r) => setTimeout(r, POLL_MS));
          const jobsPerS = n / ((performance.now() - started) / 1_000);
          const scriptUs = (await scriptStats(redis)).usec / n;
          addSample(figures[i]!, "offload", jobsPerS);
          addSample(scriptFigures[i]!, "offload", scriptUs);
          perRun.push({ run, variant: variant.id, jobsPerS, scriptUsPerJob: scriptUs });
          log(`  run ${run + 1}: ${variant.label}: ${Math.round(jobsPerS).toLocaleString("en")} jobs/s, ${scriptUs.toFixed(2)} µs in scripts per job`);
        } finally {
          await worker.stop();
        }
      }
      // Accuracy: seconds × the limit, plus a backlog so the limit, not the supply, is what binds.
      const total = (config.mode === "quick" ? 3 : 30) * 200;
      await admin.flush();
      await setPaused(runner, keys, true);
      await setLimits(runner, keys, NO_DEFINITION_LIMITS, limitsOf({ rate: ACCURACY_RATE }));
      await fill(total);
      const worker = await startShippedWorker(ctx.redisUrl, { concurrency: 100, env: { WORKER_QUEUES: "noop", WORKER_PROCESSES: "4" }, readyLines: 4 });
      try {
        await redis.config("RESETSTAT");
        await setPaused(runner, keys, false);
        while (Number(await redis.hget(keys.stats, "completed")) < total) await new Promise((r) => setTimeout(r, 50));
        const { scripts, gateWaits } = await scriptStats(redis);
        const starts = await startTimes(redis, keys.jobPrefix, keys.completed);
        // Over whole seconds from the first start (the limit lets a window's worth through at its start).
        const seconds = Math.floor((starts.at(-1)! - starts[0]!) / 1_000);
        const achieved = starts.filter((t) => t < starts[0]! + seconds * 1_000).length / seconds;
        const busiest = busiestWindow(starts, 1_000);
        addSample(accuracyFigures.rate, "offload", achieved);
        addSample(accuracyFigures.busiest, "offload", busiest);
        addSample(accuracyFigures.gateWaits, "offload", gateWaits / total);
        addSample(accuracyFigures.scripts, "offload", scripts / total);
        perRun.push({ run, variant: "accuracy", starts: starts.length, seconds, achieved, busiest, gateWaitsPerJob: gateWaits / total, scriptsPerJob: scripts / total });
        log(
          `  run ${run + 1}: ${ACCURACY_RATE} over 4 processes: ${achieved.toFixed(1)} jobs/s over ${seconds} s, busiest window ${busiest}, ` +
            `${(scripts / total).toFixed(3)} script calls and ${(gateWaits / total).toFixed(3)} gate waits per job`,
        );
      } finally {
        await worker.stop();
      }
    }
  } finally {
    redis.disconnect();
  }
  return {
    figures: [...figures, ...scriptFigures, ...Object.values(accuracyFigures)].map((f) => ({ ...f, ratioAgainst: [] })),
    details: { flow: perRun, jobs: n },
    notes: [
      `Scenario 9 (flow): ${n.toLocaleString("en")} no-op jobs per overhead run, production worker bundle, concurrency 100, ` +
        "limits set with the runtime override; accuracy: 4 worker processes, a backlog of 200 × the run's seconds under 200/1s.",
    ],
  };
}

/**
 * Since RESETSTAT: script calls of every kind (claim, settle, tick; commandstats does not split EVALSHA by
 * script), their time inside Redis (µs, every command they ran included) and BLPOPs on the gate's wake-up list
 * (a worker parking while the gate is closed).
 */
async function scriptStats(redis: Redis): Promise<{ scripts: number; gateWaits: number; usec: number }> {
  const info = await redis.info("commandstats");
  const stat = (command: string, field: string) => Number(new RegExp(`cmdstat_${command}:.*?\\b${field}=(\\d+)`).exec(info)?.[1] ?? 0);
  return {
    scripts: stat("evalsha", "calls") + stat("eval", "calls"),
    gateWaits: stat("blpop", "calls"),
    usec: stat("evalsha", "usec") + stat("eval", "usec"),
  };
}

/** Every completed job's startedAt (ms), ascending. */
async function startTimes(redis: Redis, jobPrefix: string, completedKey: string): Promise<number[]> {
  const ids = await redis.zrange(completedKey, "0", "-1");
  const starts: number[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    const pipeline = redis.pipeline();
    for (const id of ids.slice(i, i + BATCH)) pipeline.hget(jobPrefix + id, FIELD.startedAt);
    for (const [, value] of (await pipeline.exec()) ?? []) starts.push(Number(value));
  }
  return starts.sort((a, b) => a - b);
}

/** The most starts in any window [t, t + ms) that begins at a start. */
function busiestWindow(starts: readonly number[], ms: number): number {
  let busiest = 0;
  let end = 0;
  for (let i = 0; i < starts.length; i++) {
    while (end < starts.length && starts[end]! < starts[i]! + ms) end++;
    busiest = Math.max(busiest, end - i);
  }
  return busiest;
}
