import { Redis } from "ioredis";
import { startRedisServer } from "/work/h1/infra/runtime/redis-server.ts";
import { noopJob } from "/work/h1/shared/src/jobs/noop.ts";
import { queueKeys } from "/work/h1/shared/src/keys.ts";
import { enqueue, prepareJob } from "/work/h1/shared/src/ops/enqueue.ts";
import { ioredisRunner } from "/work/h1/shared/src/runners/ioredis-runner.ts";
const server = await startRedisServer();
const redis = new Redis(server.url);
const runner = ioredisRunner(redis);
const keys = queueKeys("noop");
const usec = async () => { const info = await redis.info("commandstats"); const m = /cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(info); return Number(m?.[1] ?? 0); };
for (const mode of ["default", "mixed", "fixed3", "default", "mixed", "fixed3"]) {
  await redis.flushall(); await redis.config("RESETSTAT");
  for (let b = 0; b < 50; b++) {
    const jobs = await Promise.all(Array.from({ length: 1000 }, () => prepareJob(noopJob, {}, mode === "mixed" ? { priority: 1 + Math.floor(Math.random() * 10) } : mode === "fixed3" ? { priority: 3 } : {})));
    await enqueue(runner, keys, jobs);
  }
  console.log(mode, ((await usec()) / 50000).toFixed(2), "µs/job");
}
redis.disconnect(); await server.stop();
