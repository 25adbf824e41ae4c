/**
 * Completion callbacks end to end: real Redis, real workers (in-process and forked), a real HTTP receiver on
 * loopback. A finished job's status reaches the receiver signed like the webhook job, with a webhook-id stable
 * per job and outcome; the callback job retries a failing receiver and is dead-lettered on its own, leaving the
 * job's outcome alone; a worker SIGKILLed right after settling still ends with exactly one callback, delivered.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { callbackLocalId, callbackWebhookId } from "../../shared/src/callbacks";
import { queueKeys, type QueueKeys } from "../../shared/src/keys";
import { listJobs } from "../../shared/src/ops/admin";
import { getStatus } from "../../shared/src/ops/read";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { waitFor } from "../../infra/test/wait-for";
import { createCallbackHandler } from "../src/handlers/callback";
import { createWorker, type Worker } from "../src/worker";
import { defineJob, type JobDefinition } from "../../shared/src/job-definition";
import { z } from "zod";
import { CALLBACK_REGISTRY } from "./fixtures/callback-jobs";
import { createWorkHandler, workJob } from "./fixtures/test-jobs";
import { enqueueOne, waitForState } from "./support";
import { startTestReceiver, type TestReceiver } from "./support/webhook-receiver";

const SECRET = `whsec_${Buffer.from("offload-callback-secret-0123456789").toString("base64")}`;
let server: RedisServerHandle;
let redis: Redis;
let receiver: TestReceiver;
let prefix: string;
let work: QueueKeys;
let callbacks: QueueKeys;
let counter = 0;
const workers: Worker[] = [];
const runner = () => ioredisRunner(redis);

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await receiver?.close();
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

async function setup() {
  receiver = await startTestReceiver();
  prefix = `cb${++counter}`;
  work = queueKeys("work", prefix);
  callbacks = queueKeys("callback", prefix);
}

async function startWorker(options: { allowPrivateNetworks?: boolean; scheduled?: JobDefinition } = {}) {
  const scheduled = options.scheduled ? { [options.scheduled.name]: options.scheduled } : {};
  const worker = createWorker({
    redisUrl: server.url,
    prefix,
    registry: { ...CALLBACK_REGISTRY, ...scheduled },
    handlers: {
      work: createWorkHandler(redis),
      callback: createCallbackHandler({ secret: SECRET, allowPrivateNetworks: options.allowPrivateNetworks ?? true, maxRetryAfterMs: 1_000 }),
      ...(options.scheduled ? { [options.scheduled.name]: async () => ({ ticked: true }) } : {}),
    },
    queues: ["work", "callback", ...Object.keys(scheduled)],
    concurrency: 2,
    leaseMs: 5_000,
    shutdownGraceMs: 1_000,
    log: pino({ level: "silent" }),
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

/** The callback job of a work job and outcome, once it is in one of `states`. */
async function callbackJobOf(localId: string, outcome: "completed" | "dead", states: ("completed" | "dead")[]) {
  const id = await callbackLocalId(`work.${localId}`, outcome);
  return { id, status: await waitForState(runner(), callbacks, id, states) };
}

const verifier = new Webhook(SECRET);

