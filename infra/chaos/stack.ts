/**
 * The stack every chaos scenario runs against, started once per run and reset between scenarios:
 *   redis-server (AOF, appendfsync always: restarted on the same data after a SIGKILL)
 *     ← the local Upstash REST endpoint (in this process)
 *       ← the edge in workerd (wrangler's `unstable_startWorker`, the runtime and bundling of `wrangler dev`)
 * plus an ioredis client for the checks. Workers are started by each scenario (fleet.ts), directly on Redis or
 * through a TCP proxy.
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { Redis } from "ioredis";
import { unstable_startWorker } from "wrangler";
import { startRedisServer, type RedisServerHandle } from "../runtime/redis-server";
import { startUpstashLocal, type UpstashLocal } from "../upstash-local/server";

export interface ChaosStack {
  readonly edgeUrl: string;
  readonly apiKey: string;
  readonly redisServer: RedisServerHandle;
  /** The REST endpoint the edge talks to; `replaceUpstash` swaps in one restarted on the same port. */
  readonly upstash: UpstashLocal;
  readonly upstashToken: string;
  replaceUpstash(next: UpstashLocal): void;
  /** For checks; commands wait while Redis restarts. */
  readonly redis: Redis;
  /** Deletes every key (between scenarios). */
  reset(): Promise<void>;
  /** SIGKILLs redis-server and starts it again on its AOF; resolves once the REST endpoint has reconnected. */
  restartRedis(): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosStack(): Promise<ChaosStack> {
  // Offline and quiet: miniflare would fetch a sample `request.cf` from the internet, wrangler would send metrics.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  process.env.WRANGLER_SEND_METRICS ??= "false";
  const token = randomBytes(16).toString("hex");
  const apiKey = `chaos-${randomBytes(12).toString("hex")}`;
  const redisServer = await startRedisServer({ appendOnly: true });
  let upstash = await startUpstashLocal({ redisUrl: redisServer.url, token });
  const redis = new Redis(redisServer.url, { protocol: 2, maxRetriesPerRequest: null });
  redis.on("error", () => {}); // Redis is killed on purpose
  const vars: Record<string, string> = {
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: token,
    API_KEYS: apiKey,
    RATE_LIMIT: "off",
  };
  const edge = await unstable_startWorker({
    config: resolve(import.meta.dirname, "../../wrangler.toml"),
    envFiles: [],
    bindings: Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: "plain_text", value }])),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false, watch: false, logLevel: "none" },
  });
  await edge.ready;
  const edgeUrl = (await edge.url).origin;

  return {
    edgeUrl,
    apiKey,
    redisServer,
    get upstash() {
      return upstash;
    },
    upstashToken: token,
    replaceUpstash(next) {
      upstash = next;
    },
    redis,
    async reset() {
      await redis.flushall();
    },
    async restartRedis() {
      await redisServer.kill();
      await redisServer.start();
      await Promise.all([upstash.redisReady(), redis.ping()]);
    },
    async stop() {
      await edge.dispose();
      redis.disconnect();
      await upstash.close();
      await redisServer.stop();
    },
  };
}
