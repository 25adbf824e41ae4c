/**
 * A real webhook receiver for tests: a node:http server on 127.0.0.1 (free port) that records every delivery and
 * answers with scripted replies. Shared by the handler's tests and the queue-level / end-to-end ones, so they
 * can wait for deliveries as events (`nextDelivery()`) instead of sleeping.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedDelivery {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as signed. */
  body: string;
}

/** A scripted answer; "hang" never answers (for timeouts). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | "hang";

export interface TestReceiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  deliveries: ReceivedDelivery[];
  /** Queues replies for the next requests, in order; once they run out every request gets 200 "ok". */
  reply(...replies: Reply[]): void;
  /** What every request gets once the queued replies are used up (default 200 "ok"), e.g. a receiver that always 429s. */
  always(reply: Reply): void;
  /** Resolves with the next delivery to arrive (one not yet taken by an earlier call). */
  nextDelivery(): Promise<ReceivedDelivery>;
  close(): Promise<void>;
}

/**
 * @example
 * const receiver = await startTestReceiver();
 * receiver.reply({ status: 503 }, { status: 200 });
 * const first = await receiver.nextDelivery();
 * await receiver.close();
 */
export async function startTestReceiver(): Promise<TestReceiver> {
  const replies: Reply[] = [];
  const deliveries: ReceivedDelivery[] = [];
  const waiters: ((delivery: ReceivedDelivery) => void)[] = [];
  let taken = 0;
  let fallback: Reply = { status: 200, body: "ok" };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const delivery = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() };
      deliveries.push(delivery);
      const reply = replies.shift() ?? fallback;
      if (reply !== "hang") res.writeHead(reply.status, reply.headers).end(reply.body ?? "");
      waiters.shift()?.(delivery);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    deliveries,
    reply: (...more) => void replies.push(...more),
    always: (reply) => void (fallback = reply),
    nextDelivery() {
      const index = taken++;
      const arrived = deliveries[index];
      if (arrived) return Promise.resolve(arrived);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // hung replies would otherwise keep close() waiting forever
        server.close(() => resolve());
      }),
  };
}
