/** What a finding probe is, and the small setup the probes share. */
import { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import { JOBS } from "../../../shared/src/jobs/index";
import { queueKeys, type QueueKeys } from "../../../shared/src/keys";
import { enqueue, prepareJob } from "../../../shared/src/ops/enqueue";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { createWorker, type Worker } from "../../../worker/src/worker";
import { startRedisServer, type RedisServerHandle } from "../../runtime/redis-server";
import { whereabouts } from "../audit";
import { jobId } from "../../../shared/src/ids";

export interface Probe {
  id: string;
  title: string;
  /** Whose code the bug is in. */
  area: "worker" | "protocol" | "edge";
  /** `open`: findings.test.ts runs it as `it.fails`; `fixed`: as a regression test that it stays fixed. */
  status: "open" | "fixed";
  /** The commit that fixed it. */
  fixedBy?: string;
  /** Resolves `reproduced: true` while the bug is there; `evidence` says what was seen either way. */
  run(): Promise<ProbeResult>;
}

export interface ProbeResult {
  reproduced: boolean;
  evidence: string;
}

export interface ProbeRedis {
  server: RedisServerHandle;
  redis: Redis;
  keys: QueueKeys;
  enqueueNoop(data?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function probeRedis(): Promise<ProbeRedis> {
  const server = await startRedisServer();
  const redis = new Redis(server.url, { protocol: 2 });
  const keys = queueKeys("noop");
  return {
    server,
    redis,
    keys,
    async enqueueNoop(data = {}) {
      const job = await prepareJob(JOBS.noop, data);
      await enqueue(ioredisRunner(redis), keys, [job]);
      return job.localId;
    },
    async close() {
      redis.disconnect();
      await server.stop();
    },
  };
}

/** An in-process worker on the noop queue whose handler counts runs per job id; logs kept for inspection. */
export function noopWorker(redisUrl: string, options: { concurrency?: number; leaseMs?: number } = {}) {
  const runs = new Map<string, number>();
  const logs: { msg: string; err?: { message?: string } }[] = [];
  const log: Logger = pino({ level: "warn" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const worker: Worker = createWorker({
    redisUrl,
    registry: JOBS,
    handlers: {
      noop: async (_data: unknown, ctx: { jobId: string }) => {
        runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
        return { ok: true };
      },
    },
    queues: ["noop"],
    concurrency: options.concurrency ?? 8,
    leaseMs: options.leaseMs ?? 5_000,
    shutdownGraceMs: 2_000,
    blockSeconds: 5,
    log,
  });
  return { worker, runs, logs };
}

/** Where a job id is: which lists hold it, and its record state. */
export async function whereIs(redis: Redis, keys: QueueKeys, localId: string) {
  const [found] = await whereabouts(redis, [jobId(keys.queue, localId)]);
  return { state: found!.record.s ?? null, lists: found!.lists };
}
