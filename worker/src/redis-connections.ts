/**
 * The connections a worker process keeps: one for commands and scripts (a `Redis`, or an ioredis `Cluster` with
 * REDIS_CLUSTER=true), and per queue one that sits in BLMOVE (blocking-connection.ts puts it on the node that
 * owns the queue's slot).
 *
 * All of them turn off ioredis's re-sending of unanswered commands after a reconnect: a BLMOVE silently re-sent on
 * a new connection would be a second pop the fetch loop never sees the answer to (BullMQ #2964-style hangs), and a
 * claim re-sent after it already ran would claim twice. Instead the caller sees the error and runs recovery, which
 * returns anything moved into our in-flight list that this process does not know about. A `Cluster` has a re-send
 * of its own for the same case (a node connection that closed with commands unanswered: `retryDelayOnFailover`),
 * turned off for the same reason; it still follows MOVED/ASK (the command did not run) and retries TRYAGAIN and
 * CLUSTERDOWN (refused before running).
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { clusterSeeds } from "../../shared/src/cluster-seeds";

export type CommandConnection = Redis | Cluster;

const reconnectDelay = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000) + Math.floor(Math.random() * 100);

export function redisOptions(overrides: RedisOptions = {}): RedisOptions {
  return {
    // RESP2: the same reply shapes as Upstash REST and as every script header documents.
    protocol: 2,
    autoResendUnfulfilledCommands: false,
    // Fail commands while disconnected instead of queueing them forever; the loops retry with backoff.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: reconnectDelay,
    keepAlive: 10_000,
    connectTimeout: 5_000,
    lazyConnect: false,
    ...overrides,
  };
}

export function createConnection(url: string, name: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, redisOptions({ connectionName: name, ...overrides }));
}

/**
 * The command connection: a cluster when `cluster` is set (`url` then lists seed nodes, comma-separated).
 *
 * @example
 * createCommandConnection("redis://10.0.0.1:7000,redis://10.0.0.2:7000", "offload:w1:commands", { cluster: true });
 */
export function createCommandConnection(url: string, name: string, options: { cluster?: boolean } = {}): CommandConnection {
  if (!options.cluster) return createConnection(url, name);
  const { seeds, node } = clusterSeeds(url);
  // Node connections are the Cluster's to open and to drop (it reconnects through the slot map, not per node).
  const { retryStrategy: _retry, lazyConnect: _lazy, ...perNode } = redisOptions({ connectionName: name, ...node });
  return new Cluster(seeds, {
    redisOptions: perNode,
    retryDelayOnFailover: 0,
    clusterRetryStrategy: reconnectDelay,
    // The slot map is fetched at start, after MOVED and every 5 s (how a promoted replica is found when nobody
    // answers MOVED); ioredis's 1 s fetch limit is too short on a busy machine.
    slotsRefreshTimeout: 10_000,
    slotsRefreshInterval: 5_000,
  });
}

/** Settings for a plain connection to one node of the cluster behind `commands` (the same credentials and TLS). */
export function nodeOptions(commands: Cluster, name: string): RedisOptions {
  const { redisOptions: perNode = {} } = commands.options;
  return redisOptions({ ...perNode, connectionName: name, lazyConnect: false });
}
