/**
 * The webhook job through the whole queue (real Redis, real worker, real receiver on loopback): retries with
 * the same webhook-id, timeouts, Retry-After, permanent 4xx and the SSRF guard, each visible in the job status.
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JOBS } from "../../shared/src/jobs/index";
import { FLOW_META, queueKeys, type QueueKeys } from "../../shared/src/keys";
import { waitFor } from "../../infra/test/wait-for";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { createWorker, type Worker } from "../src/worker";
import { createWebhookHandler } from "../src/handlers/webhook";
import { FREE_THROTTLES } from "../src/outcome";
import { FIELD } from "../../shared/src/record";
import { startTestReceiver, type TestReceiver } from "./support/webhook-receiver";
import { enqueueOne, waitForState } from "./support";

const SECRET = `whsec_${Buffer.from("offload-test-secret-0123456789").toString("base64")}`;
let server: RedisServerHandle;
let redis: Redis;
let receiver: TestReceiver;
let keys: QueueKeys;
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

async function setup(allowPrivateNetworks = true) {
  receiver = await startTestReceiver();
  const prefix = `wh${++counter}`;
  keys = queueKeys("webhook", prefix);
  const worker = createWorker({
    redisUrl: server.url,
    prefix,
    registry: JOBS,
    handlers: { webhook: createWebhookHandler({ secret: SECRET, allowPrivateNetworks, maxRetryAfterMs: 5_000 }) },
    queues: ["webhook"],
    concurrency: 2,
    leaseMs: 5_000,
    shutdownGraceMs: 1_000,
    log: pino({ level: "silent" }),
  });
  workers.push(worker);
  await worker.start();
}

const enqueueWebhook = (options: Parameters<typeof enqueueOne>[4] = {}) =>
  enqueueOne(runner(), keys, JOBS.webhook, { url: `${receiver.origin}/hooks`, body: { event: "invoice.paid", n: 1 } }, { backoffMs: 10, ...options });

describe("webhook job through the queue", () => {
  it("fails twice, then delivers: three signed deliveries with the same webhook-id", async () => {
    await setup();
    receiver.reply({ status: 503 }, { status: 500 }, { status: 200, body: "thanks" });
    const id = await enqueueWebhook();
    const status = await waitForState(runner(), keys, id, "completed");
    expect(status.attempt).toBe(3);
    expect(status.result).toMatchObject({ status: 200 });
    expect(typeof (status.result as { durationMs: number }).durationMs).toBe("number");
    expect(receiver.deliveries).toHaveLength(3);
    const verifier = new Webhook(SECRET);
    for (const delivery of receiver.deliveries) {
      expect(delivery.headers["webhook-id"]).toBe(`webhook.${id}`);
      expect(verifier.verify(delivery.body, delivery.headers as Record<string, string>)).toEqual({ event: "invoice.paid", n: 1 });
    }
  });

  it("a receiver slower than the timeout is retried", async () => {
    await setup();
    receiver.reply("hang", { status: 204 });
    const id = await enqueueWebhook({ timeoutMs: 300 });
    const status = await waitForState(runner(), keys, id, "completed");
    expect(status).toMatchObject({ attempt: 2, result: { status: 204 } });
  });

  it("429 with Retry-After waits at least that long before the next delivery, without spending an attempt", async () => {
    await setup();
    receiver.reply({ status: 429, headers: { "retry-after": "1" } }, { status: 200 });
    const id = await enqueueWebhook();
    const first = await receiver.nextDelivery();
    const firstAt = Date.now();
    expect(first.headers["webhook-id"]).toBe(`webhook.${id}`);
    await receiver.nextDelivery();
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(1_000);
    expect(await waitForState(runner(), keys, id, "completed")).toMatchObject({ attempt: 1 });
  });

  it("a 429 with Retry-After pauses that destination host (its group): a sibling waits too, another host does not", async () => {
    await setup();
    const other = await startTestReceiver();
    try {
      receiver.reply({ status: 429, headers: { "retry-after": "1" } }, { status: 200 }, { status: 200 });
      const first = await enqueueWebhook();
      await receiver.nextDelivery();
      // The fleet-wide pause of the group (the destination host), as the settle of the 429 wrote it; not the queue's.
      const host = new URL(receiver.origin).host;
      const until = await waitFor(async () => Number(await redis.hget(keys.groupState(host), "until")), { what: "group throttled" });
      expect(await redis.hget(keys.meta, FLOW_META.throttledUntil)).toBeNull();
      const sibling = await enqueueWebhook();
      const elsewhere = await enqueueOne(runner(), keys, JOBS.webhook, { url: `${other.origin}/hooks`, body: { n: 2 } });
      await other.nextDelivery();
      // The other destination is delivered during the pause.
      expect(Date.now()).toBeLessThan(until);
      const deliveredAt: number[] = [];
      for (let i = 0; i < 2; i++) {
        await receiver.nextDelivery();
        deliveredAt.push(Date.now());
      }
      // Both the 429'd job and its sibling to the same host started only once the pause ended.
      for (const at of deliveredAt) expect(at).toBeGreaterThanOrEqual(until);
      expect(await waitForState(runner(), keys, first, "completed")).toMatchObject({ attempt: 1 });
      expect(await waitForState(runner(), keys, sibling, "completed")).toMatchObject({ attempt: 1 });
      expect(await waitForState(runner(), keys, elsewhere, "completed")).toMatchObject({ attempt: 1 });
      expect(receiver.deliveries).toHaveLength(3);
    } finally {
      await other.close();
    }
  });

  it("a receiver that always answers 429 does not keep a job forever: past FREE_THROTTLES each throttle spends an attempt", async () => {
    await setup();
    receiver.always({ status: 429, headers: { "retry-after": "0" }, body: "slow down" });
    const id = await enqueueWebhook({ maxAttempts: 2 });
    const status = await waitForState(runner(), keys, id, "dead");
    // FREE_THROTTLES throttled runs cost nothing; the next two spend attempt 1 (a retry) and attempt 2 (dead).
    expect(receiver.deliveries).toHaveLength(FREE_THROTTLES + 2);
    expect(status).toMatchObject({ attempt: 2, error: { reason: "max_attempts" } });
    expect(status.error?.message).toContain(`throttled ${FREE_THROTTLES + 2} times (only ${FREE_THROTTLES} spend no attempt): receiver answered 429`);
    expect(await redis.hget(keys.job(id), FIELD.throttles)).toBe(String(FREE_THROTTLES + 2));
  });

  it("410 is dead at once, keeping the status and a body excerpt", async () => {
    await setup();
    receiver.reply({ status: 410, body: `gone: ${"x".repeat(3_000)}` });
    const id = await enqueueWebhook();
    const status = await waitForState(runner(), keys, id, "dead");
    expect(status.attempt).toBe(1);
    expect(status.error?.message).toMatch(/410/);
    expect(status.error?.message).toContain("gone: xxx");
    expect(status.error!.message.length).toBeLessThan(1_500);
    expect(receiver.deliveries).toHaveLength(1);
  });

  it("a payload nested too deep for its schema is dead-lettered, and the worker keeps going", async () => {
    await setup();
    // Written straight to Redis, as an older producer might have: the edge refuses such bodies.
    const id = "deep000000000001";
    const data = `{"url":"${receiver.origin}/hooks","body":${"[".repeat(5_000)}1${"]".repeat(5_000)}}`;
    await redis.hset(keys.job(id), { v: "1", n: "webhook", d: data, s: "waiting", a: "0", m: "3", c: String(Date.now()) });
    await redis.lpush(keys.wait, id);
    expect((await waitForState(runner(), keys, id, "dead")).error).toMatchObject({ reason: "invalid_payload" });
    const next = await enqueueWebhook();
    expect(await waitForState(runner(), keys, next, "completed")).toMatchObject({ result: { status: 200 } });
  });

  it("a private destination is refused (dead with the reason) unless private networks are allowed", async () => {
    await setup(false);
    const id = await enqueueWebhook();
    const status = await waitForState(runner(), keys, id, "dead");
    expect(status.error?.message).toMatch(/loopback/);
    expect(status.error?.message).toMatch(/WEBHOOK_ALLOW_PRIVATE_NETWORKS/);
    expect(receiver.deliveries).toHaveLength(0);
  });
});