describe("completion callbacks through real workers", () => {
  it("a completed job's status is POSTed signed; a 500 is retried with the same webhook-id", async () => {
    await setup();
    await startWorker();
    receiver.reply({ status: 500, body: "not yet" }, { status: 200 });
    const localId = await enqueueOne(runner(), work, workJob, { tag: "t1" }, { callback: `${receiver.origin}/done` });
    const { status: callback } = await callbackJobOf(localId, "completed", ["completed"]);
    expect(callback.attempt).toBe(2);
    expect(receiver.deliveries).toHaveLength(2);

    const job = await getStatus(runner(), work, localId);
    expect(job).toMatchObject({ state: "completed", result: { tag: "t1", attempt: 1 } });
    for (const delivery of receiver.deliveries) {
      expect(delivery.method).toBe("POST");
      expect(delivery.path).toBe("/done");
      expect(delivery.headers["content-type"]).toBe("application/json");
      expect(delivery.headers["webhook-id"]).toBe(callbackWebhookId(`work.${localId}`, "completed"));
      expect(delivery.headers["webhook-id"]).toBe(`work.${localId}:completed`);
      // The body is the job's status as GET /v1/jobs/{id} shows it, exactly as signed.
      expect(verifier.verify(delivery.body, delivery.headers as Record<string, string>)).toEqual(job);
    }
  });

  it("a dead job's callback; a receiver that keeps failing dead-letters the callback job, never the job", async () => {
    await setup();
    await startWorker();
    receiver.reply({ status: 500 }, { status: 502 }, { status: 503 });
    const localId = await enqueueOne(runner(), work, workJob, { unrecoverable: true }, { callback: `${receiver.origin}/hooks/dead` });
    const { status: callback } = await callbackJobOf(localId, "dead", ["dead", "completed"]);
    expect(callback).toMatchObject({ state: "dead", attempt: 3, error: { message: "receiver answered 503 with an empty body" } });
    expect(receiver.deliveries).toHaveLength(3);
    const ids = new Set(receiver.deliveries.map((delivery) => delivery.headers["webhook-id"]));
    expect([...ids]).toEqual([`work.${localId}:dead`]);
    const body = verifier.verify(receiver.deliveries[0]!.body, receiver.deliveries[0]!.headers as Record<string, string>) as Record<string, unknown>;
    expect(body).toMatchObject({ id: `work.${localId}`, state: "dead", error: { message: "this can never work" } });
    expect((body.error as Record<string, unknown>).stack).toBeUndefined();
    // The job itself is exactly as it died: its callback's fate is the callback queue's business.
    expect(await getStatus(runner(), work, localId)).toMatchObject({ state: "dead", error: { message: "this can never work" } });
    expect(await redis.zcard(callbacks.dead)).toBe(1);
  });

  it("a schedule's options.callback and options.priority: its tick job runs at that priority and its completion is POSTed", async () => {
    await setup();
    const ticker = defineJob({
      name: "ticker",
      schema: z.object({}),
      schedules: [{ id: "t", every: "1s", data: {}, options: { priority: 1, callback: `${receiver.origin}/tick`, callbackOn: ["completed"] } }],
    });
    await startWorker({ scheduled: ticker });
    const delivery = await receiver.nextDelivery();
    expect(delivery.path).toBe("/tick");
    const jobId = String(delivery.headers["webhook-id"]).replace(/:completed$/, "");
    expect(delivery.headers["webhook-id"]).toBe(`${jobId}:completed`);
    const body = verifier.verify(delivery.body, delivery.headers as Record<string, string>) as Record<string, unknown>;
    expect(body).toMatchObject({ id: jobId, state: "completed", priority: 1, result: { ticked: true } });
    const record = await redis.hgetall(queueKeys("ticker", prefix).job(jobId.split(".")[1]!));
    expect(record).toMatchObject({ P: "1" });
    expect(JSON.parse(record.o!)).toEqual({ callback: `${receiver.origin}/tick`, callbackOn: ["completed"] });
  });

  it("callbackOn=dead sends nothing for a completion; retries of the job send nothing either", async () => {
    await setup();
    await startWorker();
    const quiet = await enqueueOne(runner(), work, workJob, {}, { callback: `${receiver.origin}/x`, callbackOn: ["dead"] });
    const retried = await enqueueOne(runner(), work, workJob, { failTimes: 1 }, { callback: `${receiver.origin}/y`, callbackOn: ["completed"] });
    await waitForState(runner(), work, quiet, "completed");
    // The entry would have been written by the very settle that completed the job: none was.
    expect(await redis.hexists(work.callbacks, `${quiet}:completed`)).toBe(0);
    const { status } = await callbackJobOf(retried, "completed", ["completed"]);
    expect(status.state).toBe("completed");
    expect(receiver.deliveries.map((delivery) => delivery.path)).toEqual(["/y"]);
    expect(await getStatus(runner(), callbacks, await callbackLocalId(`work.${quiet}`, "completed"))).toBeUndefined();
  });

  it("the SSRF guard runs at send time: a private callback URL is refused and dead-lettered without a request", async () => {
    await setup();
    await startWorker({ allowPrivateNetworks: false });
    const localId = await enqueueOne(runner(), work, workJob, {}, { callback: `${receiver.origin}/private` });
    const { status } = await callbackJobOf(localId, "completed", ["dead", "completed"]);
    expect(status).toMatchObject({ state: "dead", attempt: 1 });
    expect(status.error!.message).toMatch(/^refused webhook URL: destination 127\.0\.0\.1 is not allowed: loopback address/);
    expect(receiver.deliveries).toHaveLength(0);
    expect(await getStatus(runner(), work, localId)).toMatchObject({ state: "completed" });
  });

  it("a callback re-delivered by another worker (the first one stopped mid-POST) keeps its webhook-id", async () => {
    await setup();
    const first = await startWorker();
    receiver.reply("hang", { status: 204 });
    const localId = await enqueueOne(runner(), work, workJob, { tag: "again" }, { callback: `${receiver.origin}/slow` });
    await receiver.nextDelivery();
    // Stopped while the receiver sits on the first POST: the grace runs out, the callback job is handed back.
    workers.splice(workers.indexOf(first), 1);
    await first.stop();
    await startWorker();
    const { status } = await callbackJobOf(localId, "completed", ["completed"]);
    expect(status.result).toMatchObject({ status: 204 });
    expect(receiver.deliveries).toHaveLength(2);
    const [a, b] = receiver.deliveries;
    expect(a!.headers["webhook-id"]).toBe(`work.${localId}:completed`);
    expect(b!.headers["webhook-id"]).toBe(a!.headers["webhook-id"]);
    expect(b!.body).toBe(a!.body);
    for (const delivery of receiver.deliveries) expect(() => verifier.verify(delivery.body, delivery.headers as Record<string, string>)).not.toThrow();
  });

  it("a worker SIGKILLed right after settling: two workers started later move it once, one callback is delivered", async () => {
    await setup();
    const localId = await enqueueOne(runner(), work, workJob, { tag: "crash" }, { callback: `${receiver.origin}/after-crash` });
    const child = fork(join(import.meta.dirname, "fixtures/callback-worker.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, REDIS_URL: server.url, REDIS_PREFIX: prefix, KILL_AFTER_SETTLE: "1" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const [, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    expect(signal).toBe("SIGKILL");
    // It died with the outcome recorded and the callback not moved on: the entry waits in the job's own slot.
    expect(await getStatus(runner(), work, localId)).toMatchObject({ state: "completed" });
    expect(await redis.hgetall(work.callbacks)).toEqual({ [`${localId}:completed`]: `${receiver.origin}/after-crash` });
    expect(await redis.exists(callbacks.job(await callbackLocalId(`work.${localId}`, "completed")))).toBe(0);

    // Two workers start at once: both first ticks see the entry and both move it.
    await Promise.all([startWorker(), startWorker()]);
    await callbackJobOf(localId, "completed", ["completed"]);
    await waitFor(async () => ((await redis.hlen(work.callbacks)) === 0 ? true : undefined), { what: "the entry to be forgotten" });
    expect(receiver.deliveries).toHaveLength(1);
    expect(receiver.deliveries[0]!.headers["webhook-id"]).toBe(`work.${localId}:completed`);
    const completed = await listJobs(runner(), callbacks, { state: "completed", limit: 50 });
    expect(completed.jobs).toHaveLength(1);
    expect((await listJobs(runner(), callbacks, { state: "waiting", limit: 50 })).jobs).toHaveLength(0);
  });
});
