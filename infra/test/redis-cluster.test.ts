/**
 * The cluster harness itself: six real redis-servers that agree on one configuration, every slot owned, each
 * master with a replica in sync, and routing through ioredis Cluster reaching the owner.
 */
import { Cluster } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRedisCluster, type RedisClusterHandle } from "./redis-cluster";

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 120_000);
afterAll(() => cluster?.stop());

it("has three masters covering all 16384 slots", async () => {
  const masters = await cluster.masters();
  expect(masters).toHaveLength(3);
  const covered = masters.flatMap(({ slots }) => slots).reduce((sum, [from, to]) => sum + to - from + 1, 0);
  expect(covered).toBe(16_384);
});

it("routes a key to its owner, and the owner's replica acknowledges it", async () => {
  const client = new Cluster(cluster.seeds, { redisOptions: { protocol: 2 } });
  try {
    await client.set("{harness}:k", "v");
    const owner = await cluster.masterFor("{harness}:k");
    expect(await owner.get("{harness}:k")).toBe("v");
    expect(await owner.wait(1, 5_000)).toBe(1);
  } finally {
    client.disconnect();
  }
});
