/**
 * A real Redis Cluster per test file: 3 masters + 3 replicas, each a redis-server from startRedisServer() on a
 * free port, joined by `redis-cli --cluster create … --cluster-replicas 1`. Resolves only once every node
 * reports `cluster_state:ok` and every replica's link to its master is up with the initial sync done, so a test
 * can start at once. No Docker; it fails with one clear error when it cannot start (no redis-cli, a
 * redis-server older than 7, a node that will not join).
 *
 * Why redis-cli rather than CLUSTER ADDSLOTSRANGE/MEET/REPLICATE by hand: it is the tool operators use, it
 * waits for the nodes to agree on the configuration before returning, and it is shipped with redis-server.
 * Cost: it polls with 1 s pauses of its own, so start-up is ~1–3 s.
 *
 * @example
 * const cluster = await startRedisCluster();
 * const client = new Cluster(cluster.seeds, { redisOptions: { protocol: 2 } });
 * cluster.masterFor("{q}:wait");   // the node that owns the slot, e.g. to inspect it directly
 * await cluster.stop();
 */
import { spawn, spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { keySlot } from "../../shared/src/key-slot";
import { redisServerBinary, startRedisServer, type RedisServerHandle } from "../runtime/redis-server";
import { freePort } from "../runtime/free-port";
import { waitFor } from "./wait-for";

export interface RedisClusterOptions {
  /**
   * cluster-node-timeout: how long a master may be unreachable before its replica is promoted. Low enough
   * for a failover test to be quick, high enough that a busy 2-core machine does not fail over by itself.
   */
  nodeTimeoutMs?: number;
}

export interface ClusterNode {
  readonly server: RedisServerHandle;
  readonly port: number;
  readonly url: string;
}

export interface RedisClusterHandle {
  /** `[{ host, port }]` of every node, for `new Cluster(seeds)`. */
  readonly seeds: { host: string; port: number }[];
  /** Comma-separated `redis://` URLs of every node (the form REDIS_URL takes for a cluster). */
  readonly url: string;
  readonly nodes: readonly ClusterNode[];
  /** The masters as they are now, with the slot ranges each owns. */
  masters(): Promise<{ node: ClusterNode; slots: [number, number][] }[]>;
  /** A plain connection (protocol 2) to the master that owns this key's slot now; closed by stop(). */
  masterFor(key: string): Promise<Redis>;
  /** The node (of `nodes`) that owns this key's slot now. */
  ownerOf(key: string): Promise<ClusterNode>;
  /**
   * Moves one slot to another master the way an operator's reshard does, by hand: target IMPORTING, source
   * MIGRATING, every key MIGRATEd in batches, then the new owner announced on every master. Jobs keep flowing
   * meanwhile: clients see ASK/TRYAGAIN while the slot migrates and MOVED afterwards.
   */
  migrateSlot(slot: number, to: ClusterNode): Promise<void>;
  /** SIGKILLs a node (its replica is promoted after the node timeout); `masters()` then asks a live node. */
  kill(node: ClusterNode): Promise<void>;
  /** Starts a killed node again on its data directory (nodes.conf): it rejoins, as a replica if it was replaced. */
  restart(node: ClusterNode): Promise<void>;
  stop(): Promise<void>;
}

const MIN_MAJOR = 7;

function checkTools(): void {
  const binary = redisServerBinary();
  const version = spawnSync(binary, ["--version"], { encoding: "utf8" }).stdout;
  const major = Number(/v=(\d+)\./.exec(version)?.[1] ?? 0);
  if (major < MIN_MAJOR) {
    throw new Error(`the Redis Cluster tests need redis-server ${MIN_MAJOR} or newer, found: ${version.trim() || "unknown version"}`);
  }
  const cli = spawnSync("redis-cli", ["--version"], { encoding: "utf8" });
  if (cli.error || cli.status !== 0) {
    throw new Error("the Redis Cluster tests need redis-cli on PATH (it ships with redis-server: apt-get install redis-tools)");
  }
}

/** redis-cli waits for the nodes to join with no limit of its own: a node that cannot be reached must fail. */
const CLI_TIMEOUT_MS = 30_000;

function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn("redis-cli", args, { stdio: ["ignore", "pipe", "pipe"], timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    let output = "";
    proc.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    proc.once("error", reject);
    proc.once("exit", (code, signal) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`redis-cli ${args.join(" ")} ${signal ? `killed after ${CLI_TIMEOUT_MS} ms` : `exited ${code}`}: ${output.slice(-800)}`)),
    );
  });
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  checkTools();
  const nodeTimeout = options.nodeTimeoutMs ?? 5_000;
  const servers: RedisServerHandle[] = [];
  const connections = new Map<number, Redis>();
  const connection = (port: number) => {
    let redis = connections.get(port);
    if (!redis) {
      redis = new Redis(port, "127.0.0.1", { protocol: 2, lazyConnect: false });
      redis.on("error", () => undefined); // a killed node reconnects quietly; the test sees the failure itself
      connections.set(port, redis);
    }
    return redis;
  };
  const stop = async () => {
    for (const redis of connections.values()) redis.disconnect();
    connections.clear();
    await Promise.all(servers.map((server) => server.stop()));
  };

  try {
    const args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", String(nodeTimeout)];
    // Started one after another so each picks a port nobody else took in the meantime. The cluster bus port
    // is chosen free too: its default (port + 10000) may be taken, or above 65535 for a high free port.
    for (let i = 0; i < 6; i++) {
      servers.push(await startRedisServer({ args: [...args, "--cluster-port", String(await freePort())] }));
    }
    await runCli(["--cluster", "create", ...servers.map((s) => `127.0.0.1:${s.port}`), "--cluster-replicas", "1", "--cluster-yes"]);
    await waitFor(
      async () => {
        for (const server of servers) {
          const info = String(await connection(server.port).cluster("INFO"));
          if (!info.includes("cluster_state:ok")) return false;
          const replication = await connection(server.port).info("replication");
          if (replication.includes("role:slave") && !(replication.includes("master_link_status:up") && replication.includes("master_sync_in_progress:0"))) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, what: "the cluster to report cluster_state:ok with every replica in sync" },
    );
  } catch (error) {
    await stop();
    throw new Error(`could not start a Redis Cluster: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  const nodes = servers.map((server) => ({ server, port: server.port, url: server.url }));
  const killed = new Set<ClusterNode>();
  const masters = async () => {
    const live = nodes.find((node) => !killed.has(node))!;
    const slots = (await connection(live.port).cluster("SLOTS")) as unknown as [number, number, [string, number, ...unknown[]]][];
    const byPort = new Map<number, [number, number][]>();
    for (const [from, to, [, port]] of slots) byPort.set(port, [...(byPort.get(port) ?? []), [from, to]]);
    return [...byPort].map(([port, owned]) => ({ node: nodes.find((n) => n.port === port)!, slots: owned }));
  };
  const ownerOf = async (key: string) => {
    const slot = keySlot(key);
    const owner = (await masters()).find(({ slots }) => slots.some(([from, to]) => slot >= from && slot <= to));
    if (!owner) throw new Error(`no master owns slot ${slot} (key ${key})`);
    return owner.node;
  };
  return {
    seeds: nodes.map((n) => ({ host: "127.0.0.1", port: n.port })),
    url: nodes.map((n) => n.url).join(","),
    nodes,
    masters,
    ownerOf,
    masterFor: async (key) => connection((await ownerOf(key)).port),
    async migrateSlot(slot, to) {
      const from = (await masters()).find(({ slots }) => slots.some(([a, b]) => slot >= a && slot <= b))!.node;
      if (from === to) return;
      const source = connection(from.port);
      const target = connection(to.port);
      const [sourceId, targetId] = [String(await source.cluster("MYID")), String(await target.cluster("MYID"))];
      await target.cluster("SETSLOT", slot, "IMPORTING", sourceId);
      await source.cluster("SETSLOT", slot, "MIGRATING", targetId);
      for (;;) {
        const keys = (await source.cluster("GETKEYSINSLOT", slot, 1_000)) as string[];
        if (keys.length === 0) break;
        await source.call("MIGRATE", "127.0.0.1", String(to.port), "", "0", "10000", "KEYS", ...keys);
      }
      // The new owner first, then the old one (it starts answering MOVED), then everyone else (the docs' order).
      const others = (await masters()).map(({ node }) => node).filter((node) => node !== from && node !== to);
      for (const node of [to, from, ...others]) await connection(node.port).cluster("SETSLOT", slot, "NODE", targetId);
    },
    async kill(node) {
      killed.add(node);
      await node.server.kill();
    },
    async restart(node) {
      await node.server.start();
      killed.delete(node);
    },
    stop,
  };
}
