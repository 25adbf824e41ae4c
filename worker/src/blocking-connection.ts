/**
 * Where one queue's BLMOVE is sent. On one Redis: a connection of its own to it, for the process's life. On a
 * Redis Cluster: a plain connection to the master that owns the queue's slot (every key of a queue shares its
 * hash tag, keys.ts), because a blocking command must wait on the node that will see the producer's push, and an
 * ioredis `Cluster` would park it on one of its shared node connections, stalling every other command there.
 *
 * The owner changes when a slot is migrated (resharding) or a replica is promoted (failover). How we follow it:
 *   - before each BLMOVE, the owner is read from the command connection's slot map (ioredis keeps it fresh: at
 *     start, after every MOVED, every 5 s); a different owner means a new connection there, the old one closed;
 *   - after anything that says the owner may have moved — an error from BLMOVE (Redis answers a blocked client
 *     MOVED within a second once its slot is gone, UNBLOCKED when its master becomes a replica), a closed
 *     connection, the watchdog — `reresolve()` refreshes that slot map before the next BLMOVE.
 * Blocking-pop.ts treats each of those like a lost reply (recovery before the next claim), so nothing the
 * surviving node holds is lost; what only the failed master had is the replication lag's (ENQUEUE_REPLICAS).
 */
import { Redis, type Cluster } from "ioredis";
import { keySlot } from "../../shared/src/key-slot";
import { closeGuard } from "../../shared/src/runners/close-guard";
import { createConnection, nodeOptions, type CommandConnection } from "./redis-connections";

/** A server-side client id, and the node (`host:port`) it lives on. */
export interface BlockingClient {
  node: string;
  id: number;
}

export interface BlockingConnection {
  /** The connection for the next BLMOVE, and the node it is on. Throws while no owner is known (retried). */
  current(): Promise<{ redis: Redis; node: string }>;
  /** The owner may have changed: refresh the slot map before the next `current()`. */
  reresolve(): void;
  /** `CLIENT KILL ID` on the node the client lives on (skipped when that node is no longer one we reach). */
  kill(client: BlockingClient): Promise<void>;
  close(): void;
}

export interface BlockingConnectionOptions {
  url: string;
  name: string;
  commands: CommandConnection;
  /** Any key of the queue: its slot is the queue's. */
  slotKey: string;
  /** Called for every connection made, to attach listeners. */
  onConnection?(redis: Redis): void;
}

/**
 * @example
 * const connection = blockingConnection({ url, name: "offload:w1:blocking:webhook", commands, slotKey: keys.wait });
 * const { redis } = await connection.current();
 */
export function blockingConnection(o: BlockingConnectionOptions): BlockingConnection {
  return o.commands instanceof Redis ? singleNode(o, o.commands) : clusterNode(o, o.commands);
}

function singleNode(o: BlockingConnectionOptions, commands: Redis): BlockingConnection {
  const redis = createConnection(o.url, o.name);
  o.onConnection?.(redis);
  return {
    current: async () => {
      if (redis.status === "end") redis.connect().catch(() => {});
      return { redis, node: "redis" };
    },
    reresolve: () => {},
    kill: async ({ id }) => {
      // Guarded like every call: an unanswered CLIENT KILL on a connection that drops would otherwise hang
      // recovery (and with it the queue's fetch loop and the worker's stop) forever.
      await closeGuard(commands)(commands.call("CLIENT", "KILL", "ID", String(id)));
    },
    close: () => redis.disconnect(),
  };
}

function clusterNode(o: BlockingConnectionOptions, commands: Cluster): BlockingConnection {
  const slot = keySlot(o.slotKey);
  let connection: { redis: Redis; node: string } | undefined;
  let refreshing: Promise<void> | undefined;
  let closed = false;

  const refresh = () =>
    (refreshing ??= new Promise<void>((resolve) => commands.refreshSlotsCache(() => resolve())).finally(() => (refreshing = undefined)));

  return {
    async current() {
      if (refreshing) await refreshing;
      const owner = commands.slots[slot]?.[0];
      if (!owner) throw new Error(`no master known for slot ${slot} (${o.slotKey}) yet`);
      if (connection?.node === owner && connection.redis.status !== "end") return connection;
      connection?.redis.disconnect();
      if (closed) throw new Error("blocking connection closed");
      const [host, port] = splitNode(owner);
      const redis = new Redis({ ...nodeOptions(commands, o.name), host, port });
      o.onConnection?.(redis);
      connection = { redis, node: owner };
      return connection;
    },
    reresolve: () => void refresh(),
    async kill({ node, id }) {
      const target = commands.nodes("master").find((redis) => `${redis.options.host}:${redis.options.port}` === node);
      if (!target) return; // gone or demoted: a demoted master unblocks its clients itself
      await closeGuard(target)(target.call("CLIENT", "KILL", "ID", String(id)));
    },
    close() {
      closed = true;
      connection?.redis.disconnect();
    },
  };
}

function splitNode(node: string): [string, number] {
  const colon = node.lastIndexOf(":");
  return [node.slice(0, colon), Number(node.slice(colon + 1))];
}
