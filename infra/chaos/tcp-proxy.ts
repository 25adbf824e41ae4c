/**
 * A TCP proxy (node:net) to put between a client and Redis and break the network on demand:
 *   - `drop()`  resets every open connection at once (RST both ways), like a NAT or load balancer forgetting
 *               its flows; new connections are accepted again right after;
 *   - `stall()` stops forwarding in both directions (bytes wait in the proxy, nothing is lost) and holds new
 *               connections unconnected, like a partition that heals; `resume()` lets everything through.
 *
 * @example
 * const proxy = await startTcpProxy({ port: redis.port });
 * const worker = new Redis(proxy.url);
 * proxy.stall(); ...; proxy.resume();
 * proxy.drop();
 * await proxy.close();
 *
 * `dropWhen(bytes)` arms a one-shot trap instead: the first chunk a client sends that contains `bytes` is not
 * forwarded, and every connection is dropped at that moment — the command is lost in flight, unanswered.
 */
import { createServer, connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  drop(): number;
  dropWhen(bytes: string): Promise<void>;
  stall(): void;
  resume(): void;
  readonly stalled: boolean;
  /** Connections currently open through the proxy. */
  connections(): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? "127.0.0.1";
  const pairs = new Set<Pair>();
  let stalled = false;
  /** Connections accepted during a stall, connected upstream on resume. */
  let held: Pair[] = [];
  let trap: { bytes: string; sprung: () => void } | undefined;

  const destroy = (pair: Pair) => {
    pairs.delete(pair);
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (pair.upstream && !pair.upstream.destroyed) pair.upstream.resetAndDestroy();
  };

  const link = (pair: Pair) => {
    const upstream = connect({ host, port: target.port });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    // Manual forwarding (not pipe) so a stall can pause both directions and keep the bytes.
    pair.client.on("data", (chunk: Buffer) => {
      if (trap && chunk.includes(trap.bytes)) {
        const { sprung } = trap;
        trap = undefined;
        for (const open of [...pairs]) destroy(open);
        sprung();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => pair.client.write(chunk));
    upstream.on("error", () => destroy(pair));
    upstream.on("close", () => destroy(pair));
    if (stalled) {
      pair.client.pause();
      upstream.pause();
    } else {
      pair.client.resume();
    }
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.setNoDelay(true);
    client.on("error", () => destroy(pair));
    client.on("close", () => destroy(pair));
    if (stalled) held.push(pair);
    else link(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get stalled() {
      return stalled;
    },
    dropWhen(bytes) {
      return new Promise<void>((sprung) => (trap = { bytes, sprung }));
    },
    drop() {
      const count = pairs.size;
      for (const pair of [...pairs]) destroy(pair);
      held = [];
      return count;
    },
    stall() {
      stalled = true;
      for (const pair of pairs) {
        pair.client.pause();
        pair.upstream?.pause();
      }
    },
    resume() {
      stalled = false;
      for (const pair of pairs) {
        if (!pair.upstream) continue;
        pair.client.resume();
        pair.upstream.resume();
      }
      const waiting = held;
      held = [];
      for (const pair of waiting) if (pairs.has(pair)) link(pair);
    },
    connections: () => pairs.size,
    async close() {
      for (const pair of [...pairs]) destroy(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
