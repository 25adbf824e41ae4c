/**
 * Worker processes on a real Redis Cluster (3 masters + 3 replicas from redis-server binaries, infra/test/redis-
 * cluster.ts), started with REDIS_CLUSTER=true and the seed nodes in REDIS_URL like a deployment:
 *   - twenty queues spread over all three masters complete (one blocking connection each, on its slot's master);
 *   - a SIGKILLed worker's jobs come back within the lease;
 *   - a queue's slot migrated to another master while jobs flow: nothing lost, the blocking pop follows;
 *   - the master owning a queue's slot SIGKILLed while jobs flow, its replica promoted: the worker follows, and
 *     what is lost is counted with and without replica-acknowledged enqueue (WAIT 1 in the enqueue's pipeline).
 * The lost counts are printed (`[cluster] …`) for infra/chaos/RESULTS.md.
 */
import { Cluster, Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { keySlot } from "../../shared/src/key-slot";
import { queueKeys, type QueueKeys } from "../../shared/src/keys";
import { enqueueCall, parseEnqueueReply, prepareJob } from "../../shared/src/ops/enqueue";
import { getStatus } from "../../shared/src/ops/read";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import type { ScriptRunner } from "../../shared/src/script-runner";
import { startRedisCluster, type ClusterNode, type RedisClusterHandle } from "../../infra/test/redis-cluster";
import { waitFor } from "../../infra/test/wait-for";
import { workJobNamed } from "./fixtures/test-jobs";
import { enqueueOne, forkWorker, waitForState, type ChildWorker } from "./support/index";

const LEASE_MS = 2_000;
/** How long a dead master goes unnoticed before its replica is promoted: short, so the failover test is quick. */
const NODE_TIMEOUT_MS = 2_000;

let cluster: RedisClusterHandle;
let client: Cluster;
let runner: ScriptRunner;
let counter = 0;
const children: ChildWorker[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ nodeTimeoutMs: NODE_TIMEOUT_MS });
  // Like the worker: a command whose node connection closed fails instead of being re-sent (so "acknowledged"
  // means the reply arrived), and the slot map is refreshed often enough to find a promoted replica.
  client = new Cluster(cluster.seeds, { redisOptions: { protocol: 2 }, retryDelayOnFailover: 0, slotsRefreshInterval: 1_000 });
  client.on("error", () => {}); // the tests kill nodes on purpose
  runner = ioredisRunner(client);
}, 120_000);
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
    await child.exited();
  }
});
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

async function spawnWorker(queues: string[], env: Record<string, string> = {}): Promise<ChildWorker> {
  const child = await forkWorker({
    REDIS_URL: cluster.url,
    REDIS_CLUSTER: "true",
    REDIS_PREFIX: `cl${counter}`,
    WORK_QUEUES: queues.join(","),
    LEASE_MS: String(LEASE_MS),
    WORKER_CONCURRENCY: "8",
    BLOCK_SECONDS: "5",
    ...env,
  });
  children.push(child);
  return child;
}

/** Fresh queue names (a prefix of their own), one on each master when `spread`, else all on the first master. */
async function freshQueues(count: number): Promise<{ names: string[]; keys: QueueKeys[] }> {
  counter += 1;
  const masters = (await cluster.masters()).map(({ slots }) => slots);
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    const name = `q${counter}x${i}`;
    const slot = keySlot(`{${name}}`);
    const master = masters.findIndex((ranges) => ranges.some(([from, to]) => slot >= from && slot <= to));
    // Round-robin over the masters: queue n goes to master n % 3.
    if (master === names.length % masters.length) names.push(name);
  }
  return { names, keys: names.map((name) => queueKeys(name, `cl${counter}`)) };
}

/** Keeps enqueuing (one job per call, `inFlight` at a time) until stopped; returns the ids that were acknowledged. */
function produce(keys: QueueKeys, options: { replicas?: number; inFlight?: number } = {}) {
  const acknowledged: string[] = [];
  let failed = 0;
  let stopped = false;
  const definition = workJobNamed(keys.queue);
  const one = async () => {
    const job = await prepareJob(definition, { ms: 2 });
    const call = enqueueCall(keys, [job]);
    if (options.replicas === undefined) {
      acknowledged.push(parseEnqueueReply(keys, await runner.run(call), [job])[0]!.localId);
      return;
    }
    // The enqueue script and WAIT in one pipeline on the node owning the queue's slot: WAIT answers how many
    // replicas have everything this connection wrote so far (the edge does the same through upstash-local).
    const replies = await client.pipeline().evalsha(call.script.sha1, call.keys.length, ...call.keys, ...call.args).wait(options.replicas, 500).exec();
    const [[scriptError], [, replicas]] = replies as [[Error | null, unknown], [Error | null, number]];
    if (scriptError?.message.startsWith("NOSCRIPT")) return runner.run(call).then(() => undefined); // load it; not counted
    if (scriptError) throw scriptError;
    if (Number(replicas) >= options.replicas) acknowledged.push(job.localId);
    else failed += 1;
  };
  const lanes = Array.from({ length: options.inFlight ?? 4 }, async () => {
    while (!stopped) {
      await one().catch(() => (failed += 1));
      if (failed > 0 && failed % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 20)); // outage: no busy loop
    }
  });
  return {
    acknowledged,
    failed: () => failed,
    async stop() {
      stopped = true;
      await Promise.all(lanes);
      return acknowledged;
    },
  };
}

