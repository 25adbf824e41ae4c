/**
 * The admin HTTP API in workerd against a real Redis: every route, 403 for producer keys, 400s with paths,
 * 404/409, a paused queue still answering 202 to enqueues, and replaying twice enqueuing once. Jobs are moved
 * through their states with the same scripts a worker runs (claim, settle), over a second client.
 */
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { claimCall, parseClaimReply, parseJobId, settleCall, type JobState } from "../../shared/src/index";
import { ADMIN_KEY, expectProblem, startEdgeStack, type EdgeStack } from "./harness";

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack();
});
afterAll(() => stack?.stop());
beforeEach(async () => {
  await stack.io.flushall();
});

const admin = (path: string, init: Parameters<EdgeStack["request"]>[1] = {}) => stack.request(path, { key: ADMIN_KEY, ...init });

async function enqueue(query = "", payload: unknown = {}): Promise<string> {
  const response = await stack.request(`/v1/jobs/noop${query}`, { method: "POST", json: payload });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

const STACK = "Error: boom\n    at run (/srv/offload/worker/run.js:12:7)";

/** Enqueues a noop job and dead-letters it the way a worker would: claim it, settle it as dead. Call it while
 * nothing else waits (the claim takes the oldest waiting job). */
async function deadJob(message = "boom"): Promise<string> {
  const id = await enqueue("?maxAttempts=1");
  const keys = stack.keys("noop");
  const claimed = parseClaimReply(await stack.runner.run(claimCall(keys, "test-worker", 1))).claimed;
  expect(claimed.map((job) => job.entry)).toEqual([parseJobId(id)!.localId]);
  const error = JSON.stringify({ message, reason: "max_attempts", stack: STACK });
  const settlement = { entry: claimed[0]!.entry, recordId: claimed[0]!.entry, kind: "dead" as const, payload: error, runAt: 0, ttlMs: 86_400_000, runMs: 3 };
  await stack.runner.run(settleCall(keys, "test-worker", [settlement]));
  return id;
}

async function state(id: string): Promise<JobState> {
  return ((await (await admin(`/v1/jobs/${id}`)).json()) as { state: JobState }).state;
}

const ROUTES: [string, string, unknown?][] = [
  ["GET", "/v1/admin/queues/noop"],
  ["GET", "/v1/admin/queues/noop/jobs?state=waiting"],
  ["POST", "/v1/admin/queues/noop/pause"],
  ["POST", "/v1/admin/queues/noop/resume"],
  ["POST", "/v1/admin/queues/noop/dead/replay", { all: true }],
  ["DELETE", "/v1/admin/queues/noop/dead"],
  ["POST", "/v1/admin/jobs/noop.0000000000000000/retry"],
  ["POST", "/v1/admin/jobs/noop.0000000000000000/promote"],
  ["PUT", "/v1/admin/queues/noop/limits", { concurrency: 2 }],
];

describe("access", () => {
  it.each(ROUTES)("%s %s answers 403 to a producer key and 401 to no key, and changes nothing", async (method, path, json) => {
    await expectProblem(await stack.request(path, { method, json }), 403, "forbidden");
    await expectProblem(await stack.request(path, { method, json, key: null }), 401, "unauthorized");
    expect(await stack.io.dbsize()).toBe(0);
  });

  it("every route is in the OpenAPI document, tagged admin, with its 403", async () => {
    const document = (await (await stack.request("/openapi.json", { key: null })).json()) as { paths: Record<string, Record<string, { tags: string[]; responses: Record<string, unknown> }>> };
    for (const [method, path] of ROUTES) {
      const template = path.split("?")[0]!.replace("noop.0000000000000000", "{id}").replace("/queues/noop", "/queues/{name}");
      const operation = document.paths[template]?.[method.toLowerCase()];
      expect(operation, `${method} ${template}`).toBeDefined();
      expect(operation!.tags).toEqual(["admin"]);
      expect(operation!.responses).toHaveProperty("403");
    }
    expect(document.paths["/v1/admin/dead/{name}"]?.get).toBeDefined(); // the existing route stays
  });

  it("unknown queues are 404 on every queue route", async () => {
    for (const [method, path, json] of ROUTES.slice(0, 6)) {
      await expectProblem(await admin(path.replace("/queues/noop", "/queues/nope"), { method, json }), 404, "unknown_job");
    }
  });
});

describe("PUT /v1/admin/queues/{name}/limits", () => {
  const limits = (json: unknown) => admin("/v1/admin/queues/noop/limits", { method: "PUT", json });

  it("sets the override, answers the limits in effect, shows them in the queue detail, and null falls back", async () => {
    const response = await limits({ rate: "100/1s", concurrency: 5 });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      rate: "100/1s",
      concurrency: 5,
      override: { rate: "100/1s", concurrency: 5 },
      definition: { rate: null, concurrency: null },
      throttledUntil: null,
    });
    // Stored in the queue's meta hash, where every claim reads it.
    expect(await stack.io.hgetall(stack.keys("noop").meta)).toMatchObject({ rate: "100/1000", concurrency: "5" });
    expect(((await (await admin("/v1/admin/queues/noop?minutes=1")).json()) as any).limits).toMatchObject({ rate: "100/1s", concurrency: 5 });
    // A field left out stays; null clears it (this definition has none, so no limit applies).
    expect(await (await limits({ rate: "1000/m" })).json()).toMatchObject({ rate: "1000/1m", concurrency: 5 });
    expect(await (await limits({ rate: null })).json()).toMatchObject({ rate: null, concurrency: 5, override: { rate: null, concurrency: 5 } });
    expect(await (await limits({ concurrency: null })).json()).toMatchObject({ rate: null, concurrency: null });
    expect(await stack.io.hget(stack.keys("noop").meta, "concurrency")).toBeNull();
  });

  it("the queue detail of a queue without limits says so", async () => {
    expect(((await (await admin("/v1/admin/queues/noop?minutes=1")).json()) as any).limits).toEqual({
      rate: null,
      concurrency: null,
      override: { rate: null, concurrency: null },
      definition: { rate: null, concurrency: null },
      throttledUntil: null,
    });
  });

  it.each<[string, unknown, string[]]>([
    ["an empty object", {}, ["rate"]],
    ["a rate that is not max/duration", { rate: "fast" }, ["rate"]],
    ["a rate of zero", { rate: "0/1s" }, ["rate"]],
    ["a window that is not a duration", { rate: "10/soon" }, ["rate"]],
    ["a rate that is a number", { rate: 10 }, ["rate"]],
    ["concurrency 0", { concurrency: 0 }, ["concurrency"]],
    ["a fractional concurrency", { concurrency: 1.5 }, ["concurrency"]],
    ["a concurrency that is text", { concurrency: "5" }, ["concurrency"]],
    ["both bad", { rate: "x", concurrency: -1 }, ["rate", "concurrency"]],
    ["an unknown field", { concurrency: 2, burst: 3 }, ["burst"]],
  ])("answers 400 with paths to %s, and changes nothing", async (_, json, paths) => {
    const problem = await expectProblem(await limits(json), 400, "validation_failed");
    expect(problem.errors?.map((issue) => issue.path)).toEqual(paths);
    expect(await stack.io.exists(stack.keys("noop").meta)).toBe(0);
  });

  it("is in the OpenAPI document with its request body and answers", async () => {
    const document = (await (await stack.request("/openapi.json", { key: null })).json()) as any;
    const operation = document.paths["/v1/admin/queues/{name}/limits"].put;
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["200", "400", "403", "404"]));
    expect(operation.requestBody.content["application/json"].schema).toBeDefined();
    expect(document.components.schemas.QueueDetail.properties.limits).toBeDefined();
  });
});

