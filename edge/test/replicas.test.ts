/**
 * ENQUEUE_REPLICAS in workerd against a real master + replica (through upstash-local): a 202 only once the
 * replica has the job, still one Upstash request per enqueue; a 503 not_replicated with Retry-After while the
 * replica is down, and a retry with the same Idempotency-Key answers the same job once it is back. Also measures
 * what the WAIT costs: 202 latency with and without it, same machine, same topology (printed, not asserted).
 */
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueCall, newLocalId, parseJobId, prepareJob } from "../../shared/src/index";
import { noopJob } from "../../shared/src/jobs/noop";
import { readRecord } from "../../shared/src/ops/read";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { expectProblem, startEdgeStack, waitForReplicaSync, type EdgeStack } from "./harness";

let acknowledged: EdgeStack;
let replicaIo: IORedis;

beforeAll(async () => {
  acknowledged = await startEdgeStack({ replica: "proxied", vars: { ENQUEUE_REPLICAS: "1", ENQUEUE_REPLICAS_TIMEOUT: "300ms" } });
  replicaIo = new IORedis(acknowledged.replica!.url, { protocol: 2, maxRetriesPerRequest: 1 });
  replicaIo.on("error", () => {}); // the test kills the replica on purpose
}, 120_000);
afterAll(async () => {
  replicaIo?.disconnect();
  await acknowledged?.stop();
});

const post = (stack: EdgeStack, path: string, json: unknown, headers: Record<string, string> = {}) =>
  stack.request(path, { method: "POST", json, headers });

async function onReplica(id: string): Promise<Record<string, string>> {
  const { queue, localId } = parseJobId(id)!;
  return readRecord(ioredisRunner(replicaIo), acknowledged.keys(queue), localId);
}

describe("ENQUEUE_REPLICAS=1", () => {
  it("answers 202 only once the replica has the job, in one Upstash request", async () => {
    acknowledged.upstash.resetRequestCount();
    const response = await post(acknowledged, "/v1/jobs/noop", { hello: "replica" });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect(acknowledged.upstash.requestCount()).toBe(1);
    // Read straight from the replica, right after the 202: no waiting needed, WAIT already did.
    expect(JSON.parse((await onReplica(id)).d!)).toEqual({ hello: "replica" });
  });

  it("covers batches too (one request, every job on the replica)", async () => {
    acknowledged.upstash.resetRequestCount();
    const response = await post(acknowledged, "/v1/jobs/noop/batch", [{ data: { n: 1 } }, { data: { n: 2 } }]);
    const text = await response.text();
    expect(response.status, text).toBe(202);
    expect(acknowledged.upstash.requestCount()).toBe(1);
    const { jobs } = JSON.parse(text) as { jobs: { id: string }[] };
    for (const job of jobs) expect((await onReplica(job.id)).s).toBe("waiting");
  });

  it("answers 503 not_replicated with Retry-After while the replica is down; the same Idempotency-Key then gets the same job", async () => {
    await acknowledged.replica!.kill();
    const headers = { "Idempotency-Key": "order-7" };
    const refused = await post(acknowledged, "/v1/jobs/noop", { order: 7 }, headers);
    expect(refused.headers.get("Retry-After")).toMatch(/^\d+$/);
    const problem = await expectProblem(refused, 503, "not_replicated");
    expect(problem.detail).toMatch(/Idempotency-Key/);
    // Written on the master all the same: the retry must find it, not make a second job.
    const waiting = await acknowledged.io.llen(acknowledged.keys("noop").wait);

    await acknowledged.replica!.start();
    await waitForReplicaSync(acknowledged.replica!);
    const retried = await post(acknowledged, "/v1/jobs/noop", { order: 7 }, headers);
    expect(retried.status).toBe(202);
    const { id } = (await retried.json()) as { id: string };
    expect(await acknowledged.io.llen(acknowledged.keys("noop").wait)).toBe(waiting);
    expect(JSON.parse((await onReplica(id)).d!)).toEqual({ order: 7 });
  }, 60_000);
});

