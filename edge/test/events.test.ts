/**
 * `POST /v1/events/{name}` in workerd against a real Redis, and expanded by the real worker process: the 202
 * lists every target's id before anything runs, in one Upstash request; re-sends (Idempotency-Key or ?id=)
 * return the same ids and create nothing; the worker creates each target exactly once under those ids.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseJobId, targetLocalId } from "../../shared/src/index";
import { waitFor } from "../../infra/test/wait-for";
import { startWorkerProcess, stopWorkerProcesses } from "../../worker/test/support/main-process";
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
afterEach(() => stopWorkerProcesses());

const order = { orderId: "ord_1", amountCents: 4200, currency: "EUR", partnerUrl: "https://partner.example/hooks" };
const publish = (body: unknown, query = "", headers: Record<string, string> = {}, key?: string | null) =>
  stack.request(`/v1/events/order-paid${query}`, { method: "POST", json: body, headers, key });

interface Accepted {
  id: string;
  event: string;
  jobs: { name: string; id: string }[];
}

/** Jobs in a queue (wait list entries that are local ids, not the wake marker). */
/** Waiting local ids: the wait list's, and (for a grouped job, such as a webhook grouped by host) its group's. */
const waiting = async (queue: string) => {
  const listed = (await stack.io.lrange(stack.keys(queue).wait, 0, -1)).filter((entry) => entry !== "~");
  const out: string[] = [];
  for (const entry of listed) {
    if (entry.startsWith("^")) out.push(...(await stack.io.zrange(stack.keys(queue).groupWait(entry.slice(1)), "0", "-1")));
    else out.push(entry);
  }
  return out;
};

