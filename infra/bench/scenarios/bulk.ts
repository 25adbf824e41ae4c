/**
 * Scenario 11: bulk admin operations (issue 11). 100,000 dead letters (10,000 with --quick) replayed with `{ all: true }`, then
 * 100,000 purged, through the same shared operations the admin API, the dashboard and the CLI call. What
 * matters is not the total but that no single script call holds Redis for long (everything else waits while a
 * script runs): each call is timed inside Redis by its slow log — the script's own execution time, no network,
 * no client — and the report gives the median and the slowest call. The protocol suite checks the chunking
 * itself (calls of at most BULK_CHUNK ids); the times live here, because a loaded machine makes any time bound
 * in a test flaky.
 */
import { Redis } from "ioredis";
import { queueKeys } from "../../../shared/src/keys";
import { purgeDead, replayDead } from "../../../shared/src/ops/admin";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { seedDead } from "../../../shared/test/admin-fixtures";
import { addSample, figure, type ScenarioResult } from "../results";
import type { ScenarioContext } from "./context";

/** Script calls quicker than this are not logged; the commands a script runs (a few µs each) stay out of the log. */
const SLOWLOG_THRESHOLD_US = 200;

export async function runBulk(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config, admin, log } = ctx;
  const DEAD_LETTERS = config.mode === "quick" ? 10_000 : 100_000;
  const redis = new Redis(ctx.redisUrl, { protocol: 2 } as never);
  const runner = ioredisRunner(redis);
  const keys = queueKeys("bench-bulk");
  const figures = {
    replayMedian: figure("bulk-replay-median-us", "bulk", "replay all dead: median script call inside Redis", "µs", "lower"),
    replaySlowest: figure("bulk-replay-slowest-us", "bulk", "replay all dead: slowest script call inside Redis", "µs", "lower"),
    purgeMedian: figure("bulk-purge-median-us", "bulk", "purge dead: median script call inside Redis", "µs", "lower"),
    purgeSlowest: figure("bulk-purge-slowest-us", "bulk", "purge dead: slowest script call inside Redis", "µs", "lower"),
  };
  const perRun: { replay: number[]; purge: number[] }[] = [];
  try {
    for (let run = 0; run < config.runs; run += 1) {
      await admin.flush();
      await seedDead(redis, keys, "r", DEAD_LETTERS, Date.now() - DEAD_LETTERS);
      const replay = await scriptMicros(redis, () => replayDead(runner, keys, { all: true }));
      await seedDead(redis, keys, "p", DEAD_LETTERS, Date.now() - DEAD_LETTERS);
      const purge = await scriptMicros(redis, () => purgeDead(runner, keys));
      perRun.push({ replay, purge });
      addSample(figures.replayMedian, "offload", median(replay));
      addSample(figures.replaySlowest, "offload", Math.max(...replay));
      addSample(figures.purgeMedian, "offload", median(purge));
      addSample(figures.purgeSlowest, "offload", Math.max(...purge));
      log(
        `  run ${run + 1}: replay ${replay.length} calls, median ${median(replay)} µs, slowest ${Math.max(...replay)} µs; ` +
          `purge ${purge.length} calls, median ${median(purge)} µs, slowest ${Math.max(...purge)} µs`,
      );
    }
  } finally {
    redis.disconnect();
  }
  return {
    figures: Object.values(figures).map((f) => ({ ...f, ratioAgainst: [] })),
    details: { bulk: perRun.map((r) => ({ replayCalls: r.replay.length, purgeCalls: r.purge.length, ...r })) },
    notes: [
      `Scenario 11 (bulk): ${DEAD_LETTERS.toLocaleString("en")} dead letters replayed (all), then ${DEAD_LETTERS.toLocaleString("en")} ` +
        "purged, through the shared admin operations; every script call timed inside Redis by its slow log (calls under " +
        `${SLOWLOG_THRESHOLD_US} µs are not logged).`,
    ],
  };
}

function median(values: number[]): number {
  return values.length === 0 ? 0 : [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** How long each script call `work` made took inside Redis (µs, in call order), from the slow log. */
async function scriptMicros(redis: Redis, work: () => Promise<unknown>): Promise<number[]> {
  const [, threshold] = (await redis.config("GET", "slowlog-log-slower-than")) as [string, string];
  const [, length] = (await redis.config("GET", "slowlog-max-len")) as [string, string];
  await redis.config("SET", "slowlog-log-slower-than", String(SLOWLOG_THRESHOLD_US));
  await redis.config("SET", "slowlog-max-len", "10000");
  await redis.slowlog("RESET");
  try {
    await work();
    const entries = (await redis.slowlog("GET", -1)) as [number, number, number, string[]][];
    return entries
      .filter(([, , , args]) => /^eval/i.test(String(args[0])))
      .reverse()
      .map(([, , micros]) => Number(micros));
  } finally {
    await redis.config("SET", "slowlog-log-slower-than", threshold);
    await redis.config("SET", "slowlog-max-len", length);
  }
}