describe("GET /v1/admin/queues/{name}", () => {
  it("answers counts by state, paused, workers and 24 h of per-minute history", async () => {
    await deadJob(); // first: it claims the oldest waiting job
    await enqueue();
    await enqueue("?delay=1h");
    const response = await admin("/v1/admin/queues/noop");
    expect(response.status).toBe(200);
    const detail = (await response.json()) as any;
    expect(detail).toMatchObject({
      name: "noop",
      paused: false,
      counts: { waiting: 1, delayed: 1, active: 0, dead: 1, completed: 0, cancelled: 0 },
      totals: { dead: 1 },
    });
    expect(detail.workers).toEqual([]); // the test claimed without a lease
    expect(detail.history).toHaveLength(1_440);
    expect(detail.history.at(-1)).toMatchObject({ dead: 1 });
    expect(Date.parse(detail.history.at(-1).minute)).toBeLessThanOrEqual(Date.now());
  });

  it("?minutes narrows the history; out of range is a 400 at query.minutes", async () => {
    expect(((await (await admin("/v1/admin/queues/noop?minutes=5")).json()) as any).history).toHaveLength(5);
    for (const minutes of ["0", "1441", "x"]) {
      const problem = await expectProblem(await admin(`/v1/admin/queues/noop?minutes=${minutes}`), 400, "validation_failed");
      expect(problem.errors?.map((issue) => issue.path)).toEqual(["query.minutes"]);
    }
    const unknown = await expectProblem(await admin("/v1/admin/queues/noop?minute=5"), 400, "validation_failed");
    expect(unknown.errors?.map((issue) => issue.path)).toEqual(["query.minute"]);
  });
});

