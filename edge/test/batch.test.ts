/**
 * `POST /v1/jobs/{name}/batch` in workerd: everything validated before anything is enqueued, then one Upstash
 * request for the whole batch.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseJobId } from "../../shared/src/index";
import { expectProblem, startEdgeStack, type EdgeStack } from "./harness";

const MAX_BATCH_SIZE = 200;

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack({ vars: { MAX_BATCH_SIZE: String(MAX_BATCH_SIZE) } });
});
afterAll(() => stack?.stop());
beforeEach(async () => {
  await stack.io.flushall();
  stack.upstash.resetRequestCount();
});

const batch = (name: string, items: unknown, headers: Record<string, string> = {}) =>
  stack.request(`/v1/jobs/${name}/batch`, { method: "POST", json: items, headers });

const webhook = (i: number): { data: unknown } => ({ data: { url: `https://hooks.example.com/${i}`, body: { i } } });

describe("POST /v1/jobs/{name}/batch", () => {
  it("enqueues every valid item in one Upstash request and answers 202 { jobs } in order", async () => {
    const items = Array.from({ length: MAX_BATCH_SIZE }, (_, i) => webhook(i));
    const response = await batch("webhook", items);
    expect(response.status).toBe(202);
    const { jobs } = await response.json() as any;
    expect(jobs).toHaveLength(MAX_BATCH_SIZE);
    expect(new Set(jobs.map((job: { id: string }) => job.id)).size).toBe(MAX_BATCH_SIZE);
    for (const job of jobs) {
      expect(job).toMatchObject({ name: "webhook", state: "waiting", statusUrl: `${stack.url}/v1/jobs/${job.id}` });
    }
    expect(stack.upstash.requestCount()).toBe(1);
    // Webhook jobs are grouped by destination host: all of them in the host's group, one token in the wait list.
    expect(await stack.io.zcard(stack.keys("webhook").groupWait("hooks.example.com"))).toBe(MAX_BATCH_SIZE);
    expect(await stack.io.lrange(stack.keys("webhook").wait, 0, -1)).toEqual(["^hooks.example.com"]);
    const third = parseJobId(jobs[3].id)!;
    expect(JSON.parse((await stack.record(`webhook.${third.localId}`)).d!)).toMatchObject({ body: { i: 3 } });
  });

  it("applies each item's options", async () => {
    const response = await batch("noop", [
      { data: {} },
      { data: {}, options: { delay: "10m" } },
      { data: {}, options: { delay: 60_000, maxAttempts: 2, backoff: "3s", timeout: 5_000 } },
      { data: {}, options: { runAt: "2032-01-01T00:00:00Z" } },
    ]);
    const { jobs } = await response.json() as any;
    expect(jobs.map((job: { state: string }) => job.state)).toEqual(["waiting", "delayed", "delayed", "delayed"]);
    const stored = await stack.record(jobs[2].id);
    expect(stored.m).toBe("2");
    expect(JSON.parse(stored.o!)).toEqual({ backoffMs: 3_000, timeoutMs: 5_000 });
    expect(await stack.io.zscore(stack.keys("noop").delayed, parseJobId(jobs[3].id)!.localId)).toBe(
      String(Date.parse("2032-01-01T00:00:00Z")),
    );
    expect(stack.upstash.requestCount()).toBe(1);
  });

  it("rejects the whole batch when one item is invalid: 400 with its indexed path, nothing enqueued", async () => {
    const items = Array.from({ length: 10 }, (_, i) => webhook(i));
    items[3] = { data: { url: "nope", body: {} } };
    const problem = await expectProblem(await batch("webhook", items), 400, "validation_failed");
    expect(problem.errors).toEqual([{ path: "3.data.url", message: expect.any(String) }]);
    expect(stack.upstash.requestCount()).toBe(0);
    expect(await stack.io.dbsize()).toBe(0);
  });

  it("lists every invalid item, data and options alike", async () => {
    const problem = await expectProblem(
      await batch("noop", [{ data: {} }, { data: "x" }, { data: {}, options: { delay: "soon", idempotencyKey: "k" } }, {}]),
      400,
      "validation_failed",
    );
    expect(problem.errors?.map((issue) => issue.path).sort()).toEqual(["1.data", "2.options.delay", "2.options.idempotencyKey", "3.data"]);
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("refuses a forbidden webhook destination at its index", async () => {
    const problem = await expectProblem(
      await batch("webhook", [webhook(0), { data: { url: "http://10.0.0.7/hook", body: {} } }]),
      400,
      "forbidden_destination",
    );
    expect(problem.errors?.map((issue) => issue.path)).toEqual(["1.data.url"]);
    expect(await stack.io.dbsize()).toBe(0);
  });

  it("needs 1 to MAX_BATCH_SIZE items in an array", async () => {
    await expectProblem(await batch("noop", []), 400, "validation_failed");
    await expectProblem(await batch("noop", { data: {} }), 400, "validation_failed");
    const tooMany = await expectProblem(
      await batch("noop", Array.from({ length: MAX_BATCH_SIZE + 1 }, () => ({ data: {} }))),
      400,
      "validation_failed",
    );
    expect(tooMany.detail).toContain(String(MAX_BATCH_SIZE));
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("answers 404 unknown_job for a name the registry does not have", async () => {
    await expectProblem(await batch("nope", [{ data: {} }]), 404, "unknown_job");
  });
});

describe("POST /v1/jobs/{name}/batch with an Idempotency-Key", () => {
  const items = [webhook(0), { ...webhook(1), options: { delay: "10m" } }, webhook(2)];
  const ids = async (response: Response) => ((await response.json()) as { jobs: { id: string }[] }).jobs.map((job) => job.id);
  const jobRecords = async () => (await stack.io.keys("*:job:*")).length;

  it("the same key and body answer the same ids with Idempotent-Replayed: true, and create nothing new", async () => {
    const headers = { "Idempotency-Key": "import-1" };
    const first = await batch("webhook", items, headers);
    expect(first.status).toBe(202);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const firstIds = await ids(first);
    expect(await jobRecords()).toBe(3);

    const again = await batch("webhook", items, headers);
    expect(again.status).toBe(202);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await ids(again)).toEqual(firstIds);
    expect(await jobRecords()).toBe(3);
    // Two waiting jobs (in their host's group) and the marker for the delayed one, from the first request only.
    expect(await stack.io.zcard(stack.keys("webhook").groupWait("hooks.example.com"))).toBe(2);
    expect(stack.upstash.requestCount()).toBe(2);
  });

  it("a different body with the same key is 422 idempotency_conflict and writes nothing, even a longer one", async () => {
    const headers = { "Idempotency-Key": "import-2" };
    expect((await batch("webhook", items, headers)).status).toBe(202);
    const before = (await stack.io.keys("*")).sort();

    // Longer (two extra items), same first items: the extras must not be created.
    await expectProblem(await batch("webhook", [...items, webhook(3), webhook(4)], headers), 422, "idempotency_conflict");
    // Same length, one item's options differ.
    await expectProblem(await batch("webhook", [webhook(0), webhook(1), webhook(2)], headers), 422, "idempotency_conflict");
    // Shorter.
    await expectProblem(await batch("webhook", [webhook(0)], headers), 422, "idempotency_conflict");
    expect((await stack.io.keys("*")).sort()).toEqual(before);
    expect(await jobRecords()).toBe(3);
  });

  it("another key, or none, is another batch", async () => {
    const a = await ids(await batch("noop", [{ data: {} }], { "Idempotency-Key": "k-a" }));
    const b = await ids(await batch("noop", [{ data: {} }], { "Idempotency-Key": "k-b" }));
    const c = await ids(await batch("noop", [{ data: {} }]));
    expect(new Set([...a, ...b, ...c]).size).toBe(3);
  });

  it("is documented in the OpenAPI document: the header, the replay header and the 422", async () => {
    const doc = (await (await stack.request("/openapi.json")).json()) as any;
    const operation = doc.paths["/v1/jobs/noop/batch"].post;
    const header = operation.parameters.find((parameter: { name: string }) => parameter.name === "idempotency-key");
    expect(header).toMatchObject({ in: "header", required: false, schema: { maxLength: 255 } });
    expect(header.description).toContain("whole batch");
    expect(operation.responses["202"].description).toContain("Idempotent-Replayed");
    expect(operation.responses["422"].description).toContain("nothing was enqueued");
    expect(operation.responses["503"].description).toContain("Idempotency-Key");
  });

  it("refuses a key longer than 255 characters: 400 at header.idempotency-key, nothing sent to Redis", async () => {
    const problem = await expectProblem(await batch("noop", [{ data: {} }], { "Idempotency-Key": "k".repeat(256) }), 400, "validation_failed");
    expect(problem.errors?.[0]?.path).toBe("header.idempotency-key");
    expect(stack.upstash.requestCount()).toBe(0);
    expect(await stack.io.dbsize()).toBe(0);
  });
});
