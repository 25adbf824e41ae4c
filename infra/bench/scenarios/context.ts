/** What every scenario gets: the config, the benchmark's Redis and a way to say what it is doing. */
import type { BenchConfig } from "../config";
import type { RedisAdmin } from "../redis-admin";

export interface ScenarioContext {
  config: BenchConfig;
  redisUrl: string;
  admin: RedisAdmin;
  log(message: string): void;
  /** Starts a throwaway redis-server (scenarios that need several Redis at once); stopped by the runner. */
  extraRedis(): Promise<string>;
}
