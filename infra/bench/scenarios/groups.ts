/**
 * Scenario 10: groups (issue 13 part 2). The production worker (`npm run worker`'s bundle, the noop queue,
 * concurrency 100, one process) drains jobs enqueued into a paused queue (the window starts at the resume, so it
 * holds neither enqueueing nor start-up), in three set-ups, alternated run by run:
 *   fairness     one group of 50,000 jobs enqueued first, then 100 groups of 10: how long after the resume the
 *                small groups' jobs started (p50 / p99 / max), against when the big group's last job started;
 *   throughput   100,000 jobs spread over 1,000 groups vs the same jobs ungrouped: the drain rate ratio;
 *   many groups  100,000 jobs over 20,000 groups: Redis memory per group (used_memory grouped − ungrouped, over
 *                the groups, while every job waits) and the drain rate.
 * Start times are the records' `t` (the claim's clock), read back after the drain.
 */
import { Redis } from "ioredis";
import { noopJob } from "../../../shared/src/jobs/noop";
import { queueKeys } from "../../../shared/src/keys";
import { setPaused } from "../../../shared/src/ops/admin";
import { enqueue, prepareJob, type EnqueueOptions } from "../../../shared/src/ops/enqueue";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { addSample, figure, type ScenarioResult } from "../results";
import { startShippedWorker } from "../shipped-worker";
import type { ScenarioContext } from "./context";

const BATCH = 1_000;
const POLL_MS = 5;
const JOBS = 100_000;
const MANY_GROUPS = 20_000;

export async function runGroups(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config, admin, log } = ctx;
  const redis = new Redis(ctx.redisUrl, { protocol: 2 } as never);
  const runner = ioredisRunner(redis);
  const keys = queueKeys("noop");
  const fig = {
    smallP99: figure("groups-fair-small-p99", "groups", "fairness: p99 start after resume of the 1,000 small-group jobs (50,000-job group ahead)", "ms", "lower"),
    bigLast: figure("groups-fair-big-last", "groups", "fairness: start after resume of the 50,000-job group's last job", "ms", "lower"),
    ungrouped: figure("groups-drain-ungrouped", "groups", "no-op jobs/s drained, ungrouped, concurrency 100", "jobs/s", "higher"),
    grouped: figure("groups-drain-1000", "groups", "no-op jobs/s drained, 1,000 active groups, concurrency 100", "jobs/s", "higher"),
    many: figure("groups-drain-20000", "groups", "no-op jobs/s drained, 20,000 groups of 5, concurrency 100", "jobs/s", "higher"),
    memory: figure("groups-memory-per-group", "groups", "Redis memory per group with waiting jobs (20,000 groups)", "bytes", "lower"),
  };
  const perRun: Record<string, number>[] = [];

  /** Enqueues (paused queue) `count` jobs, item i with options(i); returns their local ids. */
  const fill = async (count: number, options: (i: number) => EnqueueOptions) => {
    const ids: string[] = [];
    for (let done = 0; done < count; done += BATCH) {
      const jobs = await Promise.all(Array.from({ length: Math.min(BATCH, count - done) }, (_, j) => prepareJob(noopJob, {}, options(done + j))));
      await enqueue(runner, keys, jobs);
      ids.push(...jobs.map((job) => job.localId));
    }
    return ids;
  };
  const fresh = async () => {
    await admin.flush();
    await setPaused(runner, keys, true);
    await admin.resetStats();
  };
  /** Resumes and waits for every job to complete; returns the resume time and the drain rate. */
  const drain = async (count: number) => {
    const worker = await startShippedWorker(ctx.redisUrl, { concurrency: 100, env: { WORKER_PROCESSES: "1", WORKER_QUEUES: "noop" } });
    try {
      const resumedAt = Date.now();
      const started = performance.now();
      await setPaused(runner, keys, false);
      while (Number(await redis.hget(keys.stats, "completed")) < count) await new Promise((r) => setTimeout(r, POLL_MS));
      return { resumedAt, perS: count / ((performance.now() - started) / 1_000) };
    } finally {
      await worker.stop();
    }
  };
  const startsOf = async (ids: string[]) => {
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hget(keys.job(id), "t");
    return ((await pipeline.exec()) ?? []).map(([, value]) => Number(value));
  };
  const quantile = (values: number[], q: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  };

  try {
    for (let run = 0; run < config.runs; run += 1) {
      const row: Record<string, number> = { run: run + 1 };
      // Fairness.
      await fresh();
      const big = await fill(50_000, () => ({ group: "big" }));
      const small = await fill(1_000, (i) => ({ group: `small-${i % 100}` }));
      const fair = await drain(51_000);
      const smallWaits = (await startsOf(small)).map((t) => t - fair.resumedAt);
      const bigWaits = (await startsOf(big)).map((t) => t - fair.resumedAt);
      row.smallP50 = quantile(smallWaits, 0.5);
      row.smallP99 = quantile(smallWaits, 0.99);
      row.smallMax = Math.max(...smallWaits);
      row.bigLast = Math.max(...bigWaits);
      addSample(fig.smallP99, "offload", row.smallP99);
      addSample(fig.bigLast, "offload", row.bigLast);
      // Throughput: ungrouped vs 1,000 groups.
      await fresh();
      await fill(JOBS, () => ({}));
      const memoryUngrouped = await admin.usedMemory();
      row.ungrouped = (await drain(JOBS)).perS;
      await fresh();
      await fill(JOBS, (i) => ({ group: `g${i % 1_000}` }));
      row.grouped1000 = (await drain(JOBS)).perS;
      // Many groups.
      await fresh();
      await fill(JOBS, (i) => ({ group: `tenant-${i % MANY_GROUPS}` }));
      row.memoryPerGroup = (await admin.usedMemory() - memoryUngrouped) / MANY_GROUPS;
      row.grouped20000 = (await drain(JOBS)).perS;
      row.leftKeys = (await redis.keys("offload:{noop}:g[srw]:*")).length;
      addSample(fig.ungrouped, "offload", row.ungrouped);
      addSample(fig.grouped, "offload", row.grouped1000);
      addSample(fig.many, "offload", row.grouped20000);
      addSample(fig.memory, "offload", row.memoryPerGroup);
      perRun.push(row);
      log(
        `  run ${run + 1}: fairness: small groups' jobs started p50 ${row.smallP50} ms, p99 ${row.smallP99} ms, max ${row.smallMax} ms ` +
          `after the resume; the big group's last ${row.bigLast} ms. Drain: ungrouped ${Math.round(row.ungrouped).toLocaleString("en")}/s, ` +
          `1,000 groups ${Math.round(row.grouped1000).toLocaleString("en")}/s (${(row.grouped1000 / row.ungrouped).toFixed(2)}×), ` +
          `20,000 groups ${Math.round(row.grouped20000).toLocaleString("en")}/s; ${Math.round(row.memoryPerGroup)} bytes per group; ` +
          `${row.leftKeys} group keys left after the drains`,
      );
    }
  } finally {
    redis.disconnect();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ratio = median(perRun.map((r) => r.grouped1000! / r.ungrouped!));
  return {
    figures: Object.values(fig).map((f) => ({ ...f, ratioAgainst: [] })),
    details: { groups: perRun, ratio },
    notes: [
      `Scenario 10 (groups): production worker bundle, concurrency 100, one process, resume of a paused queue. Fairness: ` +
        `50,000 jobs of one group enqueued before 100 groups of 10. Throughput with 1,000 active groups / ungrouped, median ` +
        `of the pairwise run ratios: ${ratio.toFixed(2)}× (target ≥ 0.7×).`,
    ],
  };
}
