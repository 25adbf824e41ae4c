/**
 * `group` through the edge in workerd: malformed keys are 400s with their paths (query and batch item) and write
 * nothing; a valid one puts the job in its group (record field g, the group's zset, one token in the wait list
 * however many jobs); the webhook job groups by destination host unless the request names a group; and the
 * OpenAPI document describes the option.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, startEdgeStack, type EdgeStack } from "./harness";

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack();
});
afterAll(async () => {
  await stack?.stop();
});

const post = (path: string, query: string, json: unknown) => stack.request(`/v1/jobs/${path}${query}`, { method: "POST", json });
const localOf = (id: string) => id.slice(id.indexOf(".") + 1);

describe("group at the edge", () => {
  it("a group key that is empty, too long or has spaces or control characters is a 400 with its path; nothing is written", async () => {
    const keys = stack.keys("noop");
    for (const value of ["", "a%20b", "x".repeat(129), "%0A"]) {
      const problem = await expectProblem(await post("noop", `?group=${value}`, {}), 400, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toEqual(["query.group"]);
    }
    for (const value of ["", "a b", "x".repeat(129), 42, "tab\there"]) {
      const batch = await stack.request("/v1/jobs/noop/batch", { method: "POST", json: [{ data: {} }, { data: {}, options: { group: value } }] });
      const problem = await expectProblem(batch, 400, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toEqual(["1.options.group"]);
    }
    expect(await stack.io.llen(keys.wait)).toBe(0);
  });

  it("a valid group puts the job in its group: one token in the wait list for the whole group", async () => {
    const keys = stack.keys("noop");
    const one = (await (await post("noop", "?group=tenant-42", {})).json()) as { id: string };
    const batch = (await (
      await stack.request("/v1/jobs/noop/batch", {
        method: "POST",
        json: [{ data: {}, options: { group: "tenant-42" } }, { data: {}, options: { group: "tenant-42", priority: 2 } }, { data: {}, options: { group: "t:7" } }],
      })
    ).json()) as { jobs: { id: string }[] };
    expect(await stack.io.hget(keys.job(localOf(one.id)), "g")).toBe("tenant-42");
    expect(await stack.io.zcard(keys.groupWait("tenant-42"))).toBe(3);
    expect(await stack.io.zcard(keys.groupWait("t:7"))).toBe(1);
    expect((await stack.io.lrange(keys.wait, 0, -1)).sort()).toEqual(["^t:7", "^tenant-42"]);
    const status = (await (await stack.request(`/v1/jobs/${batch.jobs[1]!.id}`)).json()) as { state: string; priority: number };
    expect(status).toMatchObject({ state: "waiting", priority: 2 });
    // Counted as waiting jobs (the tokens are not jobs).
    const { queues } = (await (await stack.request("/v1/queues")).json()) as { queues: { name: string; waiting: number }[] };
    expect(queues.find((queue) => queue.name === "noop")!.waiting).toBe(4);
  });

  it("the webhook job groups by destination host; a request's group wins", async () => {
    const keys = stack.keys("webhook");
    const body = { url: "https://hooks.example.com/orders", body: { n: 1 } };
    const byHost = (await (await post("webhook", "", body)).json()) as { id: string };
    const named = (await (await post("webhook", "?group=acme", body)).json()) as { id: string };
    expect(await stack.io.hget(keys.job(localOf(byHost.id)), "g")).toBe("hooks.example.com");
    expect(await stack.io.hget(keys.job(localOf(named.id)), "g")).toBe("acme");
  });

  it("is documented in the OpenAPI document, as a query option and a batch item option", async () => {
    const doc = (await (await stack.request("/openapi.json")).json()) as any;
    const parameter = doc.paths["/v1/jobs/noop"].post.parameters.find((p: { name: string }) => p.name === "group");
    expect(parameter).toMatchObject({ in: "query", required: false });
    expect(parameter.description).toContain("round robin");
    expect(doc.components.schemas.JobOptions.properties.group.description).toContain("round robin");
  });
});
