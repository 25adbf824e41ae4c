/**
 * Read routes in workerd: queue counts (one pipelined Upstash request for every queue), the admin dead-letter
 * list, and the OpenAPI document. Jobs move through their states with the same scripts a worker runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimCall, parseJobId, settleCall } from "../../shared/src/index";
import { ADMIN_KEY, expectProblem, startEdgeStack, type EdgeStack } from "./harness";

let stack: EdgeStack;
const ids: string[] = [];
beforeAll(async () => {
  stack = await startEdgeStack();
  for (let i = 0; i < 4; i++) {
    ids.push((await (await stack.request("/v1/jobs/noop", { method: "POST", json: { i } })).json() as any).id);
  }
  expect((await stack.request("/v1/jobs/noop?delay=1h", { method: "POST", json: {} })).status).toBe(202);
  expect((await stack.request("/v1/jobs/webhook", { method: "POST", json: { url: "https://example.com/", body: 1 } })).status).toBe(202);

  // A worker "w1" takes the three oldest noop jobs; one completes, one is dead-lettered, one is still running.
  const keys = stack.keys("noop");
  await stack.io.zadd(keys.workers, Date.now() + 60_000, "w1");
  await stack.runner.run(claimCall(keys, "w1", 3));
  const [first, second] = ids.map((id) => parseJobId(id)!.localId);
  const error = JSON.stringify({ message: "boom", reason: "handler_error" });
  await stack.runner.run(
    settleCall(keys, "w1", [
      { entry: first!, recordId: first!, kind: "completed", payload: '{"ok":true}', runAt: 0, ttlMs: 60_000 },
      { entry: second!, recordId: second!, kind: "dead", payload: error, runAt: 0, ttlMs: 60_000 },
    ]),
  );
});
afterAll(() => stack?.stop());

describe("GET /v1/queues", () => {
  it("counts every job type in one Upstash request", async () => {
    stack.upstash.resetRequestCount();
    const response = await stack.request("/v1/queues");
    expect(response.status).toBe(200);
    expect(stack.upstash.requestCount()).toBe(1);
    const { queues } = await response.json() as any;
    expect(queues.map((queue: { name: string }) => queue.name)).toEqual(["webhook", "noop", "digest", "event", "callback"]);
    const byName = Object.fromEntries(queues.map((queue: { name: string }) => [queue.name, queue]));
    expect(byName.noop).toEqual({
      name: "noop",
      waiting: 1,
      active: 1,
      delayed: 1,
      dead: 1,
      completed: 1,
      failed: 1,
      stalled: 0,
      workers: 1,
      paused: false,
    });
    expect(byName.webhook).toMatchObject({ waiting: 1, active: 0, delayed: 0, dead: 0, completed: 0, failed: 0 });
    expect(byName.digest).toMatchObject({ waiting: 0, active: 0, delayed: 0, dead: 0, completed: 0, failed: 0 });
  });

  it("shows finished jobs' status: completed with its result, dead with its error", async () => {
    expect(await (await stack.request(`/v1/jobs/${ids[0]}`)).json() as any).toMatchObject({ state: "completed", result: { ok: true } });
    expect(await (await stack.request(`/v1/jobs/${ids[1]}`)).json() as any).toMatchObject({
      state: "dead",
      error: { message: "boom", reason: "handler_error" },
    });
  });
});

describe("GET /v1/admin/dead/{name}", () => {
  it("lists dead-lettered jobs with their errors, for admin keys", async () => {
    const response = await stack.request("/v1/admin/dead/noop", { key: ADMIN_KEY });
    expect(response.status).toBe(200);
    const page = await response.json() as any;
    expect(page).toMatchObject({ name: "noop", total: 1 });
    expect(page.jobs).toEqual([
      { id: ids[1], diedAt: expect.any(String), error: { message: "boom", reason: "handler_error" } },
    ]);
    expect(Date.parse(page.jobs[0].diedAt)).toBeGreaterThan(Date.now() - 60_000);
    const empty = await (await stack.request("/v1/admin/dead/noop?offset=1&limit=10", { key: ADMIN_KEY })).json() as any;
    expect(empty).toEqual({ name: "noop", total: 1, jobs: [] });
  });

  it("is 403 for producer keys, 404 for unknown names, 400 for bad paging", async () => {
    await expectProblem(await stack.request("/v1/admin/dead/noop"), 403, "forbidden");
    await expectProblem(await stack.request("/v1/admin/dead/nope", { key: ADMIN_KEY }), 404, "unknown_job");
    for (const [query, path] of [
      ["?limit=0", "query.limit"],
      ["?limit=501", "query.limit"],
      ["?offset=-1", "query.offset"],
      ["?page=2", "query.page"],
    ]) {
      const problem = await expectProblem(await stack.request(`/v1/admin/dead/noop${query}`, { key: ADMIN_KEY }), 400, "validation_failed");
      expect(problem.errors?.map((issue) => issue.path)).toEqual([path]);
    }
  });
});

describe("a full default-size batch", () => {
  it("takes 1000 jobs in one Upstash request", async () => {
    stack.upstash.resetRequestCount();
    const response = await stack.request("/v1/jobs/digest/batch", {
      method: "POST",
      json: Array.from({ length: 1_000 }, (_, i) => ({ data: { text: `item ${i}`, rounds: 1 } })),
    });
    expect(response.status).toBe(202);
    expect((await response.json() as any).jobs).toHaveLength(1_000);
    expect(stack.upstash.requestCount()).toBe(1);
    expect(await stack.io.llen(stack.keys("digest").wait)).toBe(1_000);
  });
});

describe("documentation", () => {
  it("serves an OpenAPI 3.1 document of every route, from the route schemas, with the bearer scheme", async () => {
    const response = await stack.request("/openapi.json", { key: null });
    expect(response.status).toBe(200);
    const doc = await response.json() as any;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ apiKey: [] }]);
    for (const name of ["webhook", "noop", "digest"]) {
      expect(doc.paths[`/v1/jobs/${name}`].post.responses).toHaveProperty("202");
      expect(doc.paths[`/v1/jobs/${name}/batch`].post.responses).toHaveProperty("202");
    }
    expect(Object.keys(doc.paths["/v1/jobs/{id}"]).sort()).toEqual(["delete", "get"]);
    expect(doc.paths["/v1/queues"].get).toBeDefined();
    expect(doc.paths["/v1/admin/dead/{name}"].get).toBeDefined();
    expect(doc.paths["/healthz"].get.security).toEqual([]);

    const webhook = doc.paths["/v1/jobs/webhook"].post;
    expect(webhook.requestBody.content["application/json"].schema.required).toEqual(["url", "body"]);
    expect(webhook.parameters.map((p: { name: string }) => p.name).sort()).toEqual(
      ["backoff", "callback", "callbackOn", "debounce", "dedupe", "delay", "group", "idempotency-key", "maxAttempts", "priority", "runAt", "timeout"].sort(),
    );
    // Priorities (issue 12): the batch item option and the status field are in the document too.
    expect(doc.components.schemas.JobOptions.properties.priority).toMatchObject({ type: "integer", minimum: 1, maximum: 10 });
    expect(doc.components.schemas.JobStatus.properties.priority).toMatchObject({ type: "integer", minimum: 1, maximum: 10 });
    expect(webhook.responses["422"].content).toHaveProperty("application/problem+json");
  });

  it("renders it at /docs", async () => {
    const response = await stack.request("/docs", { key: null });
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain("swagger-ui");
    // Served by the Worker (static assets), never from a CDN; the initializer is a file too (strict CSP).
    expect(html).not.toMatch(/https?:\/\//);
    const init = await stack.request("/dashboard/static/swagger-init.js", { key: null });
    expect(await init.text()).toContain('url: "/openapi.json"');
    expect((await stack.request("/docs/swagger-ui/swagger-ui-bundle.js", { key: null })).status).toBe(200);
  });
});
