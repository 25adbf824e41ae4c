/**
 * What the edge integration tests share: a real redis-server of their own (free port), the local Upstash REST
 * endpoint in front of it, and the Worker running in workerd (wrangler's `unstable_startWorker`, the same
 * runtime and bundling as `wrangler dev`) with bindings pointing at that endpoint. Requests are real HTTP.
 */
import { resolve } from "node:path";
import { Redis as IORedis } from "ioredis";
import { expect } from "vitest";
import { unstable_startWorker } from "wrangler";
import { parseJobId, queueKeys, type QueueKeys, type ScriptRunner } from "../../shared/src/index";
import { readRecord } from "../../shared/src/ops/read";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { startUpstashLocal, type UpstashLocal } from "../../infra/upstash-local/server";
import { waitFor } from "../../infra/test/wait-for";
import { startTcpProxy, type TcpProxy } from "../../infra/chaos/tcp-proxy";

export const PRODUCER_KEY = "producer-key-0123456789";
export const OTHER_PRODUCER_KEY = "producer-key-abcdefghij";
export const ADMIN_KEY = "admin-key-0123456789";
const UPSTASH_TOKEN = "edge-test-token";

export interface EdgeStack {
  /** The Worker's base URL, e.g. `http://127.0.0.1:41235`. */
  readonly url: string;
  readonly redisServer: RedisServerHandle;
  /** With `replica`: a redis-server replicating `redisServer`, in sync when the stack is ready. */
  readonly replica?: RedisServerHandle;
  /** With `replica: "proxied"`: the TCP proxy the replica reaches its master through (stall it to make it lag). */
  readonly replicationLink?: TcpProxy;
  readonly upstash: UpstashLocal;
  /** The token the endpoint expects (to talk to it directly). */
  readonly upstashToken: string;
  /** A reference client on the same Redis, to check what the edge wrote. */
  readonly io: IORedis;
  /** The shared scripts over `io`: what a worker would run. */
  readonly runner: ScriptRunner;
  keys(queue: string): QueueKeys;
  /** A job's record fields by job id, wherever the record is (a hash, or packed while the job is fresh); {} if none. */
  record(id: string): Promise<Record<string, string>>;
  /**
   * `fetch` on the Worker. `key` defaults to the producer key (`null`: no Authorization header); `json` is sent
   * as the body with `Content-Type: application/json`.
   */
  request(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

export interface EdgeStackOptions {
  /** Extra or overriding bindings, e.g. `{ RATE_LIMIT: "3/1m" }`. */
  vars?: Record<string, string>;
  /** Point the Worker somewhere else than the endpoint (a proxy in front of it, say). */
  upstashUrl?: (endpointUrl: string) => string | Promise<string>;
  /** AOF on, so a test can SIGKILL Redis and restart it on the same data. */
  appendOnly?: boolean;
  /** Start a replica of the stack's Redis too (for ENQUEUE_REPLICAS); "proxied": through a TCP proxy. */
  replica?: boolean | "proxied";
}

/**
 * @example
 * const stack = await startEdgeStack();
 * const response = await stack.request("/v1/jobs/noop", { method: "POST", json: {} });
 * await stack.stop();
 */
export async function startEdgeStack(options: EdgeStackOptions = {}): Promise<EdgeStack> {
  const redisServer = await startRedisServer({ appendOnly: options.appendOnly ?? false });
  const upstash = await startUpstashLocal({ redisUrl: redisServer.url, token: UPSTASH_TOKEN });
  const io = new IORedis(redisServer.url, { protocol: 2, maxRetriesPerRequest: 1 });
  io.on("error", () => {}); // expected while a test has Redis killed; commands still reject
  const replicationLink = options.replica === "proxied" ? await startTcpProxy({ port: redisServer.port }) : undefined;
  const replica = options.replica ? await startReplica(replicationLink ?? redisServer) : undefined;
  const vars: Record<string, string> = {
    UPSTASH_REDIS_REST_URL: options.upstashUrl ? await options.upstashUrl(upstash.url) : upstash.url,
    UPSTASH_REDIS_REST_TOKEN: UPSTASH_TOKEN,
    API_KEYS: `${PRODUCER_KEY},${OTHER_PRODUCER_KEY}`,
    ADMIN_API_KEYS: ADMIN_KEY,
    ...options.vars,
  };
  const worker = await unstable_startWorker({
    config: resolve(import.meta.dirname, "../../wrangler.toml"),
    envFiles: [],
    bindings: Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: "plain_text", value }])),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false, watch: false, logLevel: "warn" },
  });
  await worker.ready;
  const url = (await worker.url).origin;
  // The first request to a fresh workerd takes seconds (isolate start-up); pay it here, on a route that touches
  // nothing, so timings measured by tests are the Worker's and not the runtime's.
  await (await fetch(`${url}/docs`)).arrayBuffer();

  const runner = ioredisRunner(io);
  return {
    url,
    redisServer,
    replica,
    replicationLink,
    upstash,
    upstashToken: UPSTASH_TOKEN,
    io,
    runner,
    keys: (queue) => queueKeys(queue),
    record(id) {
      const { queue, localId } = parseJobId(id)!;
      return readRecord(runner, queueKeys(queue), localId);
    },
    request(path, init = {}) {
      const { key = PRODUCER_KEY, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set("Authorization", `Bearer ${key}`);
      if (json !== undefined) headers.set("Content-Type", "application/json");
      return fetch(`${url}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    async stop() {
      await worker.dispose();
      io.disconnect();
      await upstash.close();
      await replica?.stop();
      await replicationLink?.close();
      await redisServer.stop();
    },
  };
}

/** A replica of `master`, resolved once its link is up and the first sync done. */
export async function startReplica(master: { port: number }): Promise<RedisServerHandle> {
  const replica = await startRedisServer({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
  await waitForReplicaSync(replica);
  return replica;
}

export async function waitForReplicaSync(replica: RedisServerHandle): Promise<void> {
  const probe = new IORedis(replica.url, { protocol: 2 });
  probe.on("error", () => {});
  try {
    await waitFor(
      async () => {
        const info = await probe.info("replication");
        return info.includes("master_link_status:up") && info.includes("master_sync_in_progress:0");
      },
      { timeoutMs: 20_000, what: "the replica in sync" },
    );
  } finally {
    probe.disconnect();
  }
}

/**
 * Asserts an RFC 9457 problem response and returns its body.
 * @example
 * const problem = await expectProblem(response, 404, "unknown_job");
 */
export async function expectProblem(response: Response, status: number, code: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  const body = JSON.parse(text) as { type: string; title: string; status: number; detail: string; code: string; errors?: { path: string; message: string }[] };
  expect(body).toMatchObject({ status, code });
  for (const field of ["type", "title", "detail"] as const) expect(typeof body[field]).toBe("string");
  expect(body.type).toMatch(/^https:\/\//);
  // Never a stack trace, whatever went wrong.
  expect(text).not.toMatch(/\bat .*\.(js|ts):\d+/);
  return body;
}
