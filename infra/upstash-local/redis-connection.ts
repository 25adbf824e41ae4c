/**
 * The one ioredis connection every request shares, configured to fail fast and heal by itself.
 *
 * - `protocol: 2` and `stringNumbers`: replies in the raw RESP2 shapes Upstash returns (see raw-command.ts).
 * - `enableOfflineQueue: false`: while Redis is down a command fails at once instead of waiting in a queue, so
 *   the HTTP client gets a 503 now rather than a hang.
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: commands already sent when the socket
 *   drops are failed on the spot, never re-sent after reconnecting. A re-sent INCR whose first reply was lost
 *   would run twice; the caller of a REST API expects "failed", not "maybe twice".
 * - `retryStrategy`: keep reconnecting (backoff capped at 1 s, so a restarted dev Redis is picked up quickly).
 *
 * In front of a Redis Cluster (`cluster: true`; the URL may list several seed nodes, comma-separated) the one
 * connection is an ioredis `Cluster` with the same settings per node: it routes each command, script and
 * pipeline to the master owning its slot and follows MOVED/ASK. A pipeline (and so a transaction) must stay
 * within one slot; run-commands.ts refuses one that does not.
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { clusterSeeds } from "../../shared/src/cluster-seeds";
import { redactUrl } from "../../shared/src/redact-url";
import { dedicatedConnections, type DedicatedConnections } from "./dedicated-connections";

export interface RedisConnection {
  readonly redis: Redis | Cluster;
  /** Connections of their own for pipelines containing WAIT (dedicated-connections.ts). */
  readonly dedicated: DedicatedConnections;
  /** Resolves once the connection is ready: now if it is, else at the next successful (re)connect. */
  ready(): Promise<void>;
  /**
   * Why a command could not reach Redis, for the 503 message: where, the connection's state, and the last
   * connection error (or, if there was none, the failure itself).
   */
  describeOutage(failure: string): string;
  close(): void;
}

const MAX_RECONNECT_DELAY_MS = 1_000;

/**
 * Connects and waits until Redis answers. Rejects if the first attempt fails: a wrong REDIS_URL should stop
 * the endpoint at start-up with a clear message, not surface as 503s later.
 *
 * @example
 * const connection = await openRedisConnection("redis://127.0.0.1:6379");
 */
export async function openRedisConnection(redisUrl: string, options: { cluster?: boolean } = {}): Promise<RedisConnection> {
  const settings: RedisOptions = {
    protocol: 2,
    stringNumbers: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    connectionName: "upstash-local",
    lazyConnect: true,
  };
  const redis = options.cluster ? openCluster(redisUrl, settings) : new Redis(redisUrl, settings);
  let lastError: string | undefined;
  // Without a listener ioredis prints every reconnect failure as an "unhandled error event".
  redis.on("error", (error: Error) => {
    lastError = error.message;
  });
  redis.on("ready", () => {
    lastError = undefined;
  });

  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    // ioredis rejects with "Connection is closed."; the error event before it says why (ECONNREFUSED…).
    const reason = lastError ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`cannot reach Redis at ${redactUrl(redisUrl)}: ${reason}`, { cause: error });
  }

  const dedicated = dedicatedConnections(redisUrl, redis, settings);
  return {
    redis,
    dedicated,
    ready: () =>
      redis.status === "ready" ? Promise.resolve() : new Promise((resolve) => redis.once("ready", () => resolve())),
    describeOutage: (failure) =>
      `${redactUrl(redisUrl)} (connection ${redis.status}; ${lastError ? `last error: ${lastError}` : failure})`,
    close: () => {
      dedicated.close();
      redis.disconnect();
    },
  };
}

/** `redis://[:pw@]host:port[,redis://host:port…]` → seed nodes; the first URL's password and TLS apply to all. */
function openCluster(redisUrls: string, settings: RedisOptions): Cluster {
  const { seeds, node } = clusterSeeds(redisUrls);
  // Per node the offline queue stays on: ioredis fetches the slot map through a node connection that is still
  // connecting, and without a queue that fetch fails and start-up never becomes ready. Fail-fast is kept at the
  // cluster level (`enableOfflineQueue: false`) and by `maxRetriesPerRequest: 0`, which fails queued commands
  // at a node's first failed reconnect instead of holding them.
  // Node connections are the Cluster's to open and reconnect (clusterRetryStrategy, slot refresh): with a
  // node-level lazyConnect or retryStrategy of ours, the first slot-map fetch can stall start-up.
  const { retryStrategy: _retry, lazyConnect: _lazy, ...nodeSettings } = settings;
  const redisOptions: RedisOptions = { ...nodeSettings, ...node, enableOfflineQueue: true };
  return new Cluster(seeds, {
    redisOptions,
    enableOfflineQueue: false,
    lazyConnect: true,
    // The slot map is fetched at start and after MOVED; ioredis's 1 s limit is too short on a busy machine.
    slotsRefreshTimeout: 10_000,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
}
