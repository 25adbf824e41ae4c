/**
 * `POST /v1/jobs/{name}`, `GET /v1/jobs/{id}`, `DELETE /v1/jobs/{id}` in workerd against a real Redis: the 202
 * contract, what lands in Redis, query options, Idempotency-Key, and one Upstash request per accepted job.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { claimCall, FIELD, parseJobId } from "../../shared/src/index";
import { ADMIN_KEY, expectProblem, startEdgeStack, type EdgeStack } from "./harness";

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack();
});
afterAll(() => stack?.stop());
beforeEach(async () => {
  await stack.io.flushall();
  stack.upstash.resetRequestCount();
});

const enqueue = (name: string, payload: unknown, query = "", headers: Record<string, string> = {}) =>
  stack.request(`/v1/jobs/${name}${query}`, { method: "POST", json: payload, headers });

const record = (id: string) => stack.record(id);

describe("POST /v1/jobs/{name}", () => {
  it("answers 202 { id, name, state, statusUrl } with Location, and the job is in Redis", async () => {
    const started = Date.now();
    const response = await enqueue("noop", { hello: "world" });
    expect(response.status).toBe(202);
    const body = await response.json() as any;
    expect(Object.keys(body).sort()).toEqual(["id", "name", "state", "statusUrl"]);
    expect(body.id).toMatch(/^noop\.[0-9a-z]{16}$/);
    expect(body).toMatchObject({ name: "noop", state: "waiting", statusUrl: `${stack.url}/v1/jobs/${body.id}` });
    expect(response.headers.get("Location")).toBe(`/v1/jobs/${body.id}`);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);

    const stored = await record(body.id);
    // The name is implied by the queue and the attempt count starts absent: neither is stored (see record.ts).
    expect(stored).toMatchObject({ v: "1", s: "waiting", m: "3" });
    expect(stored.n).toBeUndefined();
    expect(JSON.parse(stored.d!)).toEqual({ hello: "world" });
    expect(Number(stored.c)).toBeGreaterThanOrEqual(started - 1_000);
    expect(await stack.io.lrange(stack.keys("noop").wait, 0, -1)).toEqual([parseJobId(body.id)!.localId]);
  });

  it("makes exactly one Upstash request per accepted job", async () => {
    for (let i = 1; i <= 5; i++) {
      expect((await enqueue("noop", { i })).status).toBe(202);
      expect(stack.upstash.requestCount()).toBe(i);
    }
    expect(await stack.io.llen(stack.keys("noop").wait)).toBe(5);
  });

  it("still makes one request per job when many arrive at once (no cross-request pipelining)", async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => enqueue("noop", { i })));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(202));
    expect(stack.upstash.requestCount()).toBe(20);
    expect(await stack.io.llen(stack.keys("noop").wait)).toBe(20);
  });

  it("stores the validated payload, defaults applied", async () => {
    const body = await (await enqueue("digest", { text: "abc" })).json() as any;
    expect(JSON.parse((await record(body.id)).d!)).toEqual({ text: "abc", rounds: 100_000 });
  });

  it("answers 400 with each invalid field's path, and asks nothing of Redis", async () => {
    const problem = await expectProblem(await enqueue("webhook", { url: "not a url", headers: { "x-a": 1 } }), 400, "validation_failed");
    expect(problem.errors?.map((issue) => issue.path).sort()).toEqual(["body", "headers.x-a", "url"]);
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("answers 404 unknown_job for a name the registry does not have", async () => {
    await expectProblem(await enqueue("nope", {}), 404, "unknown_job");
    await expectProblem(await enqueue("NOOP", {}), 404, "unknown_job");
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("refuses a webhook to a private destination with 400 forbidden_destination", async () => {
    const problem = await expectProblem(
      await enqueue("webhook", { url: "http://169.254.169.254/latest/meta-data", body: {} }),
      400,
      "forbidden_destination",
    );
    expect(problem.errors).toEqual([{ path: "url", message: expect.stringContaining("metadata") }]);
    await expectProblem(await enqueue("webhook", { url: "http://localhost:8080/hook", body: {} }), 400, "forbidden_destination");
    expect((await enqueue("webhook", { url: "https://hooks.example.com/in", body: { a: 1 } })).status).toBe(202);
    expect(stack.upstash.requestCount()).toBe(1);
  });
  it("answers 400 (not 500) to a webhook body nested too deep to validate, and enqueues nothing", async () => {
    const depth = 5_000;
    const response = await stack.request("/v1/jobs/webhook", {
      method: "POST",
      body: `{"url":"https://example.com/hook","body":${"[".repeat(depth)}1${"]".repeat(depth)}}`,
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(response, 400, "validation_failed");
    expect(stack.upstash.requestCount()).toBe(0);
  });

});

describe("query options", () => {
  it("delay puts the job in the delayed set, due delay from now", async () => {
    const before = Date.now();
    const body = await (await enqueue("noop", {}, "?delay=5m")).json() as any;
    expect(body.state).toBe("delayed");
    const score = Number(await stack.io.zscore(stack.keys("noop").delayed, parseJobId(body.id)!.localId));
    expect(score).toBeGreaterThanOrEqual(before + 300_000 - 1_000);
    expect(score).toBeLessThanOrEqual(Date.now() + 300_000 + 1_000);
    expect((await enqueue("noop", {}, "?delay=1500")).status).toBe(202);
  });

  it("runAt schedules at that time; a past runAt runs now", async () => {
    const runAt = "2031-05-06T07:08:09.000Z";
    const future = await (await enqueue("noop", {}, `?runAt=${encodeURIComponent(runAt)}`)).json() as any;
    expect(future.state).toBe("delayed");
    expect(Number(await stack.io.zscore(stack.keys("noop").delayed, parseJobId(future.id)!.localId))).toBe(Date.parse(runAt));
    expect((await record(future.id)).r).toBe(String(Date.parse(runAt)));
    const past = await (await enqueue("noop", {}, "?runAt=2001-01-01T00:00:00%2B02:00")).json() as any;
    expect(past.state).toBe("waiting");
  });

  it("maxAttempts, backoff and timeout land in the record", async () => {
    const body = await (await enqueue("noop", {}, "?maxAttempts=25&backoff=2s&timeout=1m")).json() as any;
    const stored = await record(body.id);
    expect(stored.m).toBe("25");
    expect(JSON.parse(stored.o!)).toEqual({ backoffMs: 2_000, timeoutMs: 60_000 });
    expect((await record((await (await enqueue("noop", {}, "?maxAttempts=1")).json() as any).id)).m).toBe("1");
  });

  it.each([
    ["?maxAttempts=0", "query.maxAttempts"],
    ["?maxAttempts=26", "query.maxAttempts"],
    ["?maxAttempts=three", "query.maxAttempts"],
    ["?delay=soon", "query.delay"],
    ["?delay=-1s", "query.delay"],
    ["?backoff=2 weeks", "query.backoff"],
    ["?timeout=0", "query.timeout"],
    ["?runAt=next%20tuesday", "query.runAt"],
    ["?delay=1s&runAt=2031-01-01T00:00:00Z", "query.runAt"],
    ["?delay=1s&delay=2s", "query.delay"],
    ["?priority=high", "query.priority"],
  ])("%s → 400 at %s, nothing enqueued", async (query, path) => {
    const problem = await expectProblem(await enqueue("noop", {}, query), 400, "validation_failed");
    expect(problem.errors?.map((issue) => issue.path)).toContain(path);
    expect(stack.upstash.requestCount()).toBe(0);
  });
});

describe("Idempotency-Key", () => {
  it("the same key and payload return the same job: 202, Idempotent-Replayed, one job in Redis", async () => {
    const headers = { "Idempotency-Key": "order-42" };
    const first = await enqueue("noop", { order: 42 }, "", headers);
    expect(first.status).toBe(202);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const firstBody = await first.json() as any;

    const again = await enqueue("noop", { order: 42 }, "", headers);
    expect(again.status).toBe(202);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    const againBody = await again.json() as any;
    expect(againBody.id).toBe(firstBody.id);
    expect(again.headers.get("Location")).toBe(`/v1/jobs/${firstBody.id}`);
    expect(await stack.io.llen(stack.keys("noop").wait)).toBe(1);
    expect(stack.upstash.requestCount()).toBe(2);
  });

  it("the same key with a different payload is 422, and nothing new is enqueued", async () => {
    const headers = { "Idempotency-Key": "order-43" };
    const first = await (await enqueue("noop", { order: 43 }, "", headers)).json() as any;
    const problem = await expectProblem(await enqueue("noop", { order: 44 }, "", headers), 422, "idempotency_conflict");
    expect(problem.detail).toContain(first.id);
    expect(await stack.io.llen(stack.keys("noop").wait)).toBe(1);
  });

  it("keys are per job type, and at most 255 characters", async () => {
    const headers = { "Idempotency-Key": "k".repeat(255) };
    expect((await enqueue("noop", {}, "", headers)).status).toBe(202);
    expect((await enqueue("digest", { text: "x" }, "", headers)).status).toBe(202);
    const problem = await expectProblem(
      await enqueue("noop", {}, "", { "Idempotency-Key": "k".repeat(256) }),
      400,
      "validation_failed",
    );
    expect(problem.errors?.[0]?.path).toBe("header.idempotency-key");
  });
});

describe("GET /v1/jobs/{id}", () => {
  it("answers 200 with the status record", async () => {
    const { id } = await (await enqueue("noop", { a: 1 }, "?maxAttempts=2")).json() as any;
    const response = await stack.request(`/v1/jobs/${id}`);
    expect(response.status).toBe(200);
    const status = await response.json() as any;
    expect(status).toMatchObject({
      id,
      name: "noop",
      state: "waiting",
      attempt: 0,
      maxAttempts: 2,
      startedAt: null,
      finishedAt: null,
      progress: null,
      result: null,
      error: null,
      stalls: 0,
    });
    expect(Date.parse(status.createdAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("gives producer keys an error's message and reason only; admin keys keep the stack", async () => {
    const { id } = await (await enqueue("noop", {})).json() as any;
    const stored = { message: "boom", reason: "max_attempts", stack: "Error: boom\n    at run (/srv/offload/worker/run.js:12:7)", raw: "x" };
    const { queue, localId } = parseJobId(id)!;
    await stack.io.hset(stack.keys(queue).job(localId), FIELD.error, JSON.stringify(stored));

    const producerText = await (await stack.request(`/v1/jobs/${id}`)).text();
    expect(JSON.parse(producerText).error).toEqual({ message: "boom", reason: "max_attempts" });
    expect(producerText).not.toContain("/srv/offload");
    const admin = await (await stack.request(`/v1/jobs/${id}`, { key: ADMIN_KEY })).json() as any;
    expect(admin.error).toEqual(stored);
  });

  it.each(["noop.0000000000000000", "webhook.zzzzzzzzzzzzzzzz", "nope.mfz3k2x9q1a8b7c6", "not-an-id", "noop.short"])(
    "answers 404 for %s",
    async (id) => {
      await expectProblem(await stack.request(`/v1/jobs/${id}`), 404, "job_not_found");
    },
  );
});

describe("DELETE /v1/jobs/{id}", () => {
  it("cancels a waiting job (200) and takes it off the wait list", async () => {
    const { id } = await (await enqueue("noop", {})).json() as any;
    const response = await stack.request(`/v1/jobs/${id}`, { method: "DELETE" });
    expect(response.status).toBe(200);
    expect(await response.json() as any).toEqual({ id, state: "cancelled", previousState: "waiting" });
    expect(await stack.io.llen(stack.keys("noop").wait)).toBe(0);
    expect((await (await stack.request(`/v1/jobs/${id}`)).json() as any).state).toBe("cancelled");
  });

  it("cancels a delayed job (200) and takes it out of the delayed set", async () => {
    const { id } = await (await enqueue("noop", {}, "?delay=1h")).json() as any;
    const response = await stack.request(`/v1/jobs/${id}`, { method: "DELETE" });
    expect(await response.json() as any).toEqual({ id, state: "cancelled", previousState: "delayed" });
    expect(await stack.io.zcard(stack.keys("noop").delayed)).toBe(0);
  });

  it("answers 409 for an active job and for one already finished", async () => {
    const { id } = await (await enqueue("noop", {})).json() as any;
    await stack.runner.run(claimCall(stack.keys("noop"), "test-worker", 1)); // what a worker does
    expect((await record(id)).s).toBe("active");
    const problem = await expectProblem(await stack.request(`/v1/jobs/${id}`, { method: "DELETE" }), 409, "job_not_cancellable");
    expect(problem.detail).toContain("active");

    const other = await (await enqueue("noop", {})).json() as any;
    expect((await stack.request(`/v1/jobs/${other.id}`, { method: "DELETE" })).status).toBe(200);
    await expectProblem(await stack.request(`/v1/jobs/${other.id}`, { method: "DELETE" }), 409, "job_not_cancellable");
  });

  it("answers 404 for an unknown job", async () => {
    await expectProblem(await stack.request("/v1/jobs/noop.0000000000000000", { method: "DELETE" }), 404, "job_not_found");
    await expectProblem(await stack.request("/v1/jobs/garbage", { method: "DELETE" }), 404, "job_not_found");
  });
});
