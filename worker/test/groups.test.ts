/**
 * Groups across real worker processes (forked test workers over one real redis-server): the small groups finish
 * before a big group's backlog (round robin), a per-group concurrency of 1 is never exceeded across three
 * processes even after one is SIGKILLed mid-job, and a per-group rate limit holds in every 1-second window while
 * another group runs alongside. Assertions are on counts and orders from the job records, never on durations.
 */
import { describe, expect, it } from "vitest";
import type { QueueKeys } from "../../shared/src/keys";
import { enqueue, prepareBatch } from "../../shared/src/ops/enqueue";
import { getStatus } from "../../shared/src/ops/read";
import { EXECUTIONS_KEY, MAX_RUNNING_KEY, RUNNING_KEY, workJob } from "./fixtures/test-jobs";
import { waitForState, type ChildWorker } from "./support";
import { busiestWindow, useWorkerFleet } from "./support/fleet";

const LEASE_MS = 2_000;
const fleet = useWorkerFleet({ prefix: "groups", leaseMs: LEASE_MS, cleanup: ["test:running*", EXECUTIONS_KEY] });
const runner = () => fleet.runner();
let keys: QueueKeys;
function freshQueue() {
  keys = fleet.freshQueue();
}
const spawnWorkers = (count: number, env: Record<string, string>) => fleet.spawn(count, env);

/** `count` jobs of one group in one batch; returns their local ids. */
async function enqueueGroup(group: string, count: number, data: { ms?: number; track?: boolean } = {}) {
  const items = Array.from({ length: count }, () => ({ data: { ...data, tag: group }, options: { group } }));
  const results = await enqueue(runner(), keys, await prepareBatch(workJob, items));
  return results.map((result) => result.localId);
}
async function statusesOf(ids: string[]) {
  return Promise.all(ids.map(async (id) => (await getStatus(runner(), keys, id))!));
}

describe("groups across worker processes", () => {
  it("round robin: ten small groups finish before a 2,000-job group's backlog", async () => {
    freshQueue();
    const big = await enqueueGroup("big", 2_000, { ms: 1 });
    const small: string[] = [];
    for (let g = 0; g < 10; g++) small.push(...(await enqueueGroup(`small-${g}`, 5, { ms: 1 })));
    await spawnWorkers(3, {});
    for (const id of small) await waitForState(runner(), keys, id, "completed", 30_000);
    const lastSmall = Math.max(...(await statusesOf(small)).map((s) => Date.parse(s.finishedAt!)));
    // Every small job waited behind at most one big job per turn: 50 small jobs in 5 turns of 11 groups, plus
    // what three workers of 4 slots claim at once. Far below the backlog.
    const bigDoneBefore = (await statusesOf(big)).filter((s) => s.finishedAt !== null && Date.parse(s.finishedAt) <= lastSmall).length;
    expect(bigDoneBefore).toBeLessThan(200);
    await waitForState(runner(), keys, big.at(-1)!, "completed", 60_000);
  }, 90_000);

  it("per-group concurrency 1 never runs two of a group at once across three processes, including after a SIGKILL mid-job", async () => {
    freshQueue();
    const workers = await spawnWorkers(3, { GROUP_CONCURRENCY: "1" });
    let starts = 0;
    const doomed = new Promise<ChildWorker>((resolve) => {
      for (const worker of workers) {
        worker.process.on("message", (message: { type: string }) => {
          if (message.type === "started" && ++starts === 3) resolve(worker);
        });
      }
    });
    const ids = [...(await enqueueGroup("a", 5, { ms: 300, track: true })), ...(await enqueueGroup("b", 5, { ms: 300, track: true }))];
    const victim = await doomed;
    victim.process.kill("SIGKILL");
    await victim.exited();
    // Its run never reached its `finally`: forget its entries in the trackers (its slot in Redis is reaped).
    for (const key of [RUNNING_KEY, `${RUNNING_KEY}:a`, `${RUNNING_KEY}:b`]) {
      for (const member of await fleet.redis.smembers(key)) if (member.startsWith(`${victim.process.pid}:`)) await fleet.redis.srem(key, member);
    }
    for (const id of ids) await waitForState(runner(), keys, id, "completed", 30_000);
    expect(Number(await fleet.redis.get(`${MAX_RUNNING_KEY}:a`))).toBe(1);
    expect(Number(await fleet.redis.get(`${MAX_RUNNING_KEY}:b`))).toBe(1);
    // The two groups did run side by side: the limit is per group, not per queue.
    expect(Number(await fleet.redis.get(MAX_RUNNING_KEY))).toBe(2);
    const statuses = await statusesOf(ids);
    expect(statuses.filter((status) => status.stalls === 1)).toHaveLength(1);
    expect(statuses.every((status) => status.attempt === 1)).toBe(true);
    // Nothing of the groups is left behind once they are done.
    expect(await fleet.redis.keys(`${fleet.prefix}:{work}:g[sw]:*`)).toEqual([]);
  }, 60_000);

  it("per-group rate 5/s is never exceeded in any 1-second window, while another group runs alongside", async () => {
    freshQueue();
    await spawnWorkers(3, { GROUP_RATE: "5/1s" });
    const a = await enqueueGroup("a", 15);
    const b = await enqueueGroup("b", 15);
    for (const id of [...a, ...b]) await waitForState(runner(), keys, id, "completed", 30_000);
    const startsOf = async (ids: string[]) => (await statusesOf(ids)).map((s) => Date.parse(s.startedAt!));
    const startsA = await startsOf(a);
    const startsB = await startsOf(b);
    expect(busiestWindow(startsA, 1_000)).toBe(5);
    expect(busiestWindow(startsB, 1_000)).toBe(5);
    // Both groups at their own rate at once: the queue as a whole went faster than one group's limit.
    expect(busiestWindow([...startsA, ...startsB], 1_000)).toBeGreaterThan(5);
  }, 60_000);
});
