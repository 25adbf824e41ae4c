/**
 * Schedule routes in workerd over the local Upstash endpoint: validation (bad cron, time zone, duration, data
 * failing the job's schema, unknown job: 400 with paths, nothing written), the PUT/GET/DELETE round trip with the
 * next three run times computed by croner inside workerd, and 403 for producer keys.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, PRODUCER_KEY, expectProblem, startEdgeStack, type EdgeStack } from "./harness";

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack();
});
afterAll(() => stack?.stop());

const put = (id: string, json: unknown, key: string | null = ADMIN_KEY) =>
  stack.request(`/v1/admin/schedules/${id}`, { method: "PUT", json, key });

describe("schedule validation", () => {
  it.each([
    ["a bad cron", { job: "noop", cron: "61 * * * *", data: {} }, "cron"],
    ["an unknown time zone", { job: "noop", cron: "0 2 * * *", tz: "Mars/Olympus", data: {} }, "tz"],
    ["a too-short every", { job: "noop", every: "10ms", data: {} }, "every"],
    ["both cron and every", { job: "noop", cron: "* * * * *", every: "2s", data: {} }, "every"],
    ["data failing the job's schema", { job: "webhook", every: "1m", data: { url: "not a url" } }, "data.url"],
    ["an unknown job", { job: "nope", every: "1m", data: {} }, "job"],
    ["an unknown field", { job: "noop", every: "1m", data: {}, extra: 1 }, "extra"],
    ["a priority above 10", { job: "noop", every: "1m", data: {}, options: { priority: 11 } }, "options.priority"],
    ["a priority of 0", { job: "noop", every: "1m", data: {}, options: { priority: 0 } }, "options.priority"],
    ["a fractional priority", { job: "noop", every: "1m", data: {}, options: { priority: 2.5 } }, "options.priority"],
    ["a callback that is not http(s)", { job: "noop", every: "1m", data: {}, options: { callback: "ftp://example.com/" } }, "options.callback"],
    ["a callback with credentials", { job: "noop", every: "1m", data: {}, options: { callback: "https://u:p@example.com/" } }, "options.callback"],
    ["an unknown callbackOn outcome", { job: "noop", every: "1m", data: {}, options: { callback: "https://example.com/", callbackOn: ["done"] } }, "options.callbackOn.0"],
    ["callbackOn without callback", { job: "noop", every: "1m", data: {}, options: { callbackOn: ["dead"] } }, "options.callbackOn"],
  ])("%s is a 400 with the path, and nothing is written", async (_, body, path) => {
    const problem = await expectProblem(await put("bad", body), 400, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toContain(path);
    expect(await stack.io.keys("*schedules*")).toEqual([]);
  });

  it.each([
    ["http://10.0.0.7/hook", /private address/],
    ["http://127.0.0.1:8080/", /loopback/],
  ])("a callback to the forbidden destination %s is a 400 forbidden_destination at options.callback", async (callback, reason) => {
    const problem = await expectProblem(await put("bad", { job: "noop", every: "1m", data: {}, options: { callback } }), 400, "forbidden_destination");
    expect(problem.errors).toEqual([{ path: "options.callback", message: expect.stringMatching(reason) }]);
    expect(await stack.io.keys("*schedules*")).toEqual([]);
  });

  it("producer keys get 403 on every schedule route", async () => {
    await expectProblem(await put("p", { job: "noop", every: "1m", data: {} }, PRODUCER_KEY), 403, "forbidden");
    await expectProblem(await stack.request("/v1/admin/schedules"), 403, "forbidden");
    await expectProblem(await stack.request("/v1/admin/schedules/p"), 403, "forbidden");
    await expectProblem(await stack.request("/v1/admin/schedules/p", { method: "DELETE" }), 403, "forbidden");
    expect(await stack.io.keys("*schedules*")).toEqual([]);
  });
});

describe("schedule round trip", () => {
  it("PUT stores it (source api), GET lists it with three run times in the time zone, DELETE removes it", async () => {
    const body = { job: "noop", cron: "0 30 2 * * *", tz: "Europe/Berlin", data: { hello: 1 }, catchUp: "none" };
    const created = await put("nightly", body);
    expect(created.status).toBe(200);
    const stored = (await created.json()) as any;
    expect(stored).toMatchObject({ id: "nightly", job: "noop", cron: "0 30 2 * * *", tz: "Europe/Berlin", catchUp: "none", source: "api", lastRun: null });
    expect(stored.nextRuns).toHaveLength(3);
    for (const at of stored.nextRuns) {
      // 02:30 in Berlin: 00:30Z in summer, 01:30Z in winter (or 01:00Z on a spring-forward day).
      expect(at).toMatch(/T0[01]:[03]0:00\.000Z$/);
      expect(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit" }).format(new Date(at))).toMatch(/^0[23]:[03]0$/);
    }
    expect(Date.parse(stored.nextRuns[0])).toBeGreaterThan(Date.now());

    await put("every-minute", { job: "webhook", every: "1m", data: { url: "https://example.com/hook", body: 1 } });
    const list = (await (await stack.request("/v1/admin/schedules", { key: ADMIN_KEY })).json()) as any;
    expect(list.schedules.map((s: any) => [s.id, s.job])).toEqual([["every-minute", "webhook"], ["nightly", "noop"]]);
    const minute = list.schedules[0];
    expect(minute.nextRuns.map((t: string) => Date.parse(t) % 60_000)).toEqual([0, 0, 0]);

    const one = await stack.request("/v1/admin/schedules/nightly", { key: ADMIN_KEY });
    expect(((await one.json()) as any).nextRuns).toEqual(stored.nextRuns);
    // The same id under another job is refused at path job.
    const clash = await expectProblem(await put("nightly", { job: "webhook", every: "1m", data: { url: "https://example.com/", body: 1 } }), 400, "validation_failed");
    expect(clash.errors?.map((e) => e.path)).toEqual(["job"]);

    expect((await stack.request("/v1/admin/schedules/nightly", { method: "DELETE", key: ADMIN_KEY })).status).toBe(204);
    await expectProblem(await stack.request("/v1/admin/schedules/nightly", { key: ADMIN_KEY }), 404, "not_found");
    await expectProblem(await stack.request("/v1/admin/schedules/nightly", { method: "DELETE", key: ADMIN_KEY }), 404, "not_found");
    expect(await stack.io.hkeys(stack.keys("noop").schedules)).toEqual([]);
  });

  it("priority and callback options round-trip: PUT returns them, GET shows them", async () => {
    const options = { maxAttempts: 2, priority: 1, callback: "https://api.example.com/done", callbackOn: ["dead", "dead"] };
    const created = await put("urgent", { job: "noop", every: "1m", data: {}, options });
    expect(created.status).toBe(200);
    const expected = { maxAttempts: 2, priority: 1, callback: "https://api.example.com/done", callbackOn: ["dead"] };
    expect(((await created.json()) as any).options).toEqual(expected);
    const one = (await (await stack.request("/v1/admin/schedules/urgent", { key: ADMIN_KEY })).json()) as any;
    expect(one.options).toEqual(expected);
    const list = (await (await stack.request("/v1/admin/schedules", { key: ADMIN_KEY })).json()) as any;
    expect(list.schedules.find((s: any) => s.id === "urgent").options).toEqual(expected);
    expect((await stack.request("/v1/admin/schedules/urgent", { method: "DELETE", key: ADMIN_KEY })).status).toBe(204);
  });

  it("the OpenAPI document lists the schedule routes", async () => {
    const doc = (await (await stack.request("/openapi.json", { key: null })).json()) as any;
    expect(Object.keys(doc.paths["/v1/admin/schedules/{id}"]).sort()).toEqual(["delete", "get", "put"]);
    expect(doc.paths["/v1/admin/schedules"].get.operationId).toBe("listSchedules");
    const body = doc.paths["/v1/admin/schedules/{id}"].put.requestBody.content["application/json"].schema;
    const bodySchema = body.$ref ? doc.components.schemas[body.$ref.split("/").pop()] : body;
    expect(Object.keys(bodySchema.properties.options.properties)).toEqual(expect.arrayContaining(["priority", "callback", "callbackOn"]));
    expect(bodySchema.properties.options.properties.priority).toMatchObject({ minimum: 1, maximum: 10 });
  });
});
