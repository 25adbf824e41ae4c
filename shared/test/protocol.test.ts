/**
 * Protocol conformance: the same cases through both script runners (ioredis and @upstash/redis via the local
 * REST endpoint) against a real redis-server. Time is passed in explicitly, so lease expiry and backoff are
 * tested without waiting.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob } from "../src/job-definition";
import { minuteOf, queueKeys, type QueueKeys } from "../src/keys";
import { errorsHistory, FIELD } from "../src/record";
import { COMPLETED_INDEX_MAX } from "../src/ops/admin";
import { prepareBatch, prepareJob, enqueue, enqueueCall, parseEnqueueReply } from "../src/ops/enqueue";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { countThrottleCall, parseSettleReply, settleCall, type Settlement } from "../src/ops/settle";
import { retryJob } from "../src/ops/admin/move";
import { parseTickReply, tickCall } from "../src/ops/tick";
import { cancelJob, getStatus, parseStatsReply, readRecord, statsCall } from "../src/ops/read";
import { recoverCall } from "../src/ops/recover";
import { envelopeFromClaim } from "../src/envelope";
import type { ScriptRunner } from "../src/script-runner";
import { startRedisServer, type RedisServerHandle } from "../../infra/runtime/redis-server";
import { RUNNERS, type RunnerHandle } from "./runners";
import { adminCases } from "./admin-cases";
import { scheduleCases } from "./schedule-cases";
import { dedupeCases } from "./dedupe-cases";
import { priorityCases } from "./priority-cases";
import { spreadCases } from "./spread-cases";
import { callbackCases } from "./callback-cases";
import { flowCases } from "./flow-cases";
import { groupCases } from "./group-cases";
import { enqueueFormsCases } from "./enqueue-forms-cases";
import { freshCases } from "./fresh-cases";
import { claimShortCases } from "./claim-short-cases";

const job = defineJob({ name: "proto", schema: z.object({ n: z.number() }), maxAttempts: 3 });
const T0 = 1_800_000_000_000;
const LEASE = 30_000;

let server: RedisServerHandle;
let singleDirect: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  singleDirect = new Redis(server.url, { protocol: 2 });
});
afterAll(async () => {
  singleDirect.disconnect();
  await server.stop();
});

describe.each(Object.keys(RUNNERS))("protocol over %s", (runnerName) => {
  let handle: RunnerHandle;
  let runner: ScriptRunner;
  let keys: QueueKeys;
  let prefixCounter = 0;
  // Where this test's keys live: the shared server, or (cluster runner) the master owning the queue's slot.
  let direct: Redis;
  let nodeUrl: string;

  beforeAll(async () => {
    handle = await RUNNERS[runnerName]!(server.url);
    runner = handle.runner;
  }, 120_000);
  afterAll(() => handle.close());
  beforeEach(async () => {
    keys = queueKeys("proto", `t-${runnerName}-${++prefixCounter}`);
    const node = await handle.nodeFor?.(keys.wait);
    direct = node?.direct ?? singleDirect;
    nodeUrl = node?.url ?? server.url;
  });

  // Operator operations (pause, listing, replay …): shared/test/admin-cases.ts.
  describe("admin operations", () => {
    adminCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  // Twenty queues over every master of the cluster (on one Redis, the same calls): shared/test/spread-cases.ts.
  describe("twenty queues", () => {
    spreadCases({
      runner: () => runner,
      runnerName,
      nodeFor: async (key) => {
        const node = await handle.nodeFor?.(key);
        return { direct: node?.direct ?? singleDirect, port: node?.direct.options.port ?? server.port };
      },
    });
  });

  // enqueue_short (plain jobs) and enqueue write the same: shared/test/enqueue-forms-cases.ts.
  describe("the two enqueue scripts", () => {
    enqueueFormsCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  // Fresh jobs (waiting, never claimed: the record packed in {q}:fresh): shared/test/fresh-cases.ts.
  describe("fresh jobs", () => {
    freshCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  // claim_short, the pickup of one BLMOVE'd id: shared/test/claim-short-cases.ts.
  describe("claim_short", () => {
    claimShortCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  // Dedupe keys and debounce in the enqueue script: shared/test/dedupe-cases.ts.
  describe("dedupe and debounce", () => {
    dedupeCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  // Completion callbacks (the settle scripts' {q}:callbacks entries, the idempotent move): shared/test/callback-cases.ts.
  describe("completion callbacks", () => {
    callbackCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  // Flow control: rate limits, concurrency and back-pressure in the claim script: shared/test/flow-cases.ts.
  describe("flow control", () => {
    flowCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  // Priorities (the priority zset beside wait, claim's merge): shared/test/priority-cases.ts.
  describe("priorities", () => {
    priorityCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  // Groups (round robin between groups, per-group limits and back-pressure): shared/test/group-cases.ts.
  describe("groups", () => {
    groupCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  // Recurring schedules (upsert, fire by compare-and-set, catch-up): shared/test/schedule-cases.ts.
  describe("recurring schedules", () => {
    scheduleCases({ runner: () => runner, keys: () => keys, direct: () => direct, redisUrl: () => nodeUrl, runnerName });
  });

  const claim = async (worker: string, max: number, now = T0, moved?: string) =>
    parseClaimReply(await runner.run(claimCall(keys, worker, max, { moved, now })));
  const settle = async (worker: string, settlements: Settlement[], now = T0) =>
    parseSettleReply(await runner.run(settleCall(keys, worker, settlements, now)));
  const tick = async (worker: string, now: number, leaseMs = LEASE, deadTtlMs = 60_000) =>
    parseTickReply(await runner.run(tickCall(keys, { workerId: worker, leaseMs, maxStalls: 1, deadTtlMs }, now)));
  const history = async (now: number) => direct.hgetall(keys.history(minuteOf(now)));
  const errorsOf = async (localId: string) => errorsHistory(await direct.hgetall(keys.job(localId)));
  const settlement = (entry: string, kind: Settlement["kind"], extra: Partial<Settlement> = {}): Settlement => ({
    entry, recordId: entry, kind, payload: kind === "completed" ? '{"ok":1}' : kind === "handBack" ? "" : '{"message":"boom"}',
    runAt: 0, ttlMs: 60_000, ...extra,
  });

  it("enqueues a job with its record and a waiting entry", async () => {
    const [result] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    expect(result).toMatchObject({ state: "waiting", outcome: "created" });
    expect(result!.id).toBe(`proto.${result!.localId}`);
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual([result!.localId]);
    const status = await getStatus(runner, keys, result!.localId);
    expect(status).toMatchObject({ state: "waiting", attempt: 0, maxAttempts: 3, name: "proto" });
    expect(status!.createdAt).toBe(new Date(T0).toISOString());
  });

  it("a re-sent enqueue (same prepared job) creates one job", async () => {
    const prepared = await prepareJob(job, { n: 2 });
    const call = enqueueCall(keys, [prepared], T0);
    const first = parseEnqueueReply(keys, await runner.run(call), [prepared]);
    const second = parseEnqueueReply(keys, await runner.run(call), [prepared]);
    expect(await direct.llen(keys.wait)).toBe(1);
    expect(first[0]!.outcome).toBe("created");
    expect(second[0]).toMatchObject({ localId: prepared.localId, state: "waiting", outcome: "existing" });
  });

  it("an idempotency key maps to one job; a different payload is a conflict", async () => {
    const a = await enqueue(runner, keys, [await prepareJob(job, { n: 3 }, { idempotencyKey: "order-7" })], T0);
    const b = await enqueue(runner, keys, [await prepareJob(job, { n: 3 }, { idempotencyKey: "order-7" })], T0);
    const c = await enqueue(runner, keys, [await prepareJob(job, { n: 4 }, { idempotencyKey: "order-7" })], T0);
    expect(b[0]).toMatchObject({ id: a[0]!.id, outcome: "existing" });
    expect(c[0]).toMatchObject({ id: a[0]!.id, outcome: "conflict" });
    expect(await direct.llen(keys.wait)).toBe(1);
  });

  describe("batch idempotency (one key for a whole batch)", () => {
    const items = (...ns: number[]) => ns.map((n) => ({ data: { n } }));
    const jobKeys = async () => (await direct.keys(`${keys.jobPrefix}*`)).sort();
    // Every key of this case's queue (records, lists, idempotency keys).
    const queueKeysNow = async () => (await direct.keys(`${keys.jobPrefix.slice(0, -"job:".length)}*`)).sort();

    it("a re-sent batch with its key answers the original ids and creates nothing", async () => {
      const first = await enqueue(runner, keys, await prepareBatch(job, [...items(1, 2), { data: { n: 3 }, options: { delayMs: 5_000 } }], "b-1"), T0);
      expect(first.map((r) => r.outcome)).toEqual(["created", "created", "created"]);
      const records = await jobKeys();
      // A new request: new local ids are prepared, the key maps each index to the original one.
      const again = await enqueue(runner, keys, await prepareBatch(job, [...items(1, 2), { data: { n: 3 }, options: { delayMs: 5_000 } }], "b-1"), T0 + 1);
      expect(again.map((r) => [r.id, r.state, r.outcome])).toEqual(first.map((r) => [r.id, r.state, "existing"]));
      expect(await jobKeys()).toEqual(records);
      expect(await direct.lrange(keys.wait, 0, -1)).toEqual([first[1]!.localId, first[0]!.localId, "~"]);
    });

    it("a different body with the same key conflicts and writes nothing, whatever its length", async () => {
      const first = await enqueue(runner, keys, await prepareBatch(job, items(1, 2, 3), "b-2"), T0);
      const before = await queueKeysNow();
      const wait = await direct.lrange(keys.wait, 0, -1);
      for (const body of [items(1, 2, 3, 4, 5), items(1, 2, 4), items(1), [...items(1, 2), { data: { n: 3 }, options: { maxAttempts: 1 } }]]) {
        const results = await enqueue(runner, keys, await prepareBatch(job, body, "b-2"), T0 + 1);
        expect(results).toHaveLength(body.length);
        // Every index the key covered points at the original job; indexes beyond it were not written.
        expect(results.map((r) => r.outcome)).toEqual(body.map((_, i) => (i < 3 ? "conflict" : "skipped")));
        expect(results.slice(0, 3).map((r) => r.id)).toEqual(first.slice(0, body.length).map((r) => r.id));
        expect(results.slice(3).every((r) => r.state === "expired")).toBe(true);
      }
      expect(await queueKeysNow()).toEqual(before);
      expect(await direct.lrange(keys.wait, 0, -1)).toEqual(wait);
    });

    it("one conflicting key refuses the whole call: jobs without a key in it are not written either", async () => {
      await enqueue(runner, keys, [await prepareJob(job, { n: 1 }, { idempotencyKey: "solo" })], T0);
      const calls = [await prepareJob(job, { n: 7 }), await prepareJob(job, { n: 2 }, { idempotencyKey: "solo" }), await prepareJob(job, { n: 8 })];
      const results = await enqueue(runner, keys, calls, T0);
      expect(results.map((r) => r.outcome)).toEqual(["skipped", "conflict", "skipped"]);
      expect(await direct.exists(keys.job(calls[0]!.localId), keys.job(calls[2]!.localId))).toBe(0);
      expect(await direct.llen(keys.wait)).toBe(1);
    });

    it("the same key twice in one call maps to the first job", async () => {
      const a = await prepareJob(job, { n: 1 }, { idempotencyKey: "twice" });
      const b = await prepareJob(job, { n: 1 }, { idempotencyKey: "twice" });
      const results = await enqueue(runner, keys, [a, b], T0);
      expect(results.map((r) => [r.localId, r.outcome])).toEqual([[a.localId, "created"], [a.localId, "existing"]]);
      expect(await direct.llen(keys.wait)).toBe(1);
    });

    it("a batch key and a single job's key never match each other: `<key>#<i>` with another fingerprint conflicts", async () => {
      await enqueue(runner, keys, [await prepareJob(job, { n: 1 }, { idempotencyKey: "shared#0" })], T0);
      const results = await enqueue(runner, keys, await prepareBatch(job, items(1), "shared"), T0);
      expect(results[0]!.outcome).toBe("conflict");
      // And a batch key does not claim the bare key: a single job with it is a job of its own.
      await enqueue(runner, keys, [await prepareJob(job, { n: 1 }, { idempotencyKey: "b-3" })], T0);
      const [batched] = await enqueue(runner, keys, await prepareBatch(job, items(1), "b-3"), T0);
      expect(batched!.outcome).toBe("created");
    });

    it("a keyed batch larger than one chunk (2,500 keys: three MGET chunks) replays in order", async () => {
      const body = items(...Array.from({ length: 2_500 }, (_, n) => n));
      const first = await enqueue(runner, keys, await prepareBatch(job, body, "big"), T0);
      const again = await enqueue(runner, keys, await prepareBatch(job, body, "big"), T0);
      expect(again.map((r) => r.id)).toEqual(first.map((r) => r.id));
      expect(again.every((r) => r.outcome === "existing")).toBe(true);
      expect(await direct.llen(keys.wait)).toBe(2_500);
      const changed = await enqueue(runner, keys, await prepareBatch(job, [...body, { data: { n: -1 } }], "big"), T0);
      expect(changed.at(-1)!.outcome).toBe("skipped");
      expect(await direct.llen(keys.wait)).toBe(2_500);
    });
  });

  it("enqueues a batch of 1000 in one call", async () => {
    const jobs = await Promise.all(Array.from({ length: 1000 }, (_, n) => prepareJob(job, { n })));
    const results = await enqueue(runner, keys, jobs, T0);
    expect(results).toHaveLength(1000);
    expect(new Set(results.map((r) => r.id)).size).toBe(1000);
    expect(await direct.llen(keys.wait)).toBe(1000);
  });

  it("a batch larger than one chunk keeps first-in first-out order in the wait list", async () => {
    // 2,500 jobs: three EXISTS chunks and three LPUSH chunks inside one call.
    const jobs = await Promise.all(Array.from({ length: 2_500 }, (_, n) => prepareJob(job, { n })));
    const results = await enqueue(runner, keys, jobs, T0);
    expect(results.every((r) => r.outcome === "created" && r.state === "waiting")).toBe(true);
    // Workers take from the right: the right end must be the first job of the batch, the left the last.
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual(jobs.map((j) => j.localId).reverse());
  });

  it("a re-sent batch with some jobs already created creates only the others", async () => {
    const jobs = await Promise.all([1, 2, 3].map((n) => prepareJob(job, { n })));
    await enqueue(runner, keys, [jobs[1]!], T0);
    const results = await enqueue(runner, keys, jobs, T0);
    expect(results.map((r) => r.outcome)).toEqual(["created", "existing", "created"]);
    expect(await direct.llen(keys.wait)).toBe(3);
  });

  it("one call mixes short-form jobs with jobs that carry a delay, attempts, options or an idempotency key", async () => {
    const jobs = await Promise.all([
      prepareJob(job, { n: 1 }),
      prepareJob(job, { n: 2 }, { delayMs: 5_000 }),
      prepareJob(job, { n: 3 }, { maxAttempts: 7 }),
      prepareJob(job, { n: 4 }, { idempotencyKey: "mixed-1" }),
      prepareJob(job, { n: 5 }, { timeoutMs: 1_000 }),
      prepareJob(job, { n: 6 }),
    ]);
    const results = await enqueue(runner, keys, jobs, T0);
    expect(results.map((r) => [r.localId, r.state, r.outcome])).toEqual(
      jobs.map((j, i) => [j.localId, i === 1 ? "delayed" : "waiting", "created"]),
    );
    const record = (i: number) => readRecord(runner, keys, jobs[i]!.localId);
    expect(await record(0)).toMatchObject({ [FIELD.data]: '{"n":1}', [FIELD.maxAttempts]: "3", [FIELD.createdAt]: String(T0) });
    expect(await record(1)).toMatchObject({ [FIELD.data]: '{"n":2}', [FIELD.runAt]: String(T0 + 5_000) });
    expect(await record(2)).toMatchObject({ [FIELD.data]: '{"n":3}', [FIELD.maxAttempts]: "7" });
    expect(await record(4)).toMatchObject({ [FIELD.data]: '{"n":5}', [FIELD.options]: '{"timeoutMs":1000}' });
    expect((await record(5))[FIELD.options]).toBeUndefined();
    // Waiting jobs in first-in first-out order (workers take from the right); the delayed one is not among them,
    // the marker that wakes a worker for it is (rightmost: taken first).
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual([...[5, 4, 3, 2, 0].map((i) => jobs[i]!.localId), "~"]);
    const again = await enqueue(runner, keys, [await prepareJob(job, { n: 4 }, { idempotencyKey: "mixed-1" })], T0);
    expect(again[0]).toMatchObject({ localId: jobs[3]!.localId, outcome: "existing" });
  });

  it("the same local id twice in one call is one job", async () => {
    const prepared = await prepareJob(job, { n: 1 });
    const results = await enqueue(runner, keys, [prepared, prepared], T0);
    expect(results.map((r) => [r.localId, r.outcome, r.state])).toEqual([
      [prepared.localId, "created", "waiting"],
      [prepared.localId, "existing", "waiting"],
    ]);
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual([prepared.localId]);
  });

  it("a delayed job waits in the delayed set and wakes a blocked worker with a marker", async () => {
    const [result] = await enqueue(runner, keys, [await prepareJob(job, { n: 5 }, { delayMs: 5_000 })], T0);
    expect(result!.state).toBe("delayed");
    expect(Number(await direct.zscore(keys.delayed, result!.localId))).toBe(T0 + 5_000);
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual(["~"]);
    expect(await direct.get(keys.wake)).toBe(String(T0 + 5_000));
    // A later delayed job needs no second marker: a worker already wakes earlier.
    await enqueue(runner, keys, [await prepareJob(job, { n: 6 }, { delayMs: 9_000 })], T0);
    expect(await direct.llen(keys.wait)).toBe(1);
    // The marker is consumed by a claim, which reports when to come back.
    const early = await claim("w1", 5, T0 + 1);
    expect(early).toEqual({ nextDue: T0 + 5_000, settled: [], callbacksRecorded: false, movedFound: true, gate: { state: "none" }, claimed: [] });
    expect(await direct.llen(keys.active("w1"))).toBe(0);
    const due = await claim("w1", 5, T0 + 5_000);
    expect(due.claimed.map((c) => c.entry)).toEqual([result!.localId]);
    expect(due.nextDue).toBe(T0 + 9_000);
  });

  it("claims a batch, marks it active and settles completed", async () => {
    const created = await enqueue(runner, keys, await Promise.all([1, 2, 3].map((n) => prepareJob(job, { n }))), T0);
    const reply = await claim("w1", 2, T0 + 10);
    expect(reply.claimed.map((c) => c.entry)).toEqual([created[0]!.localId, created[1]!.localId]);
    const decoded = envelopeFromClaim("proto", reply.claimed[0]!.entry, reply.claimed[0]!.fields);
    expect(decoded).toMatchObject({ ok: true, envelope: { attempt: 1, maxAttempts: 3, data: { n: 1 }, enqueuedAt: T0 } });
    expect(await direct.lrange(keys.active("w1"), 0, -1)).toHaveLength(2);
    expect(await settle("w1", [settlement(created[0]!.localId, "completed")], T0 + 20)).toEqual([true]);
    const status = await getStatus(runner, keys, created[0]!.localId);
    expect(status).toMatchObject({ state: "completed", result: { ok: 1 }, attempt: 1 });
    expect(status!.finishedAt).toBe(new Date(T0 + 20).toISOString());
    expect(await direct.pttl(keys.job(created[0]!.localId))).toBeGreaterThan(0);
    const stats = parseStatsReply(keys, await runner.run(statsCall(keys)));
    expect(stats).toMatchObject({ waiting: 1, completed: 1, failed: 0 });
  });

  it("a claim carries settlements: finish these, give me the next, in one call", async () => {
    const created = await enqueue(runner, keys, await Promise.all([1, 2, 3].map((n) => prepareJob(job, { n }))), T0);
    await claim("w1", 1, T0);
    const reply = parseClaimReply(
      await runner.run(
        claimCall(keys, "w1", 2, { now: T0 + 5, settlements: [settlement(created[0]!.localId, "completed"), settlement("gone", "completed")] }),
      ),
    );
    expect(reply.settled).toEqual([true, false]);
    expect(reply.claimed.map((c) => c.entry)).toEqual([created[1]!.localId, created[2]!.localId]);
    expect((await getStatus(runner, keys, created[0]!.localId))!.state).toBe("completed");
    expect(parseStatsReply(keys, await runner.run(statsCall(keys)))).toMatchObject({ completed: 1, waiting: 0, active: 0 });
  });

  it("retry goes to the delayed set and comes back when due; dead goes to the dead-letter set", async () => {
    const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    const id = created!.localId;
    await claim("w1", 1, T0);
    expect(await settle("w1", [settlement(id, "retry", { runAt: T0 + 1_000 })], T0)).toEqual([true]);
    expect((await getStatus(runner, keys, id))!.state).toBe("delayed");
    expect((await claim("w1", 1, T0 + 999)).claimed).toEqual([]);
    const again = await claim("w1", 1, T0 + 1_000);
    expect(again.claimed[0]!.fields[3]).toBe("2"); // attempt
    await settle("w1", [settlement(id, "dead")], T0 + 1_001);
    const status = await getStatus(runner, keys, id);
    expect(status).toMatchObject({ state: "dead", attempt: 2, error: { message: "boom" } });
    expect(await direct.zscore(keys.dead, id)).toBe(String(T0 + 1_001));
    expect(parseStatsReply(keys, await runner.run(statsCall(keys)))).toMatchObject({ failed: 2, dead: 1 });
  });

  it("drops a settlement whose entry is no longer in the worker's in-flight list", async () => {
    const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    expect(await settle("w-never-claimed", [settlement(created!.localId, "completed")])).toEqual([false]);
    expect((await getStatus(runner, keys, created!.localId))!.state).toBe("waiting");
  });

  it("hands a job back on shutdown with the attempt given back, first in line", async () => {
    const created = await enqueue(runner, keys, await Promise.all([1, 2].map((n) => prepareJob(job, { n }))), T0);
    await claim("w1", 1, T0);
    await settle("w1", [settlement(created[0]!.localId, "handBack")]);
    expect(await getStatus(runner, keys, created[0]!.localId)).toMatchObject({ state: "waiting", attempt: 0 });
    expect((await claim("w2", 1, T0)).claimed[0]!.entry).toBe(created[0]!.localId);
  });

  it("reaps the jobs of a worker whose lease expired, then dead-letters after too many stalls", async () => {
    const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    const id = created!.localId;
    await tick("dead-worker", T0);
    const live = await tick("live-worker", T0 + 1);
    expect(live.earliestOtherExpiry).toBe(T0 + LEASE);
    await claim("dead-worker", 1, T0);
    expect((await tick("live-worker", T0 + LEASE - 1)).reaped).toBe(0);
    const reap = await tick("live-worker", T0 + LEASE + 1);
    expect(reap.reaped).toBe(1);
    expect(await getStatus(runner, keys, id)).toMatchObject({ state: "waiting", stalls: 1, attempt: 0 });
    expect(await direct.exists(keys.active("dead-worker"))).toBe(0);
    // Second stall exceeds maxStalls (1): dead with reason "stalled".
    await tick("dead-again", T0 + LEASE + 2);
    await claim("dead-again", 1, T0 + LEASE + 2);
    const second = await tick("live-worker", T0 + 2 * LEASE + 3);
    expect(second.dead).toBe(1);
    expect(await getStatus(runner, keys, id)).toMatchObject({ state: "dead", error: { reason: "stalled" } });
  });

  it("a clean leave hands back what is left in the worker's own list without counting a stall", async () => {
    const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    await tick("w1", T0);
    await claim("w1", 1, T0);
    await tick("w1", T0 + 1, 0);
    expect(await getStatus(runner, keys, created!.localId)).toMatchObject({ state: "waiting", stalls: 0, attempt: 0 });
    expect(await direct.zscore(keys.workers, "w1")).toBeNull();
  });

  it("recover hands back entries whose claim reply was lost", async () => {
    const created = await enqueue(runner, keys, await Promise.all([1, 2].map((n) => prepareJob(job, { n }))), T0);
    await claim("w1", 2, T0);
    const returned = await runner.run(recoverCall(keys, "w1", [created[0]!.localId]));
    expect(Number(returned)).toBe(1);
    expect(await direct.lrange(keys.active("w1"), 0, -1)).toEqual([created[0]!.localId]);
    expect(await getStatus(runner, keys, created[1]!.localId)).toMatchObject({ state: "waiting", attempt: 0 });
  });

  it("cancels waiting and delayed jobs only", async () => {
    const [waiting] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    const [delayed] = await enqueue(runner, keys, [await prepareJob(job, { n: 2 }, { delayMs: 60_000 })], T0);
    const [active] = await enqueue(runner, keys, [await prepareJob(job, { n: 3 })], T0);
    expect(await cancelJob(runner, keys, waiting!.localId)).toEqual({ outcome: "cancelled", previousState: "waiting" });
    expect(await cancelJob(runner, keys, delayed!.localId)).toEqual({ outcome: "cancelled", previousState: "delayed" });
    expect(await direct.zcard(keys.delayed)).toBe(0);
    await claim("w1", 5, T0);
    expect(await cancelJob(runner, keys, active!.localId)).toEqual({ outcome: "conflict", state: "active" });
    expect(await cancelJob(runner, keys, "0000000000000000")).toEqual({ outcome: "missing" });
    expect((await getStatus(runner, keys, waiting!.localId))!.state).toBe("cancelled");
  });

  it("dead-letters entries that cannot be run at all, in the claim, with their reason", async () => {
    const missing = "0000000000000001";
    await direct.set(keys.job("0000000000000002"), "not a hash");
    await direct.rpush(keys.wait, "not a job id", "", missing, "0000000000000002");
    const [good] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    const reply = await claim("w1", 10, T0);
    expect(reply.claimed.map((c) => c.entry)).toEqual([good!.localId]);
    expect(await direct.lrange(keys.active("w1"), 0, -1)).toEqual([good!.localId]);
    const dead = await direct.zrange(keys.dead, "0", "-1");
    expect(dead).toHaveLength(4);
    const reasons = await Promise.all(dead.map(async (id) => (await getStatus(runner, keys, id))!.error!.reason));
    expect(reasons.sort()).toEqual(["invalid_entry", "invalid_entry", "missing_record", "unreadable_record"]);
    expect((await getStatus(runner, keys, missing))!.error).toMatchObject({ reason: "missing_record", raw: missing });
  });

  it("an empty entry moved by BLMOVE is claimed (and dead-lettered), not mistaken for none", async () => {
    await direct.rpush(keys.active("w1"), "");
    const reply = await claim("w1", 1, T0, "");
    expect(reply).toMatchObject({ movedFound: true, claimed: [] });
    expect(await direct.llen(keys.active("w1"))).toBe(0);
    expect(await direct.zcard(keys.dead)).toBe(1);
  });

  it("reaping hands back entries a BLMOVE moved but no claim took, without a stall", async () => {
    const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    await tick("dead-worker", T0);
    await direct.lmove(keys.wait, keys.active("dead-worker"), "RIGHT", "LEFT");
    expect((await tick("live-worker", T0 + LEASE + 1)).reaped).toBe(0);
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual([created!.localId]);
    expect(await getStatus(runner, keys, created!.localId)).toMatchObject({ state: "waiting", stalls: 0 });
  });

  // The idle lease (worker/src/lease.ts, "Idle cost"; h3): tick ARGV[8], claim KEYS[11] + its two trailing ARGVs.
  describe("the idle lease", () => {
    const IDLE = 270_000;
    const idleTick = async (worker: string, now: number) =>
      parseTickReply(await runner.run(tickCall(keys, { workerId: worker, leaseMs: LEASE, maxStalls: 1, deadTtlMs: 60_000, idleLeaseMs: IDLE }, now)));
    const leasedClaim = async (worker: string, max: number, now: number, settlements: Settlement[] = []) =>
      parseClaimReply(await runner.run(claimCall(keys, worker, max, { now, leaseMs: LEASE, settlements })));
    const expiry = async (worker: string) => Number(await direct.zscore(keys.workers, worker));

    it("a tick writes the far expiry only while the in-flight list is empty, and says which it wrote", async () => {
      expect((await idleTick("w1", T0)).expiry).toBe(T0 + IDLE);
      expect(await expiry("w1")).toBe(T0 + IDLE);
      await direct.rpush(keys.active("w1"), "someentry0000001");
      expect((await idleTick("w1", T0 + 1)).expiry).toBe(T0 + 1 + LEASE);
      // Without ARGV[8] it is the lease, as before.
      await direct.del(keys.active("w1"));
      expect((await tick("w1", T0 + 2)).expiry).toBe(T0 + 2 + LEASE);
    });

    it("the claim that takes a job while idle makes the lease short and wakes a peer; busy or empty claims do not", async () => {
      await idleTick("w1", T0);
      const [a, b] = await enqueue(runner, keys, await Promise.all([1, 2].map((n) => prepareJob(job, { n }))), T0);
      // Took one, the wait list not drained: lease short, no marker (no peer can be blocked on a non-empty list).
      expect((await leasedClaim("w1", 1, T0 + 10)).claimed.map((c) => c.entry)).toEqual([a!.localId]);
      expect(await expiry("w1")).toBe(T0 + 10 + LEASE);
      expect(await direct.lrange(keys.wait, 0, -1)).toEqual([b!.localId]);
      // Back to idle, then a claim that drains the list: short again, and the marker for a blocked peer.
      await direct.del(keys.active("w1"));
      await idleTick("w1", T0 + 20);
      const carried = await leasedClaim("w1", 5, T0 + 30, [settlement(a!.localId, "completed")]);
      expect(carried.claimed.map((c) => c.entry)).toEqual([b!.localId]);
      expect(await expiry("w1")).toBe(T0 + 30 + LEASE);
      expect(await direct.lrange(keys.wait, 0, -1)).toEqual(["~"]);
      // Already busy: the lease is left to the tick, no second marker.
      await direct.del(keys.wait);
      await enqueue(runner, keys, [await prepareJob(job, { n: 3 })], T0);
      await leasedClaim("w1", 5, T0 + 40);
      expect(await expiry("w1")).toBe(T0 + 30 + LEASE);
      expect(await direct.llen(keys.wait)).toBe(0);
      // A claim that takes nothing, or one without the lease arguments, does not touch the lease.
      await idleTick("w2", T0);
      await leasedClaim("w2", 5, T0 + 50);
      expect(await expiry("w2")).toBe(T0 + IDLE);
      await enqueue(runner, keys, [await prepareJob(job, { n: 4 })], T0);
      expect((await claim("w2", 5, T0 + 60)).claimed).toHaveLength(1);
      expect(await expiry("w2")).toBe(T0 + IDLE);
    });

    it("a worker killed between its BLMOVE and its claim: a peer's tick shortens its idle lease, the job is back within one lease", async () => {
      const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
      await idleTick("w1", T0); // idle: the far expiry
      await idleTick("w2", T0);
      await direct.lmove(keys.wait, keys.active("w1"), "RIGHT", "LEFT"); // w1's BLMOVE; then w1 is SIGKILLed
      // w2's next tick sees an entry under an idle lease: one lease from now instead of minutes away.
      expect((await idleTick("w2", T0 + 100)).earliestOtherExpiry).toBe(T0 + 100 + LEASE);
      expect(await expiry("w1")).toBe(T0 + 100 + LEASE);
      // An idle peer with an empty list keeps its far expiry.
      expect(await expiry("w2")).toBe(T0 + 100 + IDLE);
      await idleTick("w2", T0 + 101 + LEASE); // never started, so not counted as reaped: simply back in line
      expect(await direct.lrange(keys.wait, 0, -1)).toEqual([created!.localId]);
      expect(await direct.exists(keys.active("w1"))).toBe(0);
    });
  });

  describe("while paused", () => {
    // What h2's pause script does (flag + RENAME of wait), written here so routing is tested on its own.
    const pause = async () => {
      await direct.hset(keys.meta, "paused", "1");
      if (await direct.exists(keys.wait)) await direct.rename(keys.wait, keys.paused);
    };
    const stats = async () => parseStatsReply(keys, await runner.run(statsCall(keys)));

    it("an enqueued job goes to the paused list and is not claimed; stats count it as waiting", async () => {
      const [before] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
      await pause();
      const [during] = await enqueue(runner, keys, [await prepareJob(job, { n: 2 })], T0);
      expect(during).toMatchObject({ state: "waiting", outcome: "created" });
      expect(await direct.exists(keys.wait)).toBe(0);
      expect(await direct.lrange(keys.paused, 0, -1)).toEqual([during!.localId, before!.localId]);
      expect(await claim("w1", 10, T0)).toEqual({ nextDue: -1, settled: [], callbacksRecorded: false, movedFound: true, gate: { state: "none" }, claimed: [] });
      expect(await direct.llen(keys.active("w1"))).toBe(0);
      expect(await stats()).toMatchObject({ waiting: 2, active: 0, paused: true });
    });

    it("a claim hands a BLMOVEd entry back to the consuming end and still applies its settlements", async () => {
      const created = await enqueue(runner, keys, await Promise.all([1, 2, 3].map((n) => prepareJob(job, { n }))), T0);
      const [first, second] = created.map((c) => c.localId);
      await claim("w1", 1, T0);
      await direct.lmove(keys.wait, keys.active("w1"), "RIGHT", "LEFT"); // the BLMOVE, just before the pause
      await pause();
      const reply = parseClaimReply(
        await runner.run(claimCall(keys, "w1", 5, { now: T0 + 5, moved: second, settlements: [settlement(first!, "completed")] })),
      );
      expect(reply).toMatchObject({ settled: [true], movedFound: true, claimed: [] });
      expect(await direct.llen(keys.active("w1"))).toBe(0);
      expect(await direct.lindex(keys.paused, -1)).toBe(second);
      expect(await getStatus(runner, keys, second!)).toMatchObject({ state: "waiting", attempt: 0 });
      expect((await getStatus(runner, keys, first!))!.state).toBe("completed");
    });

    it("a settlement that hands a job back puts it in the paused list", async () => {
      const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
      await claim("w1", 1, T0);
      await pause();
      await settle("w1", [settlement(created!.localId, "handBack")]);
      expect(await direct.lrange(keys.paused, 0, -1)).toEqual([created!.localId]);
      expect(await direct.exists(keys.wait)).toBe(0);
    });

    it("due delayed jobs are promoted into the paused list, and the wake marker goes there too", async () => {
      await pause();
      const [delayed] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 }, { delayMs: 1_000 })], T0);
      expect(await direct.lrange(keys.paused, 0, -1)).toEqual(["~"]);
      expect(await stats()).toMatchObject({ waiting: 0, delayed: 1 });
      expect((await claim("w1", 5, T0 + 1_000)).claimed).toEqual([]);
      expect(await direct.lrange(keys.paused, 0, -1)).toEqual(["~", delayed!.localId]);
      expect(await direct.exists(keys.wait)).toBe(0);
      expect(await getStatus(runner, keys, delayed!.localId)).toMatchObject({ state: "waiting" });
      // A tick promotes into the paused list as well.
      const [later] = await enqueue(runner, keys, [await prepareJob(job, { n: 2 }, { delayMs: 5_000 })], T0);
      await tick("w1", T0 + 5_000);
      expect(await direct.lindex(keys.paused, -1)).toBe(later!.localId);
      expect(await direct.exists(keys.wait)).toBe(0);
    });

    it("reaping an expired worker hands its jobs back into the paused list", async () => {
      const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
      await tick("dead-worker", T0);
      await claim("dead-worker", 1, T0);
      await pause();
      expect((await tick("live-worker", T0 + LEASE + 1)).reaped).toBe(1);
      expect(await direct.lrange(keys.paused, 0, -1)).toEqual([created!.localId]);
      expect(await direct.exists(keys.wait)).toBe(0);
      expect(await getStatus(runner, keys, created!.localId)).toMatchObject({ state: "waiting", stalls: 1, attempt: 0 });
    });

    it("a clean leave and recover hand back into the paused list; cancel finds a job there", async () => {
      const created = await enqueue(runner, keys, await Promise.all([1, 2, 3].map((n) => prepareJob(job, { n }))), T0);
      await tick("w1", T0);
      await claim("w1", 2, T0);
      await pause();
      expect(Number(await runner.run(recoverCall(keys, "w1", [created[0]!.localId])))).toBe(1);
      await tick("w1", T0 + 1, 0);
      expect(await direct.lrange(keys.paused, 0, -1)).toEqual([created[2]!.localId, created[1]!.localId, created[0]!.localId]);
      expect(await direct.exists(keys.wait)).toBe(0);
      expect(await cancelJob(runner, keys, created[1]!.localId)).toEqual({ outcome: "cancelled", previousState: "waiting" });
      expect(await direct.lrange(keys.paused, 0, -1)).toEqual([created[2]!.localId, created[0]!.localId]);
    });
  });

  describe("what operators need, written by the scripts that already run", () => {
    it("settlements add up this minute's history: outcomes, run-time sum, count and histogram bins", async () => {
      const created = await enqueue(runner, keys, await Promise.all([1, 2, 3, 4, 5].map((n) => prepareJob(job, { n }))), T0);
      const ids = created.map((c) => c.localId);
      await claim("w1", 5, T0);
      const applied = await settle("w1", [
        settlement(ids[0]!, "completed", { runMs: 3 }), // bin 2: ≤ 5 ms
        settlement(ids[1]!, "completed", { runMs: 4.6 }), // rounded to 5: bin 2
        settlement(ids[2]!, "retry", { runAt: T0 + 60_000, runMs: 1 }), // bin 0
        settlement(ids[3]!, "dead", { runMs: 70_000 }), // longer than every bound: bin 15
        settlement(ids[4]!, "handBack"),
      ], T0 + 10);
      expect(applied).toEqual([true, true, true, true, true]);
      expect(await history(T0)).toEqual({
        completed: "2", failed: "2", dead: "1", runSum: String(3 + 5 + 1 + 70_000), runCount: "4",
        rb0: "1", rb2: "2", rb15: "1", waiting: "0", // the claim's
      });
      const ttl = await direct.pttl(keys.history(minuteOf(T0)));
      expect(ttl).toBeGreaterThan(23 * 3_600_000);
      expect(ttl).toBeLessThanOrEqual(24 * 3_600_000);
      // A later call in the same minute adds to the same bucket; the next minute gets its own.
      const [more] = await enqueue(runner, keys, [await prepareJob(job, { n: 6 })], T0);
      await claim("w1", 5, T0);
      await settle("w1", [settlement(more!.localId, "completed", { runMs: 3 })], T0 + 20);
      expect(await history(T0)).toMatchObject({ completed: "3", rb2: "3", runCount: "5" });
      expect(await direct.exists(keys.history(minuteOf(T0) + 1))).toBe(0);
    });

    it("claims and ticks record the waiting depth of the minute (set, not added)", async () => {
      await enqueue(runner, keys, await Promise.all([1, 2, 3].map((n) => prepareJob(job, { n }))), T0);
      await claim("w1", 1, T0);
      expect(await history(T0)).toEqual({ waiting: "2" });
      expect(await direct.pttl(keys.history(minuteOf(T0)))).toBeGreaterThan(23 * 3_600_000);
      await claim("w1", 5, T0 + 1);
      expect((await history(T0)).waiting).toBe("0");
      await enqueue(runner, keys, [await prepareJob(job, { n: 4 })], T0 + 60_000);
      await tick("w1", T0 + 60_000);
      expect(await history(T0 + 60_000)).toEqual({ waiting: "1" });
      expect(await direct.pttl(keys.history(minuteOf(T0 + 60_000)))).toBeGreaterThan(23 * 3_600_000);
    });

    it("completions are listed in the completed index, newest COMPLETED_INDEX_MAX kept", async () => {
      // An index already full of older completions (ids need no records: listing tolerates expired ones).
      const filler: (string | number)[] = [];
      for (let i = 0; i < COMPLETED_INDEX_MAX; i++) filler.push(i, `old${String(i).padStart(13, "0")}`);
      await direct.zadd(keys.completed, ...filler);
      const created = await enqueue(runner, keys, await Promise.all([1, 2].map((n) => prepareJob(job, { n }))), T0);
      await claim("w1", 2, T0);
      await settle("w1", created.map((c) => settlement(c.localId, "completed")), T0 + 5);
      expect(await direct.zcard(keys.completed)).toBe(COMPLETED_INDEX_MAX);
      expect(await direct.zscore(keys.completed, created[0]!.localId)).toBe(String(T0 + 5));
      expect(await direct.zscore(keys.completed, created[1]!.localId)).toBe(String(T0 + 5));
      expect(await direct.zscore(keys.completed, "old0000000000000")).toBeNull();
      expect(await direct.zscore(keys.completed, "old0000000000001")).toBeNull();
      expect(await direct.zscore(keys.completed, "old0000000000002")).toBe("2");
    });

    it("cancelled jobs are listed in the cancelled index", async () => {
      const [waiting] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
      await cancelJob(runner, keys, waiting!.localId, T0 + 7);
      expect(await direct.zrange(keys.cancelled, "0", "-1", "WITHSCORES")).toEqual([waiting!.localId, String(T0 + 7)]);
      expect(await cancelJob(runner, keys, waiting!.localId, T0 + 8)).toEqual({ outcome: "conflict", state: "cancelled" });
      expect(await direct.zcard(keys.cancelled)).toBe(1);
    });

    it("a record keeps the errors of its last 5 failed attempts; e stays the last error", async () => {
      const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 }, { maxAttempts: 10 })], T0);
      const id = created!.localId;
      for (let attempt = 1; attempt <= 6; attempt++) {
        const now = T0 + attempt * 1_000;
        expect((await claim("w1", 1, now)).claimed).toHaveLength(1);
        const payload = JSON.stringify({ message: `boom ${attempt}`, stack: `Error: boom ${attempt}\n    at x` });
        await settle("w1", [settlement(id, "retry", { payload, runAt: now + 1 })], now);
      }
      await claim("w1", 1, T0 + 7_000);
      await settle("w1", [settlement(id, "dead", { payload: JSON.stringify({ message: "last", reason: "max_attempts" }) })], T0 + 7_000);
      const errors = await errorsOf(id);
      expect(errors.map((e) => e.attempt)).toEqual([3, 4, 5, 6, 7]);
      expect(errors[0]).toEqual({ message: "boom 3", stack: "Error: boom 3\n    at x", attempt: 3, at: T0 + 3_000 });
      expect(errors[4]).toEqual({ message: "last", reason: "max_attempts", attempt: 7, at: T0 + 7_000 });
      expect((await getStatus(runner, keys, id))!.error).toEqual({ message: "last", reason: "max_attempts" });
    });

    it("stall deaths and poison entries get an errors history too", async () => {
      const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
      const id = created!.localId;
      for (const [worker, at] of [["dead-1", T0], ["dead-2", T0 + LEASE + 2]] as const) {
        await tick(worker, at);
        await claim(worker, 1, at);
        await tick("live-worker", at + LEASE + 1);
      }
      expect(await getStatus(runner, keys, id)).toMatchObject({ state: "dead", error: { reason: "stalled" } });
      expect(await errorsOf(id)).toEqual([
        { message: "job stalled 2 times (its worker died mid-run)", reason: "stalled", attempt: 1, at: T0 + 2 * LEASE + 3 },
      ]);
      expect(await history(T0 + 2 * LEASE + 3)).toMatchObject({ dead: "1" });
      const missing = "0000000000000009";
      await direct.rpush(keys.wait, missing);
      await claim("w1", 1, T0 + 3 * LEASE);
      expect(await errorsOf(missing)).toEqual([
        { message: "wait-list entry has no job record", reason: "missing_record", attempt: 0, at: T0 + 3 * LEASE },
      ]);
    });
  });

  it("every dead-letter path trims the dead index: stall deaths and poison too, not only dead settlements", async () => {
    // Deaths older than the dead retention: their records have expired, so the index must forget them.
    await direct.zadd(keys.dead, T0 - 120_000, "0000000000000aaa", T0 - 30_000, "0000000000000bbb");
    const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    for (const [worker, at] of [["dead-1", T0], ["dead-2", T0 + LEASE + 2]] as const) {
      await tick(worker, at);
      await claim(worker, 1, at);
      await tick("live-worker", at + LEASE + 1, LEASE, 100_000);
    }
    const stallDeath = T0 + 2 * LEASE + 3;
    expect((await getStatus(runner, keys, created!.localId))!.state).toBe("dead");
    // Retention 100 s: the death at T0 - 120 s is older than stallDeath - 100 s, the one at T0 - 30 s is not.
    expect(await direct.zrange(keys.dead, "0", "-1")).toEqual(["0000000000000bbb", created!.localId]);
    // Poison dead-lettered by a claim, with a retention that leaves only deaths after T0 + LEASE.
    await direct.rpush(keys.wait, "not a job id");
    await runner.run(claimCall(keys, "w1", 1, { now: T0 + 3 * LEASE, poisonTtlMs: 2 * LEASE }));
    expect(await direct.zcard(keys.dead)).toBe(2);
    expect(await direct.zscore(keys.dead, "0000000000000bbb")).toBeNull();
    expect(await direct.zscore(keys.dead, created!.localId)).toBe(String(stallDeath));
  });

  it("count_throttle counts throttled runs of a job active on this worker, answers 0 once it is not; a retry clears it", async () => {
    const [created] = await enqueue(runner, keys, [await prepareJob(job, { n: 1 })], T0);
    const id = created!.localId;
    const count = async (worker: string) => Number(await runner.run(countThrottleCall(keys, worker, id)));
    expect((await claim("w1", 1, T0)).claimed.map((c) => c.entry)).toEqual([id]);
    expect(await count("w1")).toBe(1);
    expect(await count("w2")).toBe(0); // not in w2's in-flight list
    expect(await settle("w1", [settlement(id, "throttled", { runAt: T0 + 1 })])).toEqual([true]);
    expect(await count("w1")).toBe(0); // handed back: waiting, no longer ours
    await claim("w1", 1, T0 + 2);
    expect(await count("w1")).toBe(2); // a throttle spends no attempt, and the count outlives hand backs
    expect(await direct.hget(keys.job(id), FIELD.attempt)).toBe("1");
    await settle("w1", [settlement(id, "dead", { ttlMs: 60_000 })], T0 + 3);
    expect(await retryJob(runner, keys, id, T0 + 4)).toMatchObject({ outcome: "moved" });
    expect(await direct.hget(keys.job(id), FIELD.throttles)).toBeNull();
  });

  it("a record key of the wrong type in a dead worker's list does not break other workers' ticks", async () => {
    await direct.set(keys.job("0000000000000003"), "not a hash");
    await direct.rpush(keys.active("dead-worker"), "0000000000000003");
    await direct.zadd(keys.workers, T0, "dead-worker");
    await tick("live-worker", T0 + 1);
    expect(await direct.lrange(keys.wait, 0, -1)).toEqual(["0000000000000003"]);
  });
});
