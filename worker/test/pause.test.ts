/**
 * Pausing a queue, seen from real workers over a real redis-server (the admin API, the dashboard and the CLI all
 * call the same setPaused): a job running when the pause comes finishes; nothing starts while paused, although
 * jobs wait; the pause outlives the worker and holds for every worker (two new ones start nothing); a paused worker
 * costs what an idle one does — one tick per idle heartbeat and re-issued BLMOVEs, counted by the server, no
 * claim polling; and resume wakes a worker blocked in BLMOVE at once (its block and idle heartbeat are minutes
 * away, so nothing else could start the job in time).
 */
import { describe, expect, it } from "vitest";
import type { QueueKeys } from "../../shared/src/keys";
import { setPaused } from "../../shared/src/ops/admin";
import { getStatus } from "../../shared/src/ops/read";
import { waitFor } from "../../infra/test/wait-for";
import type { Worker, WorkerOptions } from "../src/worker";
import type { WorkerObserver } from "../src/observer";
import { EXECUTIONS_KEY, workJob } from "./fixtures/test-jobs";
import { enqueueOne, waitForState } from "./support";
import { commandCalls, commandsBetween } from "./support/command-stats";
import { useWorkerFleet } from "./support/fleet";

const fleet = useWorkerFleet({ prefix: "pause", leaseMs: 1_000 });
const runner = () => fleet.runner();
let keys: QueueKeys;

function startWorker(options: Partial<WorkerOptions> & { observers: WorkerObserver[] }): Worker {
  return fleet.inProcess({ shutdownGraceMs: 2_000, ...options });
}

/** Resolves on the next matching observer event (no polling). */
function events<E>() {
  const waiters: ((event: E) => void)[] = [];
  return {
    emit: (event: E) => waiters.splice(0).forEach((wake) => wake(event)),
    next: () => new Promise<E>((resolve) => waiters.push(resolve)),
  };
}

const blockedClients = async () => Number((await fleet.redis.info("clients")).match(/blocked_clients:(\d+)/)?.[1]);

describe("a paused queue", () => {
  it("lets the running job finish, starts nothing, outlives the worker, costs no polling, and resume wakes at once", async () => {
    keys = fleet.freshQueue();
    // 1. A job is running when the pause comes: it finishes.
    const started = events<{ entry: string }>();
    const idleTicks = events<void>();
    const first = startWorker({
      idleHeartbeatMs: 1_500,
      blockSeconds: 1,
      observers: [{ started: (event) => started.emit(event), ticked: (event) => event.idle && idleTicks.emit() }],
    });
    await first.start();
    const nextStart = started.next();
    const running = await enqueueOne(runner(), keys, workJob, { ms: 500, tag: "running" });
    expect((await nextStart).entry).toBe(running);
    expect(await setPaused(runner(), keys, true)).toEqual({ name: "work", paused: true });
    const waiting = await enqueueOne(runner(), keys, workJob, { tag: "waits" });
    await waitForState(runner(), keys, running, "completed");

    // 2. While paused a job waits and the worker costs what an idle one does: over 3 idle heartbeats, one
    //    script call (the tick) each, BLMOVEs re-issued as they time out, nothing else — no claim polling.
    await idleTicks.next();
    const before = await commandCalls(fleet.redis);
    for (let i = 0; i < 3; i++) await idleTicks.next();
    const sent = commandsBetween(before, await commandCalls(fleet.redis));
    expect(sent.evalsha).toBe(3);
    expect(sent.blmove).toBeGreaterThan(0);
    const insideScripts = new Set(["del", "exists", "hget", "hmget", "hset", "hincrby", "llen", "zadd", "zrange", "zrangebyscore", "pexpire", "get", "zrem", "zcard"]);
    expect(Object.keys(sent).filter((name) => !["evalsha", "blmove"].includes(name) && !insideScripts.has(name))).toEqual([]);
    expect(await getStatus(runner(), keys, waiting)).toMatchObject({ state: "waiting", attempt: 0 });

    // 3. The pause lives in Redis: new workers (other ids, as after a restart, or on other machines) start
    //    nothing either. Their block and idle heartbeat are minutes long, so only a wake-up can start the job.
    await first.stop();
    const laterStarts = events<{ entry: string }>();
    for (let i = 0; i < 2; i++) {
      const ticks = events<void>();
      const later = startWorker({
        idleHeartbeatMs: 300_000,
        blockSeconds: 300,
        observers: [{ started: (event) => laterStarts.emit(event), ticked: (event) => event.idle && ticks.emit() }],
      });
      const idle = ticks.next();
      await later.start();
      await idle;
    }
    await waitFor(async () => (await blockedClients()) === 2, { what: "both new workers blocked in BLMOVE" });
    expect(await getStatus(runner(), keys, waiting)).toMatchObject({ state: "waiting", attempt: 0 });
    expect(await fleet.redis.hget(EXECUTIONS_KEY, `work.${waiting}`)).toBeNull();

    // 4. Resume: the RENAME back wakes a blocked worker, which starts the job at once (once: one job, one run).
    const woke = laterStarts.next();
    const resumedAt = performance.now();
    expect(await setPaused(runner(), keys, false)).toEqual({ name: "work", paused: false });
    expect((await woke).entry).toBe(waiting);
    // Not a performance bound: only a wake-up can start it before the 300 s block or idle heartbeat ends, and
    // 10 s leaves a loaded CI machine all the room it needs (it takes a few ms here).
    expect(performance.now() - resumedAt).toBeLessThan(10_000);
    await waitForState(runner(), keys, waiting, "completed");
    expect(await fleet.redis.hget(EXECUTIONS_KEY, `work.${waiting}`)).toBe("1");
  });
});
