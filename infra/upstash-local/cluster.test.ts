/**
 * upstash-local in front of a real Redis Cluster (3 masters + 3 replicas, infra/test/redis-cluster.ts), through
 * the real @upstash/redis client: commands, scripts and single-slot pipelines and transactions reach the master
 * owning their slot (checked on that node directly); a pipeline or transaction spanning slots is refused with
 * 400 and nothing runs. A focused subset of client-compat.test.ts (which runs against a single Redis): the
 * reply encoding is the same code whichever Redis is behind it; what the cluster changes is routing.
 */
import { Redis as UpstashRedis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisCluster, type RedisClusterHandle } from "../test/redis-cluster";
import { startUpstashLocal, type UpstashLocal } from "./server";
import { errorOf, TOKEN } from "./test-fixture";

let cluster: RedisClusterHandle;
let upstash: UpstashLocal;
let client: UpstashRedis;
/** Three hash tags, one per master (found, not assumed). */
let tags: string[];

beforeAll(async () => {
  cluster = await startRedisCluster();
  upstash = await startUpstashLocal({ redisUrl: cluster.nodes[0]!.url, cluster: true, token: TOKEN });
  client = new UpstashRedis({ url: upstash.url, token: TOKEN, automaticDeserialization: false, enableAutoPipelining: false });
  const byPort = new Map<number, string>();
  for (let i = 0; byPort.size < 3; i++) byPort.set((await cluster.masterFor(`{t${i}}`)).options.port!, `t${i}`);
  tags = [...byPort.values()];
}, 120_000);
afterAll(async () => {
  await upstash?.close();
  await cluster?.stop();
});

const request = (path: string, body: unknown) =>
  fetch(`${upstash.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });

describe("in front of a Redis Cluster", () => {
  it("runs a pipeline containing WAIT on a connection to the owner of its keys: its replica acknowledges", async () => {
    for (const tag of tags) {
      const response = await request("/pipeline", [["SET", `{${tag}}:w`, "1"], ["WAIT", "1", "2000"]]);
      const text = await response.text();
      expect(response.status, text).toBe(200);
      expect(JSON.parse(text)).toEqual([{ result: "OK" }, { result: 1 }]);
    }
    // A WAIT on its own measures nothing (no writes of its connection) and stays refused.
    expect(((await (await request("/", ["WAIT", "1", "10"])).json()) as { error: string }).error).toMatch(/WAIT/);
  });

  it("routes each command to the master that owns its slot", async () => {
    for (const tag of tags) {
      expect(await client.set(`{${tag}}:k`, tag)).toBe("OK");
      expect(await client.get(`{${tag}}:k`)).toBe(tag);
      expect(await (await cluster.masterFor(`{${tag}}:k`)).get(`{${tag}}:k`)).toBe(tag);
    }
  });

  it("runs scripts on the owner of their keys, EVALSHA after NOSCRIPT included", async () => {
    const script = client.createScript<string>("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])");
    for (const tag of tags) {
      expect(await script.exec([`{${tag}}:s`], [`v-${tag}`])).toBe(`v-${tag}`);
      expect(await (await cluster.masterFor(`{${tag}}:s`)).get(`{${tag}}:s`)).toBe(`v-${tag}`);
    }
  });

  it("runs a single-slot pipeline and transaction on that slot's master", async () => {
    const [tag] = tags;
    const pipeline = client.pipeline();
    pipeline.set(`{${tag}}:p`, "1");
    pipeline.incr(`{${tag}}:p`);
    expect(await pipeline.exec()).toEqual(["OK", 2]);
    const multi = client.multi();
    multi.incr(`{${tag}}:p`);
    multi.get(`{${tag}}:p`);
    expect(await multi.exec()).toEqual([3, "3"]);
  });

  it("refuses a pipeline or transaction spanning slots with 400, and runs none of it", async () => {
    const [a, b] = tags as [string, string];
    for (const path of ["/pipeline", "/multi-exec"]) {
      const response = await request(path, [["SET", `{${a}}:x`, "1"], ["SET", `{${b}}:x`, "1"]]);
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toMatch(/^ERR CROSSSLOT .*one slot.*nothing ran/);
    }
    expect(await (await cluster.masterFor(`{${a}}:x`)).exists(`{${a}}:x`)).toBe(0);
    expect(await (await cluster.masterFor(`{${b}}:x`)).exists(`{${b}}:x`)).toBe(0);
  });

  it("refuses one command whose keys span slots with 400 CROSSSLOT", async () => {
    const response = await request("/", ["MGET", `{${tags[0]}}:k`, `{${tags[1]}}:k`]);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatch(/^ERR CROSSSLOT .*one slot/);
  });
});