/** Acknowledged ids that never complete: their record is gone (the failed master had them, the replica not). */
async function countLost(keys: QueueKeys, ids: readonly string[], timeoutMs = 60_000): Promise<number> {
  let lost = 0;
  // In chunks of 200 at a time: a run acknowledges tens of thousands of jobs.
  for (let start = 0; start < ids.length; start += 200) {
    const outcomes = await Promise.all(
      ids.slice(start, start + 200).map((id) =>
        waitFor(
          async () => {
            const current = await getStatus(runner, keys, id);
            if (current === undefined || current === null) return "lost";
            return current.state === "completed" ? "completed" : undefined;
          },
          { timeoutMs, what: `job ${id} to complete or be gone` },
        ),
      ),
    );
    lost += outcomes.filter((outcome) => outcome === "lost").length;
  }
  return lost;
}

const completed = async (keys: QueueKeys) => Number((await (await cluster.masterFor(keys.stats)).hget(keys.stats, "completed")) ?? 0);

describe("workers on a Redis Cluster", () => {
  it("complete jobs of twenty queues spread over all three masters", async () => {
    const { names, keys } = await freshQueues(20);
    expect(new Set(await Promise.all(keys.map(async (k) => (await cluster.ownerOf(k.wait)).port))).size).toBe(3);
    await spawnWorker(names);
    const ids = await Promise.all(keys.flatMap((k) => Array.from({ length: 5 }, () => enqueueOne(runner, k, workJobNamed(k.queue), { ms: 1 }).then((id) => [k, id] as const))));
    for (const [k, id] of ids) await waitForState(runner, k, id, "completed");
    // Each queue's blocking connection sits on the master that owns its slot.
    for (const k of keys) {
      const owner = await cluster.masterFor(k.wait);
      const clients = String(await owner.client("LIST"));
      expect(clients).toContain(`blocking:${k.queue} `);
    }
  });

  it("a SIGKILLed worker's jobs come back once its lease lapses", async () => {
    const { names, keys } = await freshQueues(1);
    const doomed = await spawnWorker(names);
    const id = await enqueueOne(runner, keys[0]!, workJobNamed(names[0]!), { ms: 1_500 });
    await doomed.nextStart();
    doomed.process.kill("SIGKILL");
    await doomed.exited();
    await spawnWorker(names);
    expect(await waitForState(runner, keys[0]!, id, "completed")).toMatchObject({ stalls: 1 });
  });

  it("a queue's slot migrated to another master while jobs flow: nothing lost, the worker follows", async () => {
    const { names, keys } = await freshQueues(1);
    const k = keys[0]!;
    await spawnWorker(names);
    const producer = produce(k);
    await waitFor(async () => (await completed(k)) >= 200, { what: "200 completions before the migration" });
    const from = await cluster.ownerOf(k.wait);
    const to = (await cluster.masters()).map(({ node }) => node).find((node) => node !== from)!;
    await cluster.migrateSlot(keySlot(k.wait), to);
    expect((await cluster.ownerOf(k.wait)).port).toBe(to.port);
    const before = await completed(k);
    await waitFor(async () => (await completed(k)) >= before + 200, { what: "200 completions after the migration" });
    const ids = await producer.stop();
    expect(await countLost(k, ids)).toBe(0);
    // Idle again, the blocking pop waits on the new owner: a job pushed now completes without a claim poll.
    await waitFor(async () => String(await (await cluster.masterFor(k.wait)).client("LIST")).includes(`blocking:${k.queue} `), {
      what: "the blocking connection on the new owner",
    });
    const late = await enqueueOne(runner, k, workJobNamed(k.queue), { tag: "late" });
    await waitForState(runner, k, late, "completed");
    console.log(`[cluster] slot migrated mid-run: ${ids.length} acknowledged, 0 lost`);
  }, 90_000);

  for (const replicas of [0, 1]) {
    it(`the master owning a queue's slot killed while jobs flow (${replicas ? "WAIT 1" : "no WAIT"}): the worker follows its replica`, async () => {
      const { names, keys } = await freshQueues(1);
      const k = keys[0]!;
      await spawnWorker(names);
      const producer = produce(k, replicas ? { replicas } : {});
      await waitFor(async () => (await completed(k)) >= 200, { what: "200 completions before the failover" });
      const master = await cluster.ownerOf(k.wait);
      await cluster.kill(master);
      const killedAt = Date.now();
      await waitFor(async () => (await cluster.ownerOf(k.wait).catch(() => master)) !== master, { timeoutMs: 30_000, what: "a replica promoted" });
      const promotedMs = Date.now() - killedAt;
      // The killed node rejoins as the new master's replica (an operator replacing it): WAIT 1 can be met again,
      // and the next failover has a replica to promote.
      await restartAsReplica(master);
      // Jobs flow again: enqueued after the promotion and completed by the same worker process.
      const before = producer.acknowledged.length;
      await waitFor(() => producer.acknowledged.length >= before + 100, { timeoutMs: 30_000, what: "enqueues after the failover" });
      const ids = await producer.stop();
      const lost = await countLost(k, ids);
      console.log(
        `[cluster] master killed (${replicas ? "WAIT 1 per enqueue" : "no WAIT"}): ${ids.length} acknowledged, ${lost} lost, ` +
          `${producer.failed()} enqueues failed (not acknowledged), replica promoted after ${promotedMs} ms`,
      );
      if (replicas) expect(lost).toBe(0);
    }, 120_000);
  }
});

async function restartAsReplica(node: ClusterNode): Promise<void> {
  await cluster.restart(node);
  const redis = new Redis(node.port, "127.0.0.1", { protocol: 2 });
  redis.on("error", () => {});
  try {
    await waitFor(
      async () => {
        const info = await redis.info("replication");
        return info.includes("role:slave") && info.includes("master_link_status:up") && info.includes("master_sync_in_progress:0");
      },
      { timeoutMs: 30_000, what: "the restarted node in sync as a replica" },
    );
  } finally {
    redis.disconnect();
  }
}
