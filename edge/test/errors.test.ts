/**
 * The edges of the contract in workerd: authentication, admin-only routes, body limits, content types,
 * malformed JSON, unknown routes, a misconfigured Worker. Every error is problem+json (see expectProblem).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Agent, request as httpRequest } from "node:http";
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
    // node:http, so the body goes out chunked with no Content-Length and the Worker has to count.
    const { status, contentType, body } = await chunkedUpload(`${stack.url}/v1/jobs/noop`, 4, {
      "Content-Type": "application/json",
      Authorization: `Bearer ${PRODUCER_KEY}`,
    });
    expect(status, body).toBe(413);
    expect(contentType).toBe("application/problem+json");
    expect(JSON.parse(body)).toMatchObject({ code: "payload_too_large", status: 413 });
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("a rejected 1 MB chunked upload affects only its own request: the next one on the connection is answered", async () => {
    // One keep-alive socket for both requests, as a browser, curl --next or an HTTP client pool would reuse it.
    // A cancelled chunked body used to leave that connection half-read: the next request hung (or got a
    // plain-text 503 "Your worker restarted mid-request" from wrangler's proxy).
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const auth = { Authorization: `Bearer ${PRODUCER_KEY}` };
      const rejected = await send(agent, `${stack.url}/v1/jobs/noop`, "POST", { ...auth, "Content-Type": "application/json" }, 1024 * 1024);
      expect(rejected.status, rejected.body).toBe(413);
      expect(JSON.parse(rejected.body)).toMatchObject({ code: "payload_too_large" });
      const next = await send(agent, `${stack.url}/healthz`, "GET", {});
      expect(next.reusedSocket).toBe(true);
      expect(next.status, next.body).toBe(200);
      const after = await send(agent, `${stack.url}/v1/jobs/noop`, "POST", { ...auth, "Content-Type": "application/json" }, 0, "{}");
      expect(after.status, after.body).toBe(202);
    } finally {
      agent.destroy();
    }
    expect(stack.upstash.requestCount()).toBe(2); // the PING of /healthz and the one enqueue; nothing for the 413
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

  it.each<[string, string, string]>([
    ["PUT", "/v1/jobs/noop", "DELETE, GET, HEAD, POST"],
    ["PATCH", "/v1/jobs/noop.0000000000000000", "DELETE, GET, HEAD, POST"],
    ["GET", "/v1/jobs/noop/batch", "POST"],
    ["POST", "/v1/queues", "GET, HEAD"],
    ["DELETE", "/v1/admin/dead/noop", "GET, HEAD"],
    ["POST", "/healthz", "GET, HEAD"],
  ])("answers 405 with Allow to %s on the known path %s", async (method, path, allow) => {
    const response = await stack.request(path, { method, json: method === "GET" ? undefined : {} });
    expect(response.headers.get("Allow")).toBe(allow);
    const problem = await expectProblem(response, 405, "method_not_allowed");
    expect(problem.detail).toContain(allow);
    expect(stack.upstash.requestCount()).toBe(0);
  });

  it("still asks for a key before saying which methods a /v1 path answers", async () => {
    await expectProblem(await stack.request("/v1/queues", { method: "POST", key: null, json: {} }), 401, "unauthorized");
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

/**
 * One request over `agent`. With `chunkedBytes`, the body is that many bytes of a JSON string sent chunked (16 KiB
 * writes, honouring back-pressure); with `text`, that body. Times out after 10 s instead of hanging the test.
 */
function send(agent: Agent, url: string, method: string, headers: Record<string, string>, chunkedBytes = 0, text?: string) {
  return new Promise<{ status: number; body: string; reusedSocket: boolean }>((resolve, reject) => {
    const chunked = chunkedBytes > 0;
    const request = httpRequest(url, { agent, method, headers: { ...headers, ...(chunked ? { "Transfer-Encoding": "chunked" } : {}) } });
    request.setTimeout(10_000, () => request.destroy(new Error(`${method} ${url}: no answer within 10 s`)));
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, reusedSocket: request.reusedSocket }));
    });
    request.on("error", reject);
    if (!chunked) return request.end(text);
    const piece = "y".repeat(16 * 1024);
    let sent = 0;
    request.write('"');
    const write = () => {
      while (sent < chunkedBytes) {
        sent += piece.length;
        if (!request.write(piece)) return request.once("drain", write);
      }
      request.end('"');
    };
    write();
  });
}
