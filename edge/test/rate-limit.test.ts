/**
 * RATE_LIMIT in workerd with @upstash/ratelimit over the local endpoint: per API key, 429 + Retry-After.
 *
 * @upstash/ratelimit (2.1+) starts every script with `#!lua flags=allow-key-locking`, a flag only Upstash
 * understands; upstash-local drops it before the script reaches redis-server (upstash-script-flags.ts).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { expectProblem, OTHER_PRODUCER_KEY, startEdgeStack, type EdgeStack } from "./harness";

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack({ vars: { RATE_LIMIT: "3/1m" } });
});
afterAll(() => stack?.stop());

const enqueue = (key?: string) => stack.request("/v1/jobs/noop", { method: "POST", json: {}, key });

/**
 * The sliding window weighs the previous minute by how much of it still overlaps, so 3 requests just before a
 * window boundary and a 4th just after it are within budget (floor(3 × 0.99) + 1 ≤ 3): start the test in the
 * first 50 s of a window. This waits for a clock condition (windows are aligned to the epoch minute), not for an
 * event another component could signal.
 */
async function awayFromWindowEdge(windowMs = 60_000): Promise<void> {
  const into = Date.now() % windowMs;
  if (into > windowMs - 10_000) await new Promise((resolve) => setTimeout(resolve, windowMs - into + 50));
}

it("lets 3 requests per minute through per key, then answers 429 with Retry-After", async () => {
  await awayFromWindowEdge();
  for (let i = 0; i < 3; i++) expect((await enqueue()).status).toBe(202);
  const limited = await enqueue();
  const retryAfter = Number(limited.headers.get("Retry-After"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  await expectProblem(limited, 429, "rate_limited");
  expect(await stack.io.llen(stack.keys("noop").wait)).toBe(3);

  // Another key has its own budget.
  expect((await enqueue(OTHER_PRODUCER_KEY)).status).toBe(202);
});

it("keeps no API key in Redis: buckets are named by a digest", async () => {
  const keys = await stack.io.keys("offload:ratelimit*");
  expect(keys.length).toBeGreaterThan(0);
  expect(keys.join(" ")).not.toContain("producer-key");
});
