/**
 * Recurring schedules with real worker processes over a real redis-server: two workers and a schedule every 2 s
 * create exactly one job per tick; a schedule survives killing every worker for ~10 s according to its catchUp.
 * Jobs are counted from the workers' "started" events and from Redis, never by sleeping for a tick.
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { queueKeys, type QueueKeys } from "../../shared/src/keys";
import { scheduleLocalId } from "../../shared/src/schedules/ids";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";

interface Started { jobId: string; schedule: string }
interface Child { process: ChildProcess; nextStart(): Promise<Started>; exited: Promise<unknown> }

let server: RedisServerHandle;
let redis: Redis;
let keys: QueueKeys;
let counter = 0;
const children: Child[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 });
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
    await child.exited;
  }
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

/** One started event stream for every worker of a test (all share one queue). */
const started: Started[] = [];
const startWaiters: ((s: Started) => void)[] = [];
function nextStart(): Promise<Started> {
  const queued = started.shift();
  return queued ? Promise.resolve(queued) : new Promise((resolve) => startWaiters.push(resolve));
}

async function spawn(schedules: string): Promise<Child> {
  const child = fork(join(import.meta.dirname, "fixtures/schedule-worker.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, REDIS_URL: server.url, REDIS_PREFIX: keys.jobPrefix.split(":")[0]!, SCHEDULES: schedules },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  const ready = new Promise<void>((resolve, reject) => {
    child.on("message", (message: { type: string; jobId?: string; schedule?: string }) => {
      if (message.type === "ready") resolve();
      if (message.type === "started") {
        const event = { jobId: message.jobId!, schedule: message.schedule! };
        const waiter = startWaiters.shift();
        if (waiter) waiter(event);
        else started.push(event);
      }
    });
    void exited.then(() => reject(new Error("schedule worker exited before it was ready")));
  });
  const handle = { process: child, nextStart, exited };
  children.push(handle);
  await ready;
  return handle;
}

/** The tick (a multiple of 2 s) whose derived job id this is, searched in [from, to]. */
async function tickOf(schedule: string, localId: string, from: number, to: number): Promise<number | undefined> {
  for (let tick = Math.floor(from / 2_000) * 2_000; tick <= to; tick += 2_000) {
    if ((await scheduleLocalId("beat", schedule, tick)) === localId) return tick;
  }
  return undefined;
}

async function jobIdsInRedis(): Promise<string[]> {
  const found = await redis.keys(`${keys.jobPrefix}*`);
  return found.map((key) => key.slice(keys.jobPrefix.length)).sort();
}

function freshQueue() {
  keys = queueKeys("beat", `sched${++counter}`);
  started.length = 0;
  startWaiters.length = 0;
}

describe("recurring schedules across real worker processes", () => {
  it("two workers and a schedule every 2 s create exactly one job per tick", async () => {
    freshQueue();
    const from = Date.now();
    await Promise.all([spawn("one"), spawn("one")]);
    const seen: Started[] = [];
    for (let i = 0; i < 4; i += 1) seen.push(await nextStart());
    for (const child of children) child.process.kill("SIGTERM");
    await Promise.all(children.map((child) => child.exited));
    const to = Date.now();

    // Each started job is a distinct tick's job, started once.
    const ticks = await Promise.all(seen.map((s) => tickOf("beat-one", s.jobId.split(".")[1]!, from, to)));
    expect(ticks.every((t) => t !== undefined)).toBe(true);
    expect(new Set(ticks).size).toBe(4);
    // Redis holds exactly one job per tick from the first to the last one fired: no duplicates, no gaps.
    const [last] = (await redis.hget(keys.schedulesRuns, "beat-one"))!.split(" ");
    const first = Math.min(...(ticks as number[]));
    const expected: string[] = [];
    for (let tick = first; tick <= Number(last); tick += 2_000) expected.push(await scheduleLocalId("beat", "beat-one", tick));
    expect(expected.length).toBeGreaterThanOrEqual(4);
    expect(await jobIdsInRedis()).toEqual(expected.sort());
    expect(started.filter((s) => seen.some((t) => t.jobId === s.jobId))).toEqual([]);
  }, 30_000);

  it("a schedule survives killing every worker for ~10 s: catchUp one fires the latest missed tick, none fires none", async () => {
    freshQueue();
    const worker = await spawn("one,none");
    // Both schedules fired once: the fleet is running.
    const firstTwo = new Set([(await nextStart()).schedule, (await nextStart()).schedule]);
    expect(firstTwo).toEqual(new Set(["beat-one", "beat-none"]));
    worker.process.kill("SIGKILL");
    await worker.exited;
    const killedAt = Date.now();
    const before = new Set(await jobIdsInRedis());
    // The outage itself (not a synchronisation): no worker for ~10 s, five ticks missed.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const restartedAt = Date.now();
    await spawn("one,none");
    // The catch-up fires in the worker's start, before it says it is ready.
    const readyAt = Date.now();
    // The next job that starts is the catch-up of "one"; then both resume on schedule.
    const afterRestart: Started[] = [];
    while (!afterRestart.some((s) => s.schedule === "beat-none")) afterRestart.push(await nextStart());
    for (const child of children) child.process.kill("SIGTERM");
    await Promise.all(children.map((child) => child.exited));

    const created = (await jobIdsInRedis()).filter((id) => !before.has(id));
    const tickOfEach = async (schedule: string) =>
      (await Promise.all(created.map((id) => tickOf(schedule, id, killedAt - 4_000, Date.now())))).filter((t) => t !== undefined) as number[];
    const oneTicks = await tickOfEach("beat-one");
    const noneTicks = await tickOfEach("beat-none");
    // "one": exactly one job for all the ticks missed during the outage, the latest one before the restart.
    // (the outage's ticks: killedAt … restartedAt; the catch-up fired during start, before readyAt)
    const outage = oneTicks.filter((t) => t > killedAt).sort((a, b) => a - b);
    expect(outage.filter((t) => t < restartedAt - 2_000)).toEqual([]); // the earlier missed ticks: no jobs
    expect(outage[0]).toBeLessThanOrEqual(readyAt); // the one catch-up job, the latest tick before it fired
    expect(outage[0]).toBeGreaterThan(restartedAt - 2_000);
    // "none": no job for any tick of the outage; its next job is a tick after the restart.
    expect(noneTicks.filter((t) => t > killedAt + 1_000 && t < restartedAt)).toEqual([]);
    expect(Math.min(...noneTicks.filter((t) => t > killedAt + 1_000))).toBeGreaterThan(restartedAt);
  }, 40_000);
});
