/**
 * `priority` through the edge in workerd: out-of-range or malformed values are 400s with their paths (query and
 * batch item) and write nothing; the status shows the priority (the request's, else the job type's default);
 * and a real worker blocked in BLMOVE on an empty queue wakes at once for a job of another priority than the
 * default, which waits in the priority zset and not in the list the worker blocks on.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorker, type Worker } from "../../worker/src/worker";
import { waitFor } from "../../infra/test/wait-for";
import { ADMIN_KEY, expectProblem, startEdgeStack, type EdgeStack } from "./harness";

let stack: EdgeStack;
let worker: Worker | undefined;
beforeAll(async () => {
  stack = await startEdgeStack();
});
afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

const post = (query: string, json: unknown) => stack.request(`/v1/jobs/noop${query}`, { method: "POST", json });

describe("priority at the edge", () => {
  it("a priority outside 1-10 or not a whole number is a 400 with its path; nothing is written", async () => {
    const keys = stack.keys("noop");
    for (const value of ["0", "11", "high", "2.5", "-1", ""]) {
      const problem = await expectProblem(await post(`?priority=${value}`, {}), 400, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toEqual(["query.priority"]);
    }
    for (const value of [0, 11, 2.5, "2"]) {
      const batch = await stack.request("/v1/jobs/noop/batch", { method: "POST", json: [{ data: {} }, { data: {}, options: { priority: value } }] });
      const problem = await expectProblem(batch, 400, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toEqual(["1.options.priority"]);
    }
    expect(await stack.io.llen(keys.wait)).toBe(0);
    expect(await stack.io.zcard(keys.prio)).toBe(0);
  });

  it("the status shows the priority: the request's, a batch item's, else the job type's default", async () => {
    const urgent = (await (await post("?priority=2", {})).json()) as { id: string };
    const plain = (await (await post("", {})).json()) as { id: string };
    const batch = (await (
      await stack.request("/v1/jobs/noop/batch", { method: "POST", json: [{ data: {}, options: { priority: 9 } }] })
    ).json()) as { jobs: { id: string }[] };
    const priorityOf = async (id: string) => ((await (await stack.request(`/v1/jobs/${id}`)).json()) as { priority: number }).priority;
    expect(await priorityOf(urgent.id)).toBe(2);
    expect(await priorityOf(plain.id)).toBe(5);
    expect(await priorityOf(batch.jobs[0]!.id)).toBe(9);
    // The admin listing shows it too, in run order.
    const page = (await (await stack.request("/v1/admin/queues/noop/jobs?state=waiting", { key: ADMIN_KEY })).json()) as {
      jobs: { id: string; priority: number }[];
    };
    expect(page.jobs.map((j) => [j.id, j.priority])).toEqual([
      [urgent.id, 2],
      [plain.id, 5],
      [batch.jobs[0]!.id, 9],
    ]);
    await stack.io.del(stack.keys("noop").wait, stack.keys("noop").prio);
  });

  it("a worker blocked in BLMOVE wakes at once for a priority-1 job (no polling: it blocks for 300 s)", async () => {
    let ran!: (data: unknown) => void;
    const run = new Promise<unknown>((resolve) => (ran = resolve));
    worker = createWorker({
      redisUrl: stack.redisServer.url,
      registry: { noop: (await import("../../shared/src/jobs/index")).JOBS.noop },
      handlers: {
        noop: async (data: unknown) => {
          ran(data);
          return { ok: true };
        },
      },
      concurrency: 2,
      leaseMs: 5_000,
      shutdownGraceMs: 1_000,
      log: pino({ level: "silent" }),
    });
    await worker.start();
    // Blocked: a client of this server sits in BLMOVE on the (empty) wait list.
    await waitFor(async () => String(await stack.io.call("CLIENT", "LIST")).includes("cmd=blmove"), { what: "a worker blocked in BLMOVE" });
    const response = await post("?priority=1", { wake: true });
    expect(response.status).toBe(202);
    expect(await run).toEqual({ wake: true });
    await worker.stop();
    worker = undefined;
  }, 20_000);
});
