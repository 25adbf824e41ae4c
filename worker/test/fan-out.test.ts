/**
 * Event fan-out with real worker processes over a real redis-server: a worker SIGKILLed halfway through an
 * expansion (held by the fixture right after the first target's enqueue was answered) leaves each target created
 * exactly once once another worker retries the event; a fan-out that builds an invalid payload dead-letters the
 * event with a reason naming the target, after the valid targets were created, and the worker keeps serving.
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventJob } from "../../shared/src/jobs/event";
import { targetLocalId } from "../../shared/src/event-ids";
import { queueKeys } from "../../shared/src/keys";
import { getStatus, readRecord } from "../../shared/src/ops/read";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { TARGETS } from "./fixtures/fan-out-worker";
import { enqueueOne, waitForState } from "./support";

let server: RedisServerHandle;
let redis: Redis;
let counter = 0;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 });
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

interface Message {
  type: string;
  target?: string;
  jobId?: string;
}

/** Forks the fan-out fixture and resolves once it is ready; `next(type)` awaits its next message of a type. */
async function spawn(prefix: string, env: Record<string, string> = {}) {
  const child = fork(join(import.meta.dirname, "fixtures/fan-out-worker.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, REDIS_URL: server.url, REDIS_PREFIX: prefix, LEASE_MS: "1000", ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.push(child);
  const messages: Message[] = [];
  const waiters: { type: string; resolve: (message: Message) => void }[] = [];
  child.on("message", (message: Message) => {
    const waiter = waiters.find((w) => w.type === message.type);
    if (waiter) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    } else messages.push(message);
  });
  const next = (type: string) => {
    const index = messages.findIndex((m) => m.type === type);
    if (index >= 0) return Promise.resolve(messages.splice(index, 1)[0]!);
    return new Promise<Message>((resolve) => waiters.push({ type, resolve }));
  };
  await next("ready");
  return { child, next };
}

const runner = () => ioredisRunner(redis);
const fresh = () => `fan${++counter}`;

async function publish(prefix: string, event: string, data: unknown) {
  return enqueueOne(runner(), queueKeys("event", prefix), eventJob, { event, data });
}

/** How many entries of a target's wait list are its derived id, and how many jobs the queue holds at all. */
async function targetCounts(prefix: string, name: string, localId: string) {
  const keys = queueKeys(name, prefix);
  const entries = await redis.lrange(keys.wait, 0, -1);
  return { mine: entries.filter((entry) => entry === localId).length, jobs: entries.filter((entry) => entry !== "~").length };
}

describe("event fan-out through real worker processes", () => {
  it("a worker SIGKILLed after the first target exists: the retried expansion creates each target once", async () => {
    const prefix = fresh();
    const eventLocalId = await publish(prefix, "many", { n: 10 });
    const ids = Object.fromEntries(await Promise.all(TARGETS.map(async (name) => [name, await targetLocalId(eventLocalId, name)] as const)));

    const doomed = await spawn(prefix, { HOLD_AFTER: "1" });
    const held = await doomed.next("held");
    expect(held).toMatchObject({ target: "t1", jobId: `t1.${ids.t1}` });
    // Halfway, observed in Redis: the first target exists, none of the others does.
    expect((await getStatus(runner(), queueKeys("t1", prefix), ids.t1!))?.state).toBe("waiting");
    for (const name of TARGETS.slice(1)) expect(await getStatus(runner(), queueKeys(name, prefix), ids[name]!)).toBeUndefined();
    doomed.child.kill("SIGKILL");
    await once(doomed.child, "exit");

    await spawn(prefix);
    const status = await waitForState(runner(), queueKeys("event", prefix), eventLocalId, "completed");
    expect(status.stalls).toBe(1);
    expect(status.result).toEqual({
      event: "many",
      jobs: TARGETS.map((name) => ({ name, id: `${name}.${ids[name]}`, outcome: name === "t1" ? "existing" : "created" })),
    });
    for (const [index, name] of TARGETS.entries()) {
      expect(await targetCounts(prefix, name, ids[name]!)).toEqual({ mine: 1, jobs: 1 });
      // The payload its mapping function built (field "d" of the record: the status view does not show data).
      expect(JSON.parse((await readRecord(runner(), queueKeys(name, prefix), ids[name]!)).d!)).toEqual({ n: 10 + index });
    }
  });

  it("an invalid built payload dead-letters the event with the target and path; valid targets exist; the worker lives", async () => {
    const prefix = fresh();
    const worker = await spawn(prefix);
    const broken = await publish(prefix, "broken", { n: 1 });
    const dead = await waitForState(runner(), queueKeys("event", prefix), broken, "dead");
    expect(dead.attempt).toBe(1); // unrecoverable: not retried
    expect(dead.error?.message).toMatch(/t2: built payload is invalid: n: /);
    expect(dead.error?.message).toMatch(/t3: the fan-out function threw: mapping exploded/);
    expect(await targetCounts(prefix, "t1", await targetLocalId(broken, "t1"))).toEqual({ mine: 1, jobs: 1 });
    expect(await targetCounts(prefix, "t2", await targetLocalId(broken, "t2"))).toEqual({ mine: 0, jobs: 0 });

    // Same process, next event: still serving.
    const next = await publish(prefix, "many", { n: 0 });
    await waitForState(runner(), queueKeys("event", prefix), next, "completed");
    expect(worker.child.exitCode).toBeNull();
  });

  it("an event body that does not match its schema is dead-lettered (the edge checks it first; this is the backstop)", async () => {
    const prefix = fresh();
    await spawn(prefix);
    const id = await publish(prefix, "many", { n: "x" });
    const dead = await waitForState(runner(), queueKeys("event", prefix), id, "dead");
    expect(dead.error?.message).toMatch(/event "many" is invalid: n: /);
    expect(await targetCounts(prefix, "t1", await targetLocalId(id, "t1"))).toEqual({ mine: 0, jobs: 0 });
  });
});
