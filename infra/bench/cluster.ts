/**
 * `npx tsx infra/bench/cluster.ts [--jobs=2000] [--runs=2]`: ten queues on one Redis and on a 3-master Redis
 * Cluster (infra/test/redis-cluster.ts), same machine, same worker process (the real createWorker through the
 * test fixture, concurrency 100, no-op jobs, nothing recorded per job). Per run and target: every queue is
 * filled while paused, the worker started and ready, command counters reset, all queues resumed at once; the
 * window ends when every job is completed. Reports aggregate jobs/s and the Redis commands each shard served
 * (is the load spread?). Targets alternate run by run, so machine load hits both alike.
 *
 * Stand-alone (not part of `npm run bench`'s report): the figures go into the README's Scaling section by hand.
 */
import { Cluster, Redis } from "ioredis";
import { keySlot } from "../../shared/src/key-slot";
import { queueKeys, type QueueKeys } from "../../shared/src/keys";
import { setPaused } from "../../shared/src/ops/admin";
import { enqueue, prepareJob } from "../../shared/src/ops/enqueue";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { startRedisServer } from "../runtime/redis-server";
import { startRedisCluster } from "../test/redis-cluster";
import { forkWorker } from "../../worker/test/support/index";
import { workJobNamed } from "../../worker/test/fixtures/test-jobs";

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const JOBS_PER_QUEUE = arg("jobs", 2_000);
const RUNS = arg("runs", 2);
const QUEUES = 10;
const BATCH = 1_000;

const single = await startRedisServer();
const cluster = await startRedisCluster();
const masters = (await cluster.masters()).map(({ node, slots }) => ({ node, slots }));
// Ten names spread round-robin over the three masters (on one Redis the same names).
const names: string[] = [];
for (let i = 0; names.length < QUEUES; i++) {
  const slot = keySlot(`{bq${i}}`);
  const owner = masters.findIndex(({ slots }) => slots.some(([a, b]) => slot >= a && slot <= b));
  if (owner === names.length % masters.length) names.push(`bq${i}`);
}
const keys: QueueKeys[] = names.map((name) => queueKeys(name, "bench"));

const singleClient = new Redis(single.url, { protocol: 2 });
const clusterClient = new Cluster(cluster.seeds, { redisOptions: { protocol: 2 } });
const shardConnections = masters.map(({ node }) => new Redis(node.port, "127.0.0.1", { protocol: 2 }));

/** Commands a shard served since RESETSTAT, and the µs it spent in them (scripts count once, as EVALSHA). */
async function commandCalls(redis: Redis): Promise<{ calls: number; usec: number }> {
  const info = await redis.info("commandstats");
  let calls = 0;
  let usec = 0;
  for (const match of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/gm)) {
    if (["info", "config"].includes(match[1]!)) continue;
    calls += Number(match[2]);
    usec += Number(match[3]);
  }
  return { calls, usec };
}

type Shard = { calls: number; usec: number };
async function runOnce(target: "one Redis" | "cluster"): Promise<{ jobsPerS: number; perShard: Shard[] }> {
  const isCluster = target === "cluster";
  const client = isCluster ? clusterClient : singleClient;
  const shards = isCluster ? shardConnections : [singleClient];
  for (const shard of shards) await shard.flushall();
  const runner = ioredisRunner(client);
  for (const k of keys) {
    await setPaused(runner, k, true);
    const definition = workJobNamed(k.queue);
    for (let done = 0; done < JOBS_PER_QUEUE; done += BATCH) {
      const jobs = await Promise.all(Array.from({ length: Math.min(BATCH, JOBS_PER_QUEUE - done) }, () => prepareJob(definition, {})));
      await enqueue(runner, k, jobs);
    }
  }
  const worker = await forkWorker({
    REDIS_URL: isCluster ? cluster.url : single.url,
    REDIS_CLUSTER: String(isCluster),
    RECORD_EXECUTIONS: "false",
    REDIS_PREFIX: "bench",
    WORK_QUEUES: names.join(","),
    WORKER_CONCURRENCY: "100",
    LEASE_MS: "30000",
  });
  try {
    for (const shard of shards) await shard.config("RESETSTAT");
    const started = performance.now();
    await Promise.all(keys.map((k) => setPaused(runner, k, false)));
    const total = JOBS_PER_QUEUE * QUEUES;
    for (;;) {
      const counts = await Promise.all(keys.map(async (k) => Number(await client.hget(k.stats, "completed"))));
      if (counts.reduce((a, b) => a + b, 0) >= total) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const jobsPerS = total / ((performance.now() - started) / 1_000);
    const perShard = await Promise.all(shards.map(commandCalls));
    return { jobsPerS, perShard };
  } finally {
    worker.process.kill("SIGTERM");
    await worker.exited();
  }
}

const results: Record<string, { jobsPerS: number; perShard: Shard[] }[]> = { "one Redis": [], cluster: [] };
for (let run = 0; run < RUNS; run++) {
  for (const target of ["one Redis", "cluster"] as const) {
    const result = await runOnce(target);
    results[target]!.push(result);
    console.log(
      `run ${run + 1} ${target}: ${Math.round(result.jobsPerS).toLocaleString("en")} jobs/s; commands per shard: ` +
        `${result.perShard.map((shard) => shard.calls.toLocaleString("en")).join(" / ")}; Redis µs in commands per job: ` +
        `${(result.perShard.reduce((sum, shard) => sum + shard.usec, 0) / (JOBS_PER_QUEUE * QUEUES)).toFixed(2)}`,
    );
  }
}
for (const [target, runs] of Object.entries(results)) {
  const rates = runs.map((r) => r.jobsPerS).sort((a, b) => a - b);
  console.log(`${target}: median ${Math.round(rates[Math.floor(rates.length / 2)]!).toLocaleString("en")} jobs/s over ${runs.length} runs`);
}

singleClient.disconnect();
clusterClient.disconnect();
for (const shard of shardConnections) shard.disconnect();
await cluster.stop();
await single.stop();
