/**
 * `dedupe` and `debounce` through the edge in workerd: the same key returns the waiting job with
 * `Idempotent-Replayed: true`, `debounce` without `dedupe` is a 400 with its path (query and batch item), and
 * five enqueues 300 ms apart with one key and `debounce=2s` run ONE job with the last payload on a real worker.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJobId } from "../../shared/src/index";
import { createWorker, type Worker } from "../../worker/src/worker";
import { expectProblem, startEdgeStack, type EdgeStack } from "./harness";

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

describe("dedupe and debounce at the edge", () => {
  it("a dedupe key held by a waiting job returns that job with Idempotent-Replayed, whatever the payload", async () => {
    const first = await post("?dedupe=report-9", { a: 1 });
    expect(first.status).toBe(202);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const second = await post("?dedupe=report-9", { a: 2 });
    expect(second.status).toBe(202);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await second.json()) as any).id).toBe(((await first.json()) as any).id);
  });

  it("debounce without dedupe is a 400 with its path, in the query and in a batch item; nothing is written", async () => {
    const before = await stack.io.llen(stack.keys("noop").wait);
    const single = await expectProblem(await post("?debounce=2s", {}), 400, "validation_failed");
    expect(single.errors?.map((e) => e.path)).toEqual(["query.debounce"]);
    const batch = await stack.request("/v1/jobs/noop/batch", { method: "POST", json: [{ data: {}, options: { debounce: "2s" } }] });
    const problem = await expectProblem(batch, 400, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toEqual(["0.options.debounce"]);
    expect(await stack.io.llen(stack.keys("noop").wait)).toBe(before);
  });

  it("five enqueues 300 ms apart with one dedupe key and debounce=2s run one job, with the last payload", async () => {
    const runs: unknown[] = [];
    let ran!: () => void;
    const firstRun = new Promise<void>((resolve) => (ran = resolve));
    worker = createWorker({
      redisUrl: stack.redisServer.url,
      registry: { noop: (await import("../../shared/src/jobs/index")).JOBS.noop },
      handlers: {
        noop: async (data: Record<string, unknown>) => {
          // The first test's job runs too; only this test's jobs carry a version.
          if ("version" in data) {
            runs.push(data);
            ran();
          }
          return { ok: true };
        },
      },
      concurrency: 2,
      leaseMs: 5_000,
      shutdownGraceMs: 1_000,
      log: pino({ level: "silent" }),
    });
    await worker.start();

    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 300)); // the scenario's pacing, not a wait for state
      const response = await post("?dedupe=save-doc-1&debounce=2s", { version: i });
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as any).id);
    }
    const lastAt = Date.now();
    expect(new Set(ids).size).toBe(1);
    await firstRun;
    // Not before 2 s after the last enqueue (the first was 1.2 s earlier).
    expect(Date.now() - lastAt).toBeGreaterThanOrEqual(1_900);
    const status = await (await stack.request(`/v1/jobs/${ids[0]}`)).json() as any;
    expect(["active", "completed"]).toContain(status.state);
    await worker.stop();
    worker = undefined;
    expect(runs).toEqual([{ version: 4 }]);
    const keys = stack.keys("noop");
    expect(await stack.io.zscore(keys.delayed, parseJobId(ids[0]!)!.localId)).toBeNull();
  }, 20_000);
});