describe("GET /v1/admin/queues/{name}/jobs", () => {
  it("pages waiting jobs in run order with an opaque cursor, to nextCursor: null", async () => {
    const ids = [await enqueue(), await enqueue(), await enqueue()];
    const first = (await (await admin("/v1/admin/queues/noop/jobs?state=waiting&limit=2")).json()) as any;
    expect(first.jobs.map((job: { id: string }) => job.id)).toEqual(ids.slice(0, 2));
    expect(first.jobs[0]).toMatchObject({ state: "waiting", data: {}, errors: [] });
    expect(typeof first.nextCursor).toBe("string");
    const cursor = encodeURIComponent(first.nextCursor);
    const second = (await (await admin(`/v1/admin/queues/noop/jobs?state=waiting&limit=2&cursor=${cursor}`)).json()) as any;
    expect(second.jobs.map((job: { id: string }) => job.id)).toEqual(ids.slice(2));
    expect(second.nextCursor).toBeNull();
  });

  it("dead jobs keep their stacks for admin keys", async () => {
    const id = await deadJob();
    const page = (await (await admin("/v1/admin/queues/noop/jobs?state=dead")).json()) as any;
    expect(page.jobs).toHaveLength(1);
    expect(page.jobs[0]).toMatchObject({ id, state: "dead", error: { message: "boom", stack: STACK } });
  });

  it.each([
    ["", "query.state"],
    ["?state=sleeping", "query.state"],
    ["?state=waiting&limit=0", "query.limit"],
    ["?state=waiting&limit=501", "query.limit"],
    ["?state=waiting&cursor=garbage", "query.cursor"],
    ["?state=waiting&page=2", "query.page"],
  ])("answers 400 with the path for %j", async (query, path) => {
    const problem = await expectProblem(await admin(`/v1/admin/queues/noop/jobs${query}`), 400, "validation_failed");
    expect(problem.errors?.map((issue) => issue.path)).toEqual([path]);
  });

  it("a cursor issued for another state is a 400 at query.cursor, not a 500", async () => {
    await enqueue();
    await enqueue();
    const { nextCursor } = (await (await admin("/v1/admin/queues/noop/jobs?state=waiting&limit=1")).json()) as any;
    const problem = await expectProblem(
      await admin(`/v1/admin/queues/noop/jobs?state=dead&cursor=${encodeURIComponent(nextCursor)}`),
      400,
      "validation_failed",
    );
    expect(problem.errors?.map((issue) => issue.path)).toEqual(["query.cursor"]);
  });
});

