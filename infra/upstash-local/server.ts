/**
 * A local stand-in for the Upstash REST API, for development and tests only (production talks to real
 * Upstash): a Node `http` server in front of a real Redis, answering in the shapes @upstash/redis expects.
 *
 * Lifecycle: connect to Redis (fail if it cannot be reached) → listen → count and serve requests → close
 * (stop listening, drop idle keep-alive sockets, let in-flight requests finish, then disconnect from Redis).
 *
 * What it answers, and what it refuses, is described in README.md next to this file.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tokenCheck } from "./auth";
import { createRequestHandler } from "./handler";
import { openRedisConnection } from "./redis-connection";

export interface UpstashLocalOptions {
  /** e.g. `redis://127.0.0.1:6379`; `rediss://` for TLS; a password and `/db` in the URL are honoured. */
  redisUrl: string;
  /**
   * Redis Cluster: `redisUrl` lists one or more seed nodes, comma-separated, and each command, script and
   * pipeline is routed to its slot's master. A pipeline or transaction spanning slots is refused (400).
   */
  cluster?: boolean;
  /** The token clients must present as `Authorization: Bearer <token>` (or `?_token=`). */
  token: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback unless told otherwise. */
  host?: string;
  /** Larger bodies are refused with 413. Default 10 MiB. */
  maxBodyBytes?: number;
}

export interface UpstashLocal {
  /** Base URL for `new Redis({ url, token })`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** HTTP requests that reached the endpoint since start (or the last reset), whatever their outcome. */
  requestCount(): number;
  resetRequestCount(): void;
  /**
   * Resolves when the endpoint's Redis connection is ready: at once if it is, else at the next successful
   * reconnect. Lets a test that restarted Redis wait for an event instead of sleeping.
   */
  redisReady(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * @example
 * const upstash = await startUpstashLocal({ redisUrl: "redis://127.0.0.1:6379", token: "dev-token" });
 * const redis = new Redis({ url: upstash.url, token: "dev-token" }); // from "@upstash/redis"
 * await redis.set("k", "v");
 * upstash.requestCount(); // 1
 * await upstash.close();
 */
export async function startUpstashLocal(options: UpstashLocalOptions): Promise<UpstashLocal> {
  if (options.token === "") throw new Error("upstash-local needs a non-empty token");
  const host = options.host ?? "127.0.0.1";
  const connection = await openRedisConnection(options.redisUrl, { cluster: options.cluster ?? false });

  let requests = 0;
  const handle = createRequestHandler({
    connection,
    isAuthorized: tokenCheck(options.token),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  });
  const server = createServer((req, res) => {
    requests += 1;
    void handle(req, res);
  });

  let port: number;
  try {
    port = await listen(server, options.port ?? 0, host);
  } catch (error) {
    connection.close();
    throw error;
  }

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    requestCount: () => requests,
    resetRequestCount: () => {
      requests = 0;
    },
    redisReady: () => connection.ready(),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      connection.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
