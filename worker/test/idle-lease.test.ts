/**
 * The idle lease (worker/src/lease.ts, "Idle cost"), with real processes over a real redis-server:
 *   - the worst case it must survive: a worker that was idle takes a job and is SIGKILLed right away; the job
 *     comes back within one lease (+ the same bounded margin as crash.test.ts), although its idle peer's own
 *     heartbeat is a minute away: the claim made the lease short and its marker woke the peer;
 *   - delayed jobs still start when due on a worker whose idle heartbeat is a minute away;
 *   - a worker that recovers after a lost reply ticks at once: a peer's tick may have shortened its idle lease
 *     while the lost entry sat in its in-flight list, and recovery alone would let that lease run out;
 *   - what an idle worker sends, counted by the server (INFO commandstats) over a fixed number of idle
 *     heartbeats, not over a wall-clock window: one tick per heartbeat, BLMOVEs re-issued as they time out, and
 *     nothing else.
 */
import { describe, expect, it } from "vitest";
import { getStatus } from "../../shared/src/ops/read";
import { tickCall } from "../../shared/src/ops/tick";
import { waitFor } from "../../infra/test/wait-for";
import { EXECUTIONS_KEY, workJob } from "./fixtures/test-jobs";
import { enqueueOne, waitForState } from "./support";
import { clientLine, killClient } from "./support/clients";
import { useWorkerFleet } from "./support/fleet";
import { commandCalls, commandsBetween } from "./support/command-stats";

const LEASE_MS = 2_000;
/** Far longer than the test may take: only the marker can make the idle peer tick in time. */
const IDLE_HEARTBEAT_MS = 60_000;
// One redis-server for the file; workers forked or started by a test are gone after it (support/fleet.ts).
const fleet = useWorkerFleet({ prefix: "idle", leaseMs: LEASE_MS });
const runner = () => fleet.runner();
/** A forked test worker on the current queue whose idle heartbeat is a minute away. */
async function spawnWorker() {
  const [child] = await fleet.spawn(1, { IDLE_HEARTBEAT_MS: String(IDLE_HEARTBEAT_MS) });
  return child!;
}

/** Redis's own clock, the one lease expiries are written in. */
async function redisNow(): Promise<number> {
  const [seconds, micros] = await fleet.redis.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}
async function expiryOf(workerId: string): Promise<number> {
  return Number(await fleet.redis.zscore(fleet.keys.workers, workerId));
}
async function isIdle(workerId: string): Promise<boolean> {
  const expiry = await fleet.redis.zscore(fleet.keys.workers, workerId);
  return expiry !== null && Number(expiry) > (await redisNow()) + LEASE_MS;
}