describe("pause and resume", () => {
  it("a paused queue still answers 202 to enqueues, starts nothing, and resume makes the jobs claimable", async () => {
    expect(await (await admin("/v1/admin/queues/noop/pause", { method: "POST" })).json()).toEqual({ name: "noop", paused: true });
    const id = await enqueue();
    expect(((await (await admin("/v1/admin/queues/noop")).json()) as any).paused).toBe(true);
    const keys = stack.keys("noop");
    expect(parseClaimReply(await stack.runner.run(claimCall(keys, "test-worker", 10))).claimed).toEqual([]);
    expect(await state(id)).toBe("waiting");

    expect(await (await admin("/v1/admin/queues/noop/resume", { method: "POST" })).json()).toEqual({ name: "noop", paused: false });
    const claimed = parseClaimReply(await stack.runner.run(claimCall(keys, "test-worker", 10))).claimed;
    expect(claimed.map((job) => job.entry)).toEqual([parseJobId(id)!.localId]);
  });

  it("pausing twice and resuming twice are idempotent", async () => {
    for (let i = 0; i < 2; i++) expect((await admin("/v1/admin/queues/noop/pause", { method: "POST" })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      expect(await (await admin("/v1/admin/queues/noop/resume", { method: "POST" })).json()).toEqual({ name: "noop", paused: false });
    }
  });
});

describe("POST /v1/admin/queues/{name}/dead/replay", () => {
  it("replays by id with the same id; replaying twice enqueues once", async () => {
    const id = await deadJob();
    const first = await admin("/v1/admin/queues/noop/dead/replay", { method: "POST", json: { ids: [id] } });
    expect(await first.json()).toEqual({ replayed: 1, skipped: [] });
    expect(await state(id)).toBe("waiting");
    const second = (await (await admin("/v1/admin/queues/noop/dead/replay", { method: "POST", json: { ids: [id] } })).json()) as any;
    expect(second.replayed).toBe(0);
    expect(second.skipped).toEqual([{ id, reason: expect.any(String) }]);
    const waiting = (await stack.io.lrange(stack.keys("noop").wait, 0, -1)).filter((entry) => entry !== "~"); // ~: wake marker
    expect(waiting).toEqual([parseJobId(id)!.localId]);
  });

  it("{ all: true } replays every dead letter", async () => {
    const ids = [await deadJob("a"), await deadJob("b")];
    expect(await (await admin("/v1/admin/queues/noop/dead/replay", { method: "POST", json: { all: true } })).json()).toEqual({ replayed: 2, skipped: [] });
    for (const id of ids) expect(await state(id)).toBe("waiting");
    expect(((await (await admin("/v1/admin/queues/noop")).json()) as any).counts.dead).toBe(0);
  });

  it.each<[string, unknown, string[]]>([
    ["an empty object", {}, ["ids"]],
    ["both ids and all", { ids: ["noop.0000000000000000"], all: true }, ["ids"]],
    ["all: false", { all: false }, ["all"]],
    ["a number among the ids", { ids: ["noop.0000000000000000", 7] }, ["ids.1"]],
    ["an empty id list", { ids: [] }, ["ids"]],
    ["an unknown field", { all: true, force: true }, ["force"]],
    ["an array", [], [""]],
  ])("answers 400 with paths to %s, and replays nothing", async (_, json, paths) => {
    const id = await deadJob();
    const problem = await expectProblem(await admin("/v1/admin/queues/noop/dead/replay", { method: "POST", json }), 400, "validation_failed");
    expect(problem.errors?.map((issue) => issue.path)).toEqual(paths);
    expect(await state(id)).toBe("dead");
  });

  it("answers 400 malformed_json to a body that does not parse, and 415 to a non-JSON body", async () => {
    const headers = { "Content-Type": "application/json" };
    await expectProblem(await admin("/v1/admin/queues/noop/dead/replay", { method: "POST", body: "{", headers }), 400, "malformed_json");
    await expectProblem(await admin("/v1/admin/queues/noop/dead/replay", { method: "POST", body: "all", headers: { "Content-Type": "text/plain" } }), 415, "unsupported_media_type");
  });
});

describe("DELETE /v1/admin/queues/{name}/dead", () => {
  it("purges dead letters that died before a time, then all", async () => {
    const id = await deadJob();
    const past = await admin("/v1/admin/queues/noop/dead?before=2000-01-01T00:00:00Z", { method: "DELETE" });
    expect(await past.json()).toEqual({ purged: 0 });
    expect(await state(id)).toBe("dead");
    const future = await admin(`/v1/admin/queues/noop/dead?before=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { method: "DELETE" });
    expect(await future.json()).toEqual({ purged: 1 });
    await expectProblem(await admin(`/v1/jobs/${id}`), 404, "job_not_found");
    await deadJob();
    expect(await (await admin("/v1/admin/queues/noop/dead", { method: "DELETE" })).json()).toEqual({ purged: 1 });
  });

  it.each(["yesterday", "2030-01-01", "2030-01-01T00:00:00"])("answers 400 at query.before to %j", async (before) => {
    const problem = await expectProblem(await admin(`/v1/admin/queues/noop/dead?before=${before}`, { method: "DELETE" }), 400, "validation_failed");
    expect(problem.errors?.map((issue) => issue.path)).toEqual(["query.before"]);
  });
});

describe("POST /v1/admin/jobs/{id}/retry and /promote", () => {
  it("retry moves a dead job to waiting; a second retry is a 409 with its state", async () => {
    const id = await deadJob();
    expect(await (await admin(`/v1/admin/jobs/${id}/retry`, { method: "POST" })).json()).toEqual({ id, state: "waiting" });
    expect(await state(id)).toBe("waiting");
    const problem = await expectProblem(await admin(`/v1/admin/jobs/${id}/retry`, { method: "POST" }), 409, "job_not_retryable");
    expect((problem as { state?: string }).state).toBe("waiting");
  });

  it("retry moves a cancelled job to waiting", async () => {
    const id = await enqueue();
    expect((await stack.request(`/v1/jobs/${id}`, { method: "DELETE" })).status).toBe(200);
    expect(await (await admin(`/v1/admin/jobs/${id}/retry`, { method: "POST" })).json()).toEqual({ id, state: "waiting" });
  });

  it("promote runs a delayed job now; promoting a waiting job is a 409 with its state", async () => {
    const id = await enqueue("?delay=1h");
    expect(await (await admin(`/v1/admin/jobs/${id}/promote`, { method: "POST" })).json()).toEqual({ id, state: "waiting" });
    // The move may push the wake marker (~) too, for workers blocked on an empty list.
    const waiting = (await stack.io.lrange(stack.keys("noop").wait, 0, -1)).filter((entry) => entry !== "~");
    expect(waiting).toEqual([parseJobId(id)!.localId]);
    const problem = await expectProblem(await admin(`/v1/admin/jobs/${id}/promote`, { method: "POST" }), 409, "job_not_promotable");
    expect((problem as { state?: string }).state).toBe("waiting");
  });

  it.each(["noop.0000000000000000", "nope.mfz3k2x9q1a8b7c6", "not-an-id"])("answers 404 for %s", async (id) => {
    for (const move of ["retry", "promote"]) {
      await expectProblem(await admin(`/v1/admin/jobs/${id}/${move}`, { method: "POST" }), 404, "job_not_found");
    }
  });
});

describe("bad input on every admin route (fast-check)", () => {
  // Hostile or careless values in every slot a route reads: path segments, query values, bodies.
  const text = fc.oneof(
    fc.constantFrom("noop", "NOOP", "nope", "__proto__", "constructor", "noop.", "noop.0000000000000000", "noop.zzzzzzzzzzzzzzzz", "", " ", "%", "a".repeat(600)),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 12 }),
  );
  const number = fc.oneof(fc.integer({ min: -10, max: 2_000 }).map(String), fc.constantFrom("1e3", "1.5", "-0", "NaN", "Infinity", "0x10", ""));
  const cursor = fc.oneof(
    text,
    fc.base64String({ maxLength: 60 }),
    fc.jsonValue({ maxDepth: 2 }).map((value) => `v1.${btoa(unescape(encodeURIComponent(JSON.stringify(value) ?? "null")))}`),
    fc.record({ s: fc.constantFrom("waiting", "dead", "delayed", "active"), a: fc.oneof(text, number), b: text }).map((value) => `v1.${btoa(unescape(encodeURIComponent(JSON.stringify(value))))}`),
  );
  const state = fc.oneof(fc.constantFrom("waiting", "delayed", "active", "completed", "dead", "cancelled", "Dead", "failed"), text);
  // Mostly a real queue, so requests get past the 404 into the validation and the operation behind it.
  const name = fc.oneof({ weight: 3, arbitrary: fc.constant("noop") }, { weight: 2, arbitrary: text });
  const jobId = fc.oneof({ weight: 1, arbitrary: fc.constant("__DEAD__") }, { weight: 3, arbitrary: text });
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({ ids: fc.array(fc.oneof(text, fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 }) }, { requiredKeys: [] }),
    fc.record({ all: fc.jsonValue({ maxDepth: 1 }), ids: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }),
    fc.record({ rate: fc.oneof(text, fc.jsonValue({ maxDepth: 1 })), concurrency: fc.oneof(number.map(Number), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }),
  );
  const q = (value: string) => encodeURIComponent(value);
  const request = fc.oneof(
    fc.tuple(name, number).map(([name, minutes]) => ({ method: "GET", path: `/v1/admin/queues/${q(name)}?minutes=${q(minutes)}` })),
    fc.tuple(name, state, number, fc.option(cursor)).map(([name, s, limit, c]) => ({
      method: "GET",
      path: `/v1/admin/queues/${q(name)}/jobs?state=${q(s)}&limit=${q(limit)}${c === null ? "" : `&cursor=${q(c)}`}`,
    })),
    fc.tuple(name, fc.constantFrom("pause", "resume")).map(([name, move]) => ({ method: "POST", path: `/v1/admin/queues/${q(name)}/${move}` })),
    fc.tuple(name, body).map(([name, json]) => ({ method: "POST", path: `/v1/admin/queues/${q(name)}/dead/replay`, json })),
    fc.tuple(name, fc.option(text)).map(([name, before]) => ({ method: "DELETE", path: `/v1/admin/queues/${q(name)}/dead${before === null ? "" : `?before=${q(before)}`}` })),
    fc.tuple(jobId, fc.constantFrom("retry", "promote")).map(([id, move]) => ({ method: "POST", path: `/v1/admin/jobs/${q(id)}/${move}` })),
    fc.tuple(name, body).map(([name, json]) => ({ method: "PUT", path: `/v1/admin/queues/${q(name)}/limits`, json })),
  );

  it("never answers 5xx; every refusal is problem+json with a code; nothing answers outside 200/400/404/405/409", async () => {
    const dead = await deadJob(); // a real job id for retry/promote, and something for a replay or purge to act on
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path: template, json }: { method: string; path: string; json?: unknown }) => {
        const path = template.replace("__DEAD__", dead);
        const response = await admin(path, { method, ...(json === undefined ? {} : { json }) });
        const answer = await response.text();
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        expect([200, 400, 404, 405, 409], `${method} ${path} ${JSON.stringify(json)} → ${response.status} ${answer}`).toContain(response.status);
        if (response.status >= 400) {
          expect(response.headers.get("Content-Type"), `${method} ${path}`).toBe("application/problem+json");
          expect(JSON.parse(answer), `${method} ${path}`).toMatchObject({ status: response.status, code: expect.any(String) });
        }
      }),
      { numRuns: 1_000 },
    );
    // The generators reach past validation too, not only the 400s.
    expect(seen.get(200) ?? 0).toBeGreaterThan(0);
    expect(seen.get(400) ?? 0).toBeGreaterThan(0);
    expect(seen.get(404) ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
