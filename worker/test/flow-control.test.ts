/**
 * Flow control across real worker processes (three forked test workers over one real redis-server): a job
 * type's concurrency never exceeded fleet-wide, even after a worker is SIGKILLed mid-job; its rate limit never
 * exceeded in any window; and a handler's RateLimitedError pausing the queue without spending an attempt.
 * Assertions are on counts (the most jobs ever running at once, starts per window from the job records), never
 * on how long something took.
 */
import { describe, expect, it } from "vitest";
import { FLOW_META, type QueueKeys } from "../../shared/src/keys";
import { getStatus } from "../../shared/src/ops/read";
import { waitFor } from "../../infra/test/wait-for";
import { RateLimitedError } from "../src/job-errors";
import { EXECUTIONS_KEY, MAX_RUNNING_KEY, RUNNING_KEY, workJob } from "./fixtures/test-jobs";
import { enqueueOne, waitForState, type ChildWorker } from "./support";
import { busiestWindow, useWorkerFleet } from "./support/fleet";

const LEASE_MS = 2_000;
const fleet = useWorkerFleet({ prefix: "flow", leaseMs: LEASE_MS, cleanup: [RUNNING_KEY, MAX_RUNNING_KEY, EXECUTIONS_KEY] });
const runner = () => fleet.runner();
let keys: QueueKeys;
function freshQueue() {
  keys = fleet.freshQueue();
}
const spawnWorkers = (count: number, env: Record<string, string>) => fleet.spawn(count, env);
async function enqueueMany(count: number, data: Parameters<typeof enqueueOne<typeof workJob.schema>>[3]) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await enqueueOne(runner(), keys, workJob, data));
  return ids;
}

describe("flow control across worker processes", () => {
  it("concurrency: 1 never runs two at once across three processes, including after one is SIGKILLed mid-job", async () => {
    freshQueue();
    const workers = await spawnWorkers(3, { FLOW_CONCURRENCY: "1" });
    // Kill whichever worker starts the third job, while it runs it.
    let starts = 0;
    const doomed = new Promise<ChildWorker>((resolve) => {
      for (const worker of workers) {
        worker.process.on("message", (message: { type: string }) => {
          if (message.type === "started" && ++starts === 3) resolve(worker);
        });
      }
    });
    const ids = await enqueueMany(8, { ms: 300, track: true });
    const victim = await doomed;
    victim.process.kill("SIGKILL");
    await victim.exited();
    // Its run never reached its `finally`; its slot is still held in Redis until a survivor reaps its lease.
    for (const member of await fleet.redis.smembers(RUNNING_KEY)) {
      if (member.startsWith(`${victim.process.pid}:`)) await fleet.redis.srem(RUNNING_KEY, member);
    }
    for (const id of ids) await waitForState(runner(), keys, id, "completed", 30_000);
    expect(Number(await fleet.redis.get(MAX_RUNNING_KEY))).toBe(1);
    const statuses = await Promise.all(ids.map((id) => getStatus(runner(), keys, id)));
    // The killed run was reaped and run again elsewhere: a stall, not an attempt.
    expect(statuses.filter((status) => status!.stalls === 1)).toHaveLength(1);
    expect(statuses.every((status) => status!.attempt === 1)).toBe(true);
  }, 60_000);

  it("rate 5/s is never exceeded in any 1-second window across three processes", async () => {
    freshQueue();
    await spawnWorkers(3, { FLOW_RATE: "5/1s" });
    const ids = await enqueueMany(20, {});
    for (const id of ids) await waitForState(runner(), keys, id, "completed", 30_000);
    // Start times as the claim recorded them (the flow gate counts the same clock).
    const starts = (await Promise.all(ids.map((id) => getStatus(runner(), keys, id)))).map((status) => Date.parse(status!.startedAt!)).sort((a, b) => a - b);
    expect(starts).toHaveLength(20);
    expect(busiestWindow(starts, 1_000)).toBe(5);
  }, 60_000);
});

describe("back-pressure in process", () => {
  it("RateLimitedError pauses the queue for every worker and hands the job back without spending an attempt", async () => {
    freshQueue();
    let throws = 1;
    const worker = fleet.inProcess({
      handlers: {
        work: async () => {
          if (throws-- > 0) throw new RateLimitedError(300);
          return { ok: true };
        },
        digest: () => ({}),
      },
      leaseMs: 5_000,
    });
    await worker.start();
    const first = await enqueueOne(runner(), keys, workJob, {});
    const until = await waitFor(async () => Number(await fleet.redis.hget(keys.meta, FLOW_META.throttledUntil)), { what: "queue throttled" });
    const sibling = await enqueueOne(runner(), keys, workJob, {});
    const done = await Promise.all([first, sibling].map((id) => waitForState(runner(), keys, id, "completed")));
    // Neither started before the pause ended, and the throttled run did not count as an attempt.
    for (const status of done) {
      expect(status.attempt).toBe(1);
      expect(Date.parse(status.startedAt!)).toBeGreaterThanOrEqual(until);
    }
  });
});
