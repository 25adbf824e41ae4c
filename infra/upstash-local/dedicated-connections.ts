/**
 * Pipelines that contain WAIT, on a connection of their own. WAIT answers how many replicas have acknowledged
 * everything *its connection* wrote, and blocks that connection until then (or its timeout): on the shared
 * connection it would stall every other request and measure other requests' writes. So a pipeline with a WAIT
 * (the edge's replica-acknowledged enqueue: EVAL, HINCRBY, WAIT) runs on a dedicated connection, in order, and
 * the connection goes back to a small idle pool for the next one (no TCP handshake per request in the common
 * case). In front of a Redis Cluster it is a connection to the master that owns the pipeline's keys — the node
 * the script wrote to is the one whose replicas WAIT counts. A stale slot map shows as a MOVED error reply to
 * the script (the edge answers 503 and the client retries); the map is refreshed for the next request.
 */
import { Redis, type Cluster, type RedisOptions } from "ioredis";
import { clusterSeeds } from "../../shared/src/cluster-seeds";
import { keySlot } from "../../shared/src/key-slot";
import type { Argv } from "./raw-command";
import { RedisUnavailableError, runPipeline, type CommandOutcome } from "./run-commands";

/** Idle connections kept per node; more may be open while that many WAITs block at once. */
const MAX_IDLE_PER_NODE = 8;

export interface DedicatedConnections {
  run(commands: readonly Argv[]): Promise<CommandOutcome[]>;
  close(): void;
}

/** Whether this pipeline needs a connection of its own. */
export function containsWait(commands: readonly Argv[]): boolean {
  return commands.some((argv) => String(argv[0] ?? "").toUpperCase() === "WAIT");
}

/**
 * @example
 * const dedicated = dedicatedConnections("redis://127.0.0.1:6379", shared, settings);
 * await dedicated.run([["EVAL", script, "1", "{q}:wait"], ["WAIT", "1", "500"]]);
 */
export function dedicatedConnections(redisUrl: string, shared: Redis | Cluster, settings: RedisOptions): DedicatedConnections {
  const idle = new Map<string, Redis[]>();
  const clusterNode = shared instanceof Redis ? undefined : clusterSeeds(redisUrl).node;
  const perConnection: RedisOptions = { ...settings, connectionName: "upstash-local:wait", lazyConnect: true, retryStrategy: () => null };

  // Our own slot map, not the Cluster's: with `stringNumbers` (the raw reply shapes upstash-local needs) ioredis
  // reads CLUSTER SLOTS ranges as strings and compares them as text, so its map misses whole ranges (it then
  // lives on MOVED redirects). Fetched on first use and again after a MOVED.
  let ranges: Promise<[number, number, string][]> | undefined;
  const slotMap = (cluster: Cluster) =>
    (ranges ??= (cluster.cluster("SLOTS") as unknown as Promise<[unknown, unknown, [unknown, unknown]][]>).then(
      (reply) => reply.map(([from, to, [host, port]]) => [Number(from), Number(to), `${String(host)}:${String(port)}`] as [number, number, string]),
      (error: unknown) => {
        ranges = undefined;
        throw new RedisUnavailableError(`cannot read the cluster's slot map: ${error instanceof Error ? error.message : String(error)}`);
      },
    ));

  async function target(commands: readonly Argv[]): Promise<string> {
    if (shared instanceof Redis) return "redis";
    const key = firstKey(commands);
    if (key === undefined) throw new RedisUnavailableError("a pipeline with WAIT must name a key (the node whose replicas it counts)");
    const slot = keySlot(key);
    const owner = (await slotMap(shared)).find(([from, to]) => slot >= from && slot <= to)?.[2];
    if (!owner) throw new RedisUnavailableError(`no master owns slot ${slot}`);
    return owner;
  }

  async function take(node: string): Promise<Redis> {
    const pooled = idle.get(node)?.pop();
    if (pooled && pooled.status === "ready") return pooled;
    pooled?.disconnect();
    let redis: Redis;
    if (node === "redis") redis = new Redis(redisUrl, perConnection);
    else {
      const colon = node.lastIndexOf(":");
      redis = new Redis({ ...perConnection, ...clusterNode, host: node.slice(0, colon), port: Number(node.slice(colon + 1)) });
    }
    redis.on("error", () => {}); // the request that uses it sees the failure
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw new RedisUnavailableError(`cannot open a connection for WAIT to ${node}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return redis;
  }

  function give(node: string, redis: Redis): void {
    const list = idle.get(node) ?? [];
    if (redis.status !== "ready" || list.length >= MAX_IDLE_PER_NODE) return void redis.disconnect();
    list.push(redis);
    idle.set(node, list);
  }

  return {
    async run(commands) {
      const node = await target(commands);
      const redis = await take(node);
      try {
        const outcomes = await runPipeline(redis, commands, { allowWait: true });
        if (outcomes.some((o) => "error" in o && /^(MOVED|ASK) /.test(o.error))) ranges = undefined;
        return outcomes;
      } finally {
        give(node, redis);
      }
    },
    close() {
      for (const list of idle.values()) for (const redis of list) redis.disconnect();
      idle.clear();
    },
  };
}

/** The first key a pipeline names: EVAL/EVALSHA's first KEYS entry, else a command's first argument. */
function firstKey(commands: readonly Argv[]): string | undefined {
  for (const argv of commands) {
    const name = String(argv[0] ?? "").toUpperCase();
    if (name === "WAIT") continue;
    if (name === "EVAL" || name === "EVALSHA" || name === "EVAL_RO" || name === "EVALSHA_RO") {
      if (Number(argv[2] ?? 0) > 0 && argv[3] !== undefined) return String(argv[3]);
      continue;
    }
    if (argv[1] !== undefined) return String(argv[1]);
  }
  return undefined;
}