describe("POST /v1/events/{name}", () => {
  it("answers 202 { id, event, jobs } with every target's derived id, in one Upstash request", async () => {
    const response = await publish(order);
    expect(response.status).toBe(202);
    const body = (await response.json()) as Accepted;
    expect(body.id).toMatch(/^event\.[0-9a-z]{16}$/);
    expect(response.headers.get("Location")).toBe(`/v1/jobs/${body.id}`);
    expect(response.headers.get("Idempotent-Replayed")).toBeNull();
    const eventLocalId = parseJobId(body.id)!.localId;
    expect(body).toEqual({
      id: body.id,
      event: "order-paid",
      jobs: [
        { name: "webhook", id: `webhook.${await targetLocalId(eventLocalId, "webhook")}` },
        { name: "noop", id: `noop.${await targetLocalId(eventLocalId, "noop")}` },
      ],
    });
    expect(stack.upstash.requestCount()).toBe(1);
    // Stored as ONE job of the event queue; no target exists yet.
    expect(await waiting("event")).toEqual([eventLocalId]);
    expect(JSON.parse((await stack.record(`event.${eventLocalId}`)).d!)).toEqual({ event: "order-paid", data: order });
    expect(await waiting("webhook")).toEqual([]);
    expect((await stack.request(`/v1/jobs/${body.id}`)).status).toBe(200);
    await expectProblem(await stack.request(`/v1/jobs/${body.jobs[0]!.id}`), 404, "job_not_found");
  });

  it("a re-send with the same Idempotency-Key returns the same ids and creates nothing; another body is 422", async () => {
    const first = (await (await publish(order, "", { "Idempotency-Key": "pay-1" })).json()) as Accepted;
    const again = await publish(order, "", { "Idempotency-Key": "pay-1" });
    expect(again.status).toBe(202);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.json()).toEqual(first);
    expect(await waiting("event")).toHaveLength(1);
    await expectProblem(await publish({ ...order, amountCents: 1 }, "", { "Idempotency-Key": "pay-1" }), 422, "idempotency_conflict");
    expect(await waiting("event")).toHaveLength(1);
  });

  it("?id= is a client-chosen event id: the same id gives the same ids before anything is stored; another body is 422", async () => {
    const first = await publish(order, "?id=order-1234");
    const body = (await first.json()) as Accepted;
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const again = await publish(order, "?id=order-1234");
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.json()).toEqual(body);
    // A different id is a different event.
    const other = (await (await publish(order, "?id=order-1235")).json()) as Accepted;
    expect(other.id).not.toBe(body.id);
    expect(await waiting("event")).toHaveLength(2);
    await expectProblem(await publish({ ...order, currency: "USD" }, "?id=order-1234"), 422, "idempotency_conflict");
    const both = await expectProblem(await publish(order, "?id=order-1", { "Idempotency-Key": "k" }), 400, "validation_failed");
    expect(both.errors?.map((issue) => issue.path)).toEqual(["query.id"]);
    const badId = await expectProblem(await publish(order, "?id=has%20space"), 400, "validation_failed");
    expect(badId.errors?.[0]?.path).toMatch(/id/);
    expect(await waiting("event")).toHaveLength(2);
  });

  it("400 lists each invalid field's path and stores nothing", async () => {
    const problem = await expectProblem(await publish({ orderId: "", amountCents: -1, currency: "euro" }), 400, "validation_failed");
    expect(problem.errors?.map((issue) => issue.path).sort()).toEqual(["amountCents", "currency", "orderId", "partnerUrl"]);
    expect(await waiting("event")).toEqual([]);
  });

  it("404 for an unknown event; the internal event job has no POST /v1/jobs route; 401 without a key; admin keys may publish", async () => {
    const unknown = await expectProblem(await stack.request("/v1/events/order-shipped", { method: "POST", json: {} }), 404, "unknown_event");
    expect(unknown.detail).toContain("order-shipped");
    await expectProblem(await stack.request("/v1/jobs/event", { method: "POST", json: { event: "order-paid", data: order } }), 404, "unknown_job");
    await expectProblem(await publish(order, "", {}, null), 401, "unauthorized");
    await expectProblem(await publish(order, "", {}, "not-a-key-0123456789"), 401, "unauthorized");
    expect((await publish(order, "", {}, ADMIN_KEY)).status).toBe(202);
    expect(await waiting("event")).toHaveLength(1);
  });

  it("is in the OpenAPI document", async () => {
    const document = (await (await stack.request("/openapi.json", { key: null })).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const operation = document.paths["/v1/events/order-paid"]?.post;
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(["202", "400", "401", "422"]));
    expect(document.paths["/v1/jobs/event"]).toBeUndefined();
  });
});

describe("expansion by the real worker process", () => {
  it("creates every target once under the ids the 202 announced; re-sends after it create nothing", async () => {
    const body = (await (await publish(order, "?id=order-77")).json()) as Accepted;
    await startWorkerProcess(stack.redisServer.url, { WORKER_QUEUES: "event", WORKER_LEASE: "1s" });
    const status = await waitFor(async () => {
      const response = await stack.request(`/v1/jobs/${body.id}`);
      const json = response.status === 200 ? ((await response.json()) as { state: string; result?: unknown }) : undefined;
      return json?.state === "completed" ? json : undefined;
    }, { what: "the event job to complete" });
    expect(status.result).toEqual({ event: "order-paid", jobs: body.jobs.map((job) => ({ ...job, outcome: "created" })) });
    for (const job of body.jobs) {
      const response = await stack.request(`/v1/jobs/${job.id}`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { state: string }).state).toBe("waiting");
      expect(await waiting(job.name)).toEqual([parseJobId(job.id)!.localId]);
    }
    const webhookData = JSON.parse((await stack.record(body.jobs[0]!.id)).d!);
    expect(webhookData).toMatchObject({ url: order.partnerUrl, body: { type: "order.paid", orderId: "ord_1" } });

    const replay = await publish(order, "?id=order-77");
    expect(await replay.json()).toEqual(body);
    expect(await waiting("event")).toEqual([]); // the event was not queued again
    for (const job of body.jobs) expect(await waiting(job.name)).toHaveLength(1);
  });
});
