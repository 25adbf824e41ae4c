/**
 * A reply lost on the way back: Redis ran the enqueue script, but the connection dropped before the answer
 * reached the Worker, so @upstash/redis re-sends the same request. The job id was chosen before the first send,
 * so the script recognises it and the client still gets 202 for one job, not two.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseJobId } from "../../shared/src/index";
import { startEdgeStack, type EdgeStack } from "./harness";

/** Forwards to the endpoint; for the next `drops` requests it forwards, waits for the answer, then hangs up. */
function lossyProxy() {
  let target = "";
  let drops = 0;
  let forwarded = 0;
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type", "upstash-encoding"]) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const answer = await fetch(`${target}${request.url}`, { method: request.method, headers, body: Buffer.concat(chunks) });
    const text = await answer.text();
    forwarded += 1;
    if (drops > 0) {
      drops -= 1;
      request.socket.destroy(); // Redis has done the work; the Worker never hears about it
      return;
    }
    response.writeHead(answer.status, { "Content-Type": answer.headers.get("Content-Type") ?? "application/json" });
    response.end(text);
  });
  return {
    async listen(endpoint: string) {
      target = endpoint;
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    dropNext(count: number) {
      drops = count;
    },
    forwarded: () => forwarded,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const proxy = lossyProxy();
let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack({ upstashUrl: (endpoint) => proxy.listen(endpoint) });
});
afterAll(async () => {
  await stack?.stop();
  await proxy.close();
});

it("creates exactly one job when the first reply is lost and the client re-sends", async () => {
  proxy.dropNext(1);
  const before = proxy.forwarded();
  const response = await stack.request("/v1/jobs/noop", { method: "POST", json: { once: true } });
  expect(response.status).toBe(202);
  const body = await response.json() as any;
  expect(body.state).toBe("waiting");

  expect(proxy.forwarded() - before).toBe(2); // the lost one and the re-send, both reached Redis
  const wait = await stack.io.lrange(stack.keys("noop").wait, 0, -1);
  expect(wait).toEqual([parseJobId(body.id)!.localId]);
  expect(response.headers.get("Location")).toBe(`/v1/jobs/${body.id}`);
});

it("creates every job of a batch once when the batch's reply is lost", async () => {
  await stack.io.flushall();
  proxy.dropNext(1);
  const response = await stack.request("/v1/jobs/noop/batch", {
    method: "POST",
    json: Array.from({ length: 20 }, (_, i) => ({ data: { i } })),
  });
  expect(response.status).toBe(202);
  const { jobs } = await response.json() as any;
  expect(jobs).toHaveLength(20);
  expect(await stack.io.llen(stack.keys("noop").wait)).toBe(20);
});