describe("idle lease", () => {
  it("a worker SIGKILLed right after it took a job while idle: the job comes back within one lease", async () => {
    fleet.freshQueue();
    const [a, b] = await Promise.all([spawnWorker(), spawnWorker()]);
    // Both idle: their entries say "nothing to reap" (an expiry further than a lease away) and both sit in BLMOVE.
    await waitFor(async () => (await isIdle(a.workerId)) && (await isIdle(b.workerId)), { what: "both workers idle" });
    await waitFor(async () => Number((await fleet.redis.info("clients")).match(/blocked_clients:(\d+)/)?.[1]) === 2, { what: "both blocked" });

    const id = await enqueueOne(runner(), fleet.keys, workJob, { ms: 60_000, tag: "taken-while-idle" });
    const jobId = `work.${id}`;
    const starts = [a, b].map((worker) => worker.nextStart().then((started) => ({ worker, started })));
    const taker = await Promise.race(starts);
    expect(taker.started).toBe(jobId);
    taker.worker.process.kill("SIGKILL");
    await taker.worker.exited();
    const killedAt = await redisNow();
    const peer = taker.worker === a ? b : a;
    // The claim that took the job made the taker's lease short again: no idle expiry left to wait out.
    expect(await expiryOf(taker.worker.workerId)).toBeLessThanOrEqual(killedAt + LEASE_MS);
    expect((await getStatus(runner(), fleet.keys, id))!.state).toBe("active");

    const rescued = await (taker.worker === a ? starts[1]! : starts[0]!);
    const pickedUpAt = await redisNow();
    expect(rescued).toEqual({ worker: peer, started: jobId });
    // Within one lease of the kill plus the tick margin and a busy machine's slack (crash.test.ts's bound), where
    // the peer's own heartbeat alone would have taken a minute.
    expect(pickedUpAt - killedAt).toBeLessThan(LEASE_MS + 3_000);
    const status = await getStatus(runner(), fleet.keys, id);
    expect(status).toMatchObject({ state: "active", stalls: 1 });
    expect(Number(await fleet.redis.hget(EXECUTIONS_KEY, jobId))).toBe(2);
    expect(await fleet.redis.exists(fleet.keys.active(taker.worker.workerId))).toBe(0);
  });

  it("a delayed job still runs on time on a worker idle for a minute: the producer's marker and nextDue wake it", async () => {
    fleet.freshQueue();
    const worker = await spawnWorker();
    await waitFor(() => isIdle(worker.workerId), { what: "worker idle" });
    // Two delayed jobs, the second due later: the first one's marker wakes the worker, the claim's nextDue
    // schedules the tick that promotes it, and the next nextDue the one after it (no heartbeat involved).
    const first = await enqueueOne(runner(), fleet.keys, workJob, { ms: 1 }, { delayMs: 1_000 });
    const second = await enqueueOne(runner(), fleet.keys, workJob, { ms: 1 }, { delayMs: 2_000 });
    expect(await worker.nextStart()).toBe(`work.${first}`);
    expect(await worker.nextStart()).toBe(`work.${second}`);
    // waitForState gives up after 20 s: a promotion left to the minute-long idle heartbeat would fail here.
    const done = await waitForState(runner(), fleet.keys, second, "completed");
    // Started no earlier than due: promoted by the tick the claim's nextDue scheduled for its runAt.
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(done.runAt!));
    // And idle again once done: the next tick after the run wrote the far expiry.
    await waitFor(() => isIdle(worker.workerId), { what: "idle again" });
  });

  it("a worker recovering from a lost reply ticks at once, so a lease a peer shortened meanwhile is renewed", async () => {
    fleet.freshQueue();
    let recovered = false;
    const tickedAfterRecovery: (() => void)[] = [];
    const worker = fleet.inProcess({
      concurrency: 4,
      idleHeartbeatMs: IDLE_HEARTBEAT_MS,
      observers: [{
        recovered: () => (recovered = true),
        ticked: (event) => { if (recovered && event.idle) tickedAfterRecovery.splice(0).forEach((wake) => wake()); },
      }],
    });
    await worker.start();
    await waitFor(() => isIdle(worker.id), { what: "worker idle" });
    const blocking = `offload:${worker.id}:blocking:work`;
    await waitFor(async () => (await clientLine(fleet.redis, blocking))?.includes("cmd=blmove"), { what: "worker blocked in BLMOVE" });

    // What a lost BLMOVE reply leaves: an entry in our in-flight list that this process does not know about (a
    // marker here, so recovery hands nothing back and no claim follows to renew the lease as a side effect).
    await fleet.redis.lpush(fleet.keys.active(worker.id), "~");
    // A peer's tick sees it under our idle lease and shortens that lease to one lease from now.
    await runner().run(tickCall(fleet.keys, { workerId: "peer", leaseMs: LEASE_MS, maxStalls: 1, deadTtlMs: 60_000 }));
    expect(await expiryOf(worker.id)).toBeLessThanOrEqual((await redisNow()) + LEASE_MS);

    // The reply is lost: the blocking connection dies, the worker recovers...
    const ticked = new Promise<void>((resolve) => tickedAfterRecovery.push(resolve));
    await killClient(fleet.redis, blocking);
    // ...and ticks right after, long before its idle heartbeat (a minute away) and before the shortened lease runs
    // out: without that tick this wait fails, and a peer would reap our entry once the lease lapsed.
    await ticked;
    expect(await fleet.redis.llen(fleet.keys.active(worker.id))).toBe(0);
    expect(await isIdle(worker.id)).toBe(true);
  });

  it("an idle worker sends one tick per idle heartbeat and nothing else (counted by the server)", async () => {
    fleet.freshQueue();
    const leaseMs = 1_000;
    const idleHeartbeatMs = 1_500;
    const idleTicks: (() => void)[] = [];
    let idleTickCount = 0;
    const worker = fleet.inProcess({
      concurrency: 4,
      leaseMs,
      idleHeartbeatMs,
      // BLMOVE times out several times in the window: each is re-issued with no claim in between.
      blockSeconds: 1,
      observers: [{ ticked: (event) => { if (event.idle) { idleTickCount += 1; idleTicks.splice(0).forEach((wake) => wake()); } } }],
    });
    const nextIdleTick = () => new Promise<void>((resolve) => idleTicks.push(resolve));
    await worker.start();
    await waitFor(async () => Number((await fleet.redis.info("clients")).match(/blocked_clients:(\d+)/)?.[1]) === 1, { what: "blocked" });
    await nextIdleTick();
    const before = await commandCalls(fleet.redis);
    const ticksBefore = idleTickCount;
    const periods = 3;
    for (let i = 0; i < periods; i++) await nextIdleTick();
    const after = await commandCalls(fleet.redis);
    const sent = commandsBetween(before, after, ["time", "zscore"]);
    expect(idleTickCount - ticksBefore).toBe(periods);
    // Exactly one script call per idle heartbeat (a busy lease would have ticked every half lease: 9 times here),
    // none after the BLMOVE timeouts, and no other client command. commandstats also counts what scripts run inside Redis (the
    // tick's ZADD, LLEN, ...), which Upstash does not bill as commands; those are left out by name.
    expect(sent.evalsha).toBe(periods);
    const insideScripts = new Set(["del", "exists", "hget", "hmget", "hset", "hincrby", "llen", "zadd", "zrange", "zrangebyscore", "pexpire", "get", "zrem", "zcard"]);
    expect(sent.blmove).toBeGreaterThan(0);
    expect(Object.keys(sent).filter((name) => !["evalsha", "blmove"].includes(name) && !insideScripts.has(name))).toEqual([]);
    expect(sent.zadd).toBe(periods); // one lease write per tick
    // And it says "nothing to reap": the expiry is further than a lease away.
    expect(await expiryOf(worker.id)).toBeGreaterThan((await redisNow()) + leaseMs);
  });
});
