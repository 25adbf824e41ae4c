/**
 * The completion-callback options at the edge (workerd against a real Redis): `callback=<url>` and `callbackOn`
 * as query options and batch item options, stored in the job's options (`o`) for the settle scripts, every bad
 * value a 400 problem with its path, the webhook job's SSRF rules applied to the URL, and the OpenAPI text.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FIELD, parseJobId } from "../../shared/src/index";
import { expectProblem, startEdgeStack, type EdgeStack } from "./harness";

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack();
});
afterAll(() => stack?.stop());
beforeEach(async () => {
  await stack.io.flushall();
  stack.upstash.resetRequestCount();
});

const URL = "https://hooks.example.com/offload/done";
const enqueue = (query: string, payload: unknown = {}) => stack.request(`/v1/jobs/noop${query}`, { method: "POST", json: payload });
const batch = (items: unknown) => stack.request("/v1/jobs/noop/batch", { method: "POST", json: items });

async function optionsOf(id: string): Promise<unknown> {
  const text = (await stack.record(id))[FIELD.options];
  return text === undefined ? null : JSON.parse(text);
}

describe("callback and callbackOn (query)", () => {
  it("stores the callback in the job's options; callbackOn only when it narrows", async () => {
    const both = (await (await enqueue(`?callback=${encodeURIComponent(URL)}`)).json()) as { id: string };
    expect(await optionsOf(both.id)).toEqual({ callback: URL });
    const explicit = (await (await enqueue(`?callback=${encodeURIComponent(URL)}&callbackOn=completed,dead`)).json()) as { id: string };
    expect(await optionsOf(explicit.id)).toEqual({ callback: URL });
    const dead = (await (await enqueue(`?callback=${encodeURIComponent(URL)}&callbackOn=dead`)).json()) as { id: string };
    expect(await optionsOf(dead.id)).toEqual({ callback: URL, callbackOn: ["dead"] });
    expect(stack.upstash.requestCount()).toBe(3); // still one request per job
  });

  it.each([
    ["?callback=nope", "query.callback"],
    ["?callback=ftp%3A%2F%2Fexample.com%2F", "query.callback"],
    [`?callback=https%3A%2F%2Fexample.com%2F${"a".repeat(2048)}`, "query.callback"],
    [`?callback=${encodeURIComponent(URL)}&callbackOn=sometimes`, "query.callbackOn"],
    [`?callback=${encodeURIComponent(URL)}&callbackOn=`, "query.callbackOn"],
    [`?callback=${encodeURIComponent(URL)}&callbackOn=dead,`, "query.callbackOn"],
    ["?callbackOn=dead", "query.callbackOn"],
    [`?callback=${encodeURIComponent(URL)}&callback=${encodeURIComponent(URL)}`, "query.callback"],
  ])("%s is a 400 at %s, nothing enqueued", async (query, path) => {
    const problem = await expectProblem(await enqueue(query), 400, "validation_failed");
    expect(problem.errors?.map((issue) => issue.path)).toContain(path);
    expect(await stack.io.dbsize()).toBe(0);
  });

  it.each([
    ["http://10.0.0.7/hook", /private address/],
    ["http://127.0.0.1:9000/", /loopback address/],
    ["http://169.254.169.254/latest", /cloud metadata/],
    ["https://user:secret@hooks.example.com/", /credentials in the URL/],
    ["http://intranet/", /single-label/],
  ])("refuses the forbidden destination %s with 400 forbidden_destination at query.callback", async (url, reason) => {
    const problem = await expectProblem(await enqueue(`?callback=${encodeURIComponent(url)}`), 400, "forbidden_destination");
    expect(problem.errors).toEqual([{ path: "query.callback", message: expect.stringMatching(reason) }]);
    expect(await stack.io.dbsize()).toBe(0);
  });
});

describe("callback and callbackOn (batch item options)", () => {
  it("takes callbackOn as an array or as the query's text", async () => {
    const response = await batch([
      { data: {}, options: { callback: URL } },
      { data: {}, options: { callback: URL, callbackOn: ["completed"] } },
      { data: {}, options: { callback: URL, callbackOn: "dead" } },
      { data: {} },
    ]);
    expect(response.status).toBe(202);
    const { jobs } = (await response.json()) as { jobs: { id: string }[] };
    expect(await Promise.all(jobs.map((job) => optionsOf(job.id)))).toEqual([
      { callback: URL },
      { callback: URL, callbackOn: ["completed"] },
      { callback: URL, callbackOn: ["dead"] },
      null,
    ]);
  });

  it("lists every bad callback option with its indexed path; a forbidden one is forbidden_destination", async () => {
    const invalid = await expectProblem(
      await batch([
        { data: {}, options: { callback: "nope" } },
        { data: {}, options: { callback: URL, callbackOn: [] } },
        { data: {}, options: { callback: URL, callbackOn: ["sometimes"] } },
        { data: {}, options: { callbackOn: ["dead"] } },
      ]),
      400,
      "validation_failed",
    );
    const paths = invalid.errors?.map((issue) => issue.path) ?? [];
    for (const path of ["0.options.callback", "1.options.callbackOn", "3.options.callbackOn"]) expect(paths).toContain(path);
    expect(paths.some((path) => path.startsWith("2.options.callbackOn"))).toBe(true);

    const forbidden = await expectProblem(
      await batch([{ data: {}, options: { callback: URL } }, { data: {}, options: { callback: "http://192.168.1.1/" } }]),
      400,
      "forbidden_destination",
    );
    expect(forbidden.errors).toEqual([{ path: "1.options.callback", message: expect.stringMatching(/private address/) }]);
    expect(await stack.io.dbsize()).toBe(0);
  });
});

describe("the internal callback job and the OpenAPI document", () => {
  it("POST /v1/jobs/callback is unknown: callback jobs are created by workers only", async () => {
    await expectProblem(await stack.request("/v1/jobs/callback", { method: "POST", json: { url: URL, outcome: "dead", status: { id: "x", state: "dead" } } }), 404, "unknown_job");
  });

  it("documents callback and callbackOn for single jobs and batch items", async () => {
    const doc = (await (await stack.request("/openapi.json", { key: null })).json()) as any;
    const parameters = doc.paths["/v1/jobs/noop"].post.parameters as { name: string; in: string; description: string }[];
    const callback = parameters.find((parameter) => parameter.name === "callback");
    expect(callback).toMatchObject({ in: "query" });
    expect(callback!.description).toContain("webhook-id");
    expect(parameters.find((parameter) => parameter.name === "callbackOn")!.description).toContain("completed");
    const options = doc.components.schemas.JobOptions;
    expect(Object.keys(options.properties)).toEqual(expect.arrayContaining(["callback", "callbackOn"]));
    expect(doc.paths["/v1/jobs/callback"]).toBeUndefined();
  });
});
