/**
 * What the integration tests of this folder share: a real redis-server of their own, the endpoint in front of
 * it on a free port, a reference ioredis client on the same Redis, and a way to build @upstash/redis clients.
 */
import { Redis as UpstashRedis, type RedisConfigNodejs } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { startRedisServer, type RedisServerHandle } from "../runtime/redis-server";
import { startUpstashLocal, type UpstashLocal, type UpstashLocalOptions } from "./server";

export const TOKEN = "test-token";

export interface Fixture {
  readonly redisServer: RedisServerHandle;
  readonly upstash: UpstashLocal;
  /**
   * Reference client. RESP2, so replies have the same raw shapes Upstash returns. Send raw commands with an
   * upper-case name (`io.call("HGETALL", k)`): ioredis only reshapes replies of lower-case names.
   */
  readonly io: IORedis;
  /** An @upstash/redis client on the endpoint: its defaults (auto-pipelining, base64) unless overridden. */
  client(overrides?: Partial<RedisConfigNodejs>): UpstashRedis;
  /** `fetch` on the endpoint with the token (unless headers say otherwise). */
  request(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * @example
 * const fixture = await startFixture();
 * await fixture.client().set("k", "v");
 * await fixture.stop();
 */
export async function startFixture(options: Partial<UpstashLocalOptions> = {}): Promise<Fixture> {
  const redisServer = await startRedisServer();
  const upstash = await startUpstashLocal({ redisUrl: redisServer.url, token: TOKEN, ...options });
  const io = new IORedis(redisServer.url, { protocol: 2 });
  return {
    redisServer,
    upstash,
    io,
    client: (overrides = {}) => new UpstashRedis({ url: upstash.url, token: TOKEN, ...overrides }),
    request: (path, init = {}) =>
      fetch(`${upstash.url}${path}`, {
        method: "POST",
        ...init,
        headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers as Record<string, string> | undefined) },
      }),
    async stop() {
      io.disconnect();
      await upstash.close();
      await redisServer.stop();
    },
  };
}

/**
 * The `error` of an `{ error }` body.
 *
 * @example
 * expect(await errorOf(await fixture.request("/", { body: "[" }))).toMatch(/not valid JSON/);
 */
export async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}
