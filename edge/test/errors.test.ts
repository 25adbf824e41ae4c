/**
 * The edges of the contract in workerd: authentication, admin-only routes, body limits, content types,
 * malformed JSON, unknown routes, a misconfigured Worker. Every error is problem+json (see expectProblem).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import { ADMIN_KEY, expectProblem, OTHER_PRODUCER_KEY, PRODUCER_KEY, startEdgeStack, type EdgeStack } from "./harness";

const MAX_BODY_BYTES = 2_048;

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack({ vars: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
});
afterAll(() => stack?.stop());
beforeEach(async () => {
  await stack.io.flushall();
  stack.upstash.resetRequestCount();
});

describe("authentication", () => {
  it.each([
    ["no Authorization header", null],
    ["an unknown key", "not-a-configured-key"],
    ["an empty key", ""],
  ])("answers 401 with WWW-Authenticate: Bearer for %s", async (_, key) => {
    for (const [path, method] of [
      ["/v1/jobs/noop", "POST"],
      ["/v1/jobs/noop/batch", "POST"],
      ["/v1/jobs/noop.0000000000000000", "GET"],
      ["/v1/jobs/noop.0000000000000000", "DELETE"],
      ["/v1/queues", "GET"],
      ["/v1/admin/dead/noop", "GET"],
    ] as const) {
      const response = await stack.request(path, { method, key, json: method === "POST" ? {} : undefined });
      expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
      await expectProblem(response, 401, "unauthorized");
    }
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("a non-Bearer scheme is a 401 too", async () => {
    const response = await stack.request("/v1/queues", { key: null, headers: { Authorization: `Basic ${btoa("a:b")}` } });
    await expectProblem(response, 401, "unauthorized");
  });

  it("accepts every configured producer key, and admin keys on producer routes", async () => {
    for (const key of [OTHER_PRODUCER_KEY, ADMIN_KEY]) {
      expect((await stack.request("/v1/jobs/noop", { method: "POST", key, json: {} })).status).toBe(202);
    }
  });

  it("admin routes answer 403 to a producer key and 200 to an admin key", async () => {
    await expectProblem(await stack.request("/v1/admin/dead/noop"), 403, "forbidden");
    expect((await stack.request("/v1/admin/dead/noop", { key: ADMIN_KEY })).status).toBe(200);
  });

  it("healthz, the OpenAPI document and the docs page need no key", async () => {
    expect((await stack.request("/healthz", { key: null })).status).toBe(200);
    expect((await stack.request("/openapi.json", { key: null })).status).toBe(200);
    expect((await stack.request("/docs", { key: null })).status).toBe(200);
  });
});

describe("request bodies", () => {
  const big = { text: "x".repeat(MAX_BODY_BYTES) };

  it("answers 413 to a body over MAX_BODY_BYTES and enqueues nothing", async () => {
    const response = await stack.request("/v1/jobs/digest", { method: "POST", json: big });
    const problem = await expectProblem(response, 413, "payload_too_large");
    expect(problem.detail).toContain(String(MAX_BODY_BYTES));
    await expectProblem(await stack.request("/v1/jobs/noop/batch", { method: "POST", json: [{ data: big }] }), 413, "payload_too_large");
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("answers 413 to a chunked body (no Content-Length) that passes the limit", async () => {
    // node:http, so the body goes out chunked with no Content-Length and the Worker has to count. A body only a
    // little over the limit: with a far larger one, wrangler's dev proxy (not the Worker) answers 503 when the
    // Worker stops reading mid-upload. That the Worker stops at the first chunk past the limit, without reading
    // the rest, is shown in body-limit.test.ts.
    const { status, contentType, body } = await chunkedUpload(`${stack.url}/v1/jobs/noop`, 4, {
      "Content-Type": "application/json",
      Authorization: `Bearer ${PRODUCER_KEY}`,
    });
    expect(status, body).toBe(413);
    expect(contentType).toBe("application/problem+json");
    expect(JSON.parse(body)).toMatchObject({ code: "payload_too_large", status: 413 });
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("accepts a body just under the limit", async () => {
    const response = await stack.request("/v1/jobs/digest", { method: "POST", json: { text: "x".repeat(MAX_BODY_BYTES - 100) } });
    expect(response.status).toBe(202);
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "application/xml"])("answers 415 to %s", async (type) => {
    const response = await stack.request("/v1/jobs/noop", { method: "POST", body: "{}", headers: { "Content-Type": type } });
    await expectProblem(response, 415, "unsupported_media_type");
  });

  it("answers 415 when Content-Type is missing", async () => {
    const response = await stack.request("/v1/jobs/noop", { method: "POST", body: new TextEncoder().encode("{}") });
    await expectProblem(response, 415, "unsupported_media_type");
  });

  it.each(['{"a":', "", "{'a': 1}", "[1,2,,]"])("answers 400 malformed_json to %j", async (text) => {
    const response = await stack.request("/v1/jobs/noop", {
      method: "POST",
      body: text,
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(response, 400, "malformed_json");
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("accepts application/json with a charset", async () => {
    const response = await stack.request("/v1/jobs/noop", {
      method: "POST",
      body: "{}",
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
    expect(response.status).toBe(202);
  });
});

describe("routes", () => {
  it("answers 404 problem+json for unknown paths and methods", async () => {
    await expectProblem(await stack.request("/v2/jobs/noop", { method: "POST", json: {} }), 404, "not_found");
    await expectProblem(await stack.request("/v1/jobs", { method: "GET" }), 404, "not_found");
    await expectProblem(await stack.request("/", { key: null }), 404, "not_found");
  });
});

describe("a misconfigured Worker", () => {
  let broken: EdgeStack;
  beforeAll(async () => {
    broken = await startEdgeStack({ vars: { MAX_BODY_BYTES: "lots", API_KEYS: "" } });
  });
  afterAll(() => broken?.stop());

  it("answers 500 invalid_config naming each bad variable, with no stack and no secrets", async () => {
    for (const path of ["/v1/queues", "/healthz"]) {
      const problem = await expectProblem(await broken.request(path), 500, "invalid_config");
      expect(problem.detail).toContain("MAX_BODY_BYTES");
      expect(problem.detail).toContain("API_KEYS");
      expect(problem.detail).not.toContain("edge-test-token");
      expect(problem.errors?.map((issue) => issue.path).sort()).toEqual(["API_KEYS", "MAX_BODY_BYTES"]);
    }
  });

  it("still serves its documentation", async () => {
    expect((await broken.request("/openapi.json", { key: null })).status).toBe(200);
  });
});

/** POSTs a JSON body of `chunks` chunks of ~1 KB with `Transfer-Encoding: chunked`. */
function chunkedUpload(url: string, chunks: number, headers: Record<string, string>) {
  return new Promise<{ status: number; contentType: string | undefined; body: string }>((resolve, reject) => {
    const request = httpRequest(url, { method: "POST", headers: { ...headers, "Transfer-Encoding": "chunked" } });
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (text: string) => (body += text));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, contentType: response.headers["content-type"], body }));
    });
    request.on("error", reject);
    request.write('{"items":[');
    for (let i = 0; i < chunks; i++) request.write(`"${"y".repeat(1_000)}",`);
    request.end("0]}");
  });
}
