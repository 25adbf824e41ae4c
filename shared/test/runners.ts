/**
 * The script runners the protocol conformance suite runs through: ioredis over TCP (the worker's path) and
 * @upstash/redis over the local REST endpoint (the edge's path), both against the same real redis-server.
 */
import { Redis } from "ioredis";
import { Redis as UpstashRedis } from "@upstash/redis";
import { ioredisRunner } from "../src/runners/ioredis-runner";
import { upstashRunner } from "../src/runners/upstash-runner";
import type { ScriptRunner } from "../src/script-runner";
import { startUpstashLocal } from "../../infra/upstash-local/server";

export interface RunnerHandle {
  runner: ScriptRunner;
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
};
