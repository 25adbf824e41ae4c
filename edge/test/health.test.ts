/**
 * Redis going away and coming back, in workerd: /healthz and every storage-backed route answer 503
 * problem+json with Retry-After (never a 500, never a stack), nothing is half-written, and the edge recovers
 * on its own once Redis is back. Waits are on events (redis-server's readiness line, the endpoint's reconnect).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, startEdgeStack, type EdgeStack } from "./harness";

describe("when Redis goes down behind the REST endpoint", () => {
  let stack: EdgeStack;
  beforeAll(async () => {
    stack = await startEdgeStack({ appendOnly: true });
  });
  afterAll(() => stack?.stop());

  it("healthz: 200 while Redis answers, 503 when it is killed, 200 again after a restart", async () => {
    const healthy = await stack.request("/healthz", { key: null });
    expect(healthy.status).toBe(200);
    expect(await healthy.json() as any).toMatchObject({ status: "ok", redisMs: expect.any(Number) });
    const before = await (await stack.request("/v1/jobs/noop", { method: "POST", json: { n: 1 } })).json() as any;

    await stack.redisServer.kill();

    const down = await stack.request("/healthz", { key: null });
    expect(Number(down.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    await expectProblem(down, 503, "redis_unavailable");

    for (const [path, method, json] of [
      ["/v1/jobs/noop", "POST", { n: 2 }],
      ["/v1/jobs/noop/batch", "POST", [{ data: { n: 3 } }, { data: { n: 4 } }]],
      [`/v1/jobs/${before.id}`, "GET", undefined],
      [`/v1/jobs/${before.id}`, "DELETE", undefined],
      ["/v1/queues", "GET", undefined],
    ] as const) {
      const response = await stack.request(path, { method, json });
      expect(response.headers.get("Retry-After"), `${method} ${path}`).not.toBeNull();
      await expectProblem(response, 503, "redis_unavailable");
    }

    await stack.redisServer.start();
    await stack.upstash.redisReady();
    expect((await stack.request("/healthz", { key: null })).status).toBe(200);

    // The job from before the outage survived (AOF); nothing from during it was written.
    const wait = await stack.io.lrange(stack.keys("noop").wait, 0, -1);
    expect(wait).toHaveLength(1);
    expect((await (await stack.request(`/v1/jobs/${before.id}`)).json() as any).state).toBe("waiting");
    expect((await stack.request("/v1/jobs/noop", { method: "POST", json: { n: 5 } })).status).toBe(202);
  });
});

describe("when the REST endpoint itself cannot be reached", () => {
  let stack: EdgeStack;
  beforeAll(async () => {
    // Port 9 (discard) on loopback: nothing listens, connections are refused at once.
    stack = await startEdgeStack({ upstashUrl: () => "http://127.0.0.1:9" });
  });
  afterAll(() => stack?.stop());

  it("answers 503 with Retry-After quickly, after a couple of short retries", async () => {
    const started = Date.now();
    const response = await stack.request("/v1/jobs/noop", { method: "POST", json: {} });
    expect(response.headers.get("Retry-After")).not.toBeNull();
    await expectProblem(response, 503, "redis_unavailable");
    expect(Date.now() - started).toBeLessThan(2_000);
    await expectProblem(await stack.request("/healthz", { key: null }), 503, "redis_unavailable");
  });
});
