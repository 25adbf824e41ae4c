/**
 * Redis going away and coming back: requests must fail fast with an error (never hang), and the endpoint must
 * recover by itself. Every wait is on an event (process exit, "Ready to accept connections", ioredis "ready").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../runtime/free-port";
import { startUpstashLocal } from "./server";
import { errorOf, startFixture, TOKEN, type Fixture } from "./test-fixture";

/** Far below any hang, far above a local round trip. */
const FAST_MS = 1_000;
let fixture: Fixture;

beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(() => fixture?.stop());

async function timed<T>(work: () => Promise<T>): Promise<{ elapsed: number; outcome: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [outcome] = await Promise.allSettled([work()]);
  return { elapsed: performance.now() - started, outcome: outcome! };
}

describe("when Redis is down", () => {
  it("fails requests fast with an error, and works again once Redis is back", async () => {
    const client = fixture.client();
    expect(await client.set("outage:k", "before")).toBe("OK");

    await fixture.redisServer.kill();
    for (let attempt = 0; attempt < 3; attempt++) {
      const { elapsed, outcome } = await timed(() => client.get("outage:k"));
      expect(outcome.status).toBe("rejected");
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/cannot reach Redis/);
      expect(elapsed).toBeLessThan(FAST_MS);
    }
    const { elapsed, outcome } = await timed(() => fixture.request("/pipeline", { body: '[["PING"]]' }));
    expect(elapsed).toBeLessThan(FAST_MS);
    const response = (outcome as PromiseFulfilledResult<Response>).value;
    expect(response.status).toBe(503);
    expect(await errorOf(response)).toMatch(
      new RegExp(`^ERR upstash-local cannot reach Redis at ${fixture.redisServer.url}/? \\(connection \\w+; .+\\)$`),
    );

    await fixture.redisServer.start();
    await fixture.upstash.redisReady();
    expect(await client.set("outage:k", "after")).toBe("OK");
    expect(await client.get("outage:k")).toBe("after");
    expect(await client.multi().incr("outage:n").incr("outage:n").exec()).toEqual([1, 2]);
  });

  it("refuses to start, quickly and naming the URL, when Redis cannot be reached at all", async () => {
    const port = await freePort();
    const redisUrl = `redis://127.0.0.1:${port}`;
    const { elapsed, outcome } = await timed(() => startUpstashLocal({ redisUrl, token: TOKEN }));
    expect(outcome.status).toBe("rejected");
    expect(String((outcome as PromiseRejectedResult).reason)).toMatch(
      new RegExp(`cannot reach Redis at redis://127.0.0.1:${port}.*ECONNREFUSED`),
    );
    expect(elapsed).toBeLessThan(FAST_MS);
  });
});