describe("what the WAIT costs", () => {
  let plain: EdgeStack;
  beforeAll(async () => {
    plain = await startEdgeStack({ replica: "proxied" });
  }, 120_000);
  afterAll(() => plain?.stop());

  it("202 latency with and without ENQUEUE_REPLICAS=1 (same machine, master + replica each)", async () => {
    const sample = async (stack: EdgeStack) => {
      const times: number[] = [];
      for (let i = 0; i < 300; i++) {
        const started = performance.now();
        const response = await post(stack, "/v1/jobs/noop", { i });
        await response.arrayBuffer();
        expect(response.status).toBe(202);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2);
      return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`;
    };
    // Interleaved rounds, so machine load hits both alike.
    const rounds: string[] = [];
    for (let round = 0; round < 2; round++) rounds.push(`without: ${await sample(plain)} | with WAIT: ${await sample(acknowledged)}`);
    console.log(`[enqueue-replicas] 300 sequential POST /v1/jobs/noop per sample:\n  ${rounds.join("\n  ")}`);
  }, 120_000);

  it("the WAIT alone, without workerd in the way: the enqueue pipeline straight to upstash-local", async () => {
    const { url } = acknowledged.upstash;
    const keys = acknowledged.keys("noop");
    const job = await prepareJob(noopJob, {});
    const sample = async (withWait: boolean) => {
      const times: number[] = [];
      for (let i = 0; i < 1_000; i++) {
        const call = enqueueCall(keys, [{ ...job, localId: newLocalId() }]);
        const commands: unknown[][] = [["EVAL", call.script.source, call.keys.length, ...call.keys, ...call.args]];
        if (withWait) commands.push(["HINCRBY", keys.stats, "completed", "0"], ["WAIT", "1", "300"]);
        const started = performance.now();
        const response = await fetch(`${url}/pipeline`, {
          method: "POST",
          headers: { authorization: `Bearer ${acknowledged.upstashToken}` },
          body: JSON.stringify(commands),
        });
        const answers = (await response.json()) as { result?: unknown }[];
        times.push(performance.now() - started);
        if (withWait) expect(answers[2]).toEqual({ result: 1 });
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.floor(q * times.length)]!.toFixed(3);
      return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`;
    };
    const rounds: string[] = [];
    for (let round = 0; round < 2; round++) rounds.push(`EVAL: ${await sample(false)} | EVAL+HINCRBY+WAIT: ${await sample(true)}`);
    console.log(`[enqueue-replicas] 1,000 sequential enqueue pipelines to upstash-local per sample:\n  ${rounds.join("\n  ")}`);
  }, 120_000);

  // Last: it kills each stack's master. The replica lags (its link to the master stalled, as over a slow or
  // partitioned network), jobs keep coming, the master dies and the replica is promoted: what was acknowledged
  // and is not on the new master is lost.
  it("a lagging replica promoted after its master dies: acknowledged jobs lost without and with ENQUEUE_REPLICAS", async () => {
    const lostOn = async (stack: EdgeStack) => {
      const replica = new IORedis(stack.replica!.url, { protocol: 2, maxRetriesPerRequest: 1 });
      replica.on("error", () => {});
      try {
        const accepted: string[] = [];
        const send = async (i: number) => {
          const response = await post(stack, "/v1/jobs/noop", { i }, { "Idempotency-Key": `lag-${i}` });
          if (response.status === 202) accepted.push(((await response.json()) as { id: string }).id);
          else await response.arrayBuffer();
        };
        for (let i = 0; i < 20; i++) await send(i);
        stack.replicationLink!.stall();
        await Promise.all(Array.from({ length: 20 }, (_, i) => send(20 + i)));
        await stack.redisServer.kill();
        stack.replicationLink!.drop();
        await replica.replicaof("NO", "ONE");
        let lost = 0;
        for (const id of accepted) if (Object.keys(await readRecord(ioredisRunner(replica), stack.keys("noop"), parseJobId(id)!.localId)).length === 0) lost += 1;
        return { accepted: accepted.length, lost };
      } finally {
        replica.disconnect();
      }
    };
    const without = await lostOn(plain);
    const withWait = await lostOn(acknowledged);
    console.log(
      `[enqueue-replicas] 40 enqueues, the last 20 while the replica lags, then the master killed and the replica promoted:\n` +
        `  without: ${without.accepted} answered 202, ${without.lost} of them lost\n` +
        `  ENQUEUE_REPLICAS=1: ${withWait.accepted} answered 202, ${withWait.lost} of them lost (the rest got 503 not_replicated)`,
    );
    expect(without).toEqual({ accepted: 40, lost: 20 });
    expect(withWait).toEqual({ accepted: 20, lost: 0 });
  }, 120_000);
});
