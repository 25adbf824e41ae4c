/**
 * The script runners the protocol conformance suite runs through: ioredis over TCP (the worker's path) and
 * @upstash/redis over the local REST endpoint (the edge's path), both against the same real redis-server, and
 * ioredis `Cluster` against a real 3-master Redis Cluster of its own (infra/test/redis-cluster.ts).
 */
import { Cluster, Redis } from "ioredis";
import { Redis as UpstashRedis } from "@upstash/redis";
import { ioredisRunner } from "../src/runners/ioredis-runner";
import { upstashRunner } from "../src/runners/upstash-runner";
import type { ScriptRunner } from "../src/script-runner";
import { startUpstashLocal } from "../../infra/upstash-local/server";
import { startRedisCluster } from "../../infra/test/redis-cluster";

export interface RunnerHandle {
  runner: ScriptRunner;
  /**
   * For a runner with Redis of its own (the cluster): a plain connection to, and the URL of, the node that owns
   * this key's slot, so a case inspecting keys "directly" looks where the script wrote. Absent: the shared server.
   */
  nodeFor?(key: string): Promise<{ direct: Redis; url: string }>;
  close(): Promise<void>;
}

export type RunnerFactory = (redisUrl: string) => Promise<RunnerHandle>;

export const RUNNERS: Record<string, RunnerFactory> = {
  ioredis: async (redisUrl) => {
    const redis = new Redis(redisUrl, { protocol: 2 });
    return { runner: ioredisRunner(redis), close: async () => void redis.disconnect() };
  },
  upstash: async (redisUrl) => {
    const token = "conformance-token";
    const rest = await startUpstashLocal({ redisUrl, token, port: 0 });
    const client = new UpstashRedis({ url: rest.url, token, automaticDeserialization: false });
    return { runner: upstashRunner(client), close: () => rest.close() };
  },
  cluster: async () => {
    const cluster = await startRedisCluster();
    const client = new Cluster(cluster.seeds, { redisOptions: { protocol: 2 } });
    return {
      runner: ioredisRunner(client),
      async nodeFor(key) {
        const direct = await cluster.masterFor(key);
        return { direct, url: `redis://127.0.0.1:${direct.options.port}` };
      },
      async close() {
        client.disconnect();
        await cluster.stop();
      },
    };
  },
};
