/**
 * The real @upstash/redis client, in its default configuration (auto-pipelining and base64 responses on), and
 * with `automaticDeserialization: false` (as the edge uses it), against the endpoint; each answer compared with
 * what ioredis gets from the same Redis. The default client JSON-parses string replies ("42" → 42), so it is
 * compared with the parsed form; the raw client must match ioredis exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis as UpstashRedis } from "@upstash/redis";
import { startFixture, TOKEN, type Fixture } from "./test-fixture";

let fixture: Fixture;
let client: UpstashRedis;
let raw: UpstashRedis;
let io: Fixture["io"];
let counter = 0;
const key = (name: string) => `compat:${name}:${++counter}`;

beforeAll(async () => {
  fixture = await startFixture();
  client = fixture.client();
  raw = fixture.client({ automaticDeserialization: false });
  io = fixture.io;
});
afterAll(() => fixture?.stop());

describe("strings", () => {
  it("agree with ioredis for SET/GET/APPEND/GETRANGE/INCR/MGET/TTL", async () => {
    const text = key("text");
    const number = key("number");
    expect(await client.set(text, "hello")).toBe("OK");
    expect(await client.append(text, " world")).toBe(await io.strlen(text));
    expect(await raw.get(text)).toBe(await io.get(text));
    expect(await client.getrange(text, 0, 4)).toBe(await io.getrange(text, 0, 4));

    expect(await client.incr(number)).toBe(1);
    expect(await client.incrby(number, 41)).toBe(Number(await io.get(number)));
    expect(await client.incrbyfloat(number, 0.5)).toBe(42.5);
    expect(await raw.mget(text, number, key("missing"))).toEqual(await io.mget(text, number, key("missing")));
    expect(await client.mget(text, number, key("missing"))).toEqual(["hello world", 42.5, null]);

    const expiring = key("expiring");
    expect(await client.set(expiring, "v", { ex: 100 })).toBe("OK");
    expect(await client.ttl(expiring)).toBe(await io.ttl(expiring));
    expect(await client.set(expiring, "w", { get: true })).toBe("v");
    expect(await client.exists(text, number, key("missing"))).toBe(2);
    expect(await client.type(text)).toBe("string");
    expect(await client.ping()).toBe("PONG");
  });

  it("round-trip JSON values, which the default client serialises and parses", async () => {
    const k = key("json");
    const value = { a: 1, b: [true, null, "x"], c: { d: "é" } };
    await client.set(k, value);
    expect(await client.get(k)).toEqual(value);
    expect(JSON.parse((await io.get(k))!)).toEqual(value);
    expect(await raw.get(k)).toBe(await io.get(k));
  });

  it("carry unicode both ways", async () => {
    const k = key("unicode");
    const text = "héllo wörld · 日本語 · 🚀🌍 · e\u0301 · \u0000nul · \"quoted\" \\ back";
    await client.set(k, text);
    expect(await io.get(k)).toBe(text);
    const k2 = key("unicode");
    await io.set(k2, text);
    expect(await client.get(k2)).toBe(text);
    expect(await raw.get(k2)).toBe(text);
  });

  it("carry strings that look like base64, like OK, or are empty, unchanged", async () => {
    for (const value of ["YmFy", "OK", "T0s=", "", " ", "null", "=="]) {
      const k = key("tricky");
      await io.set(k, value);
      expect(await raw.get(k)).toBe(value);
    }
  });

  it("decode binary values as the client decodes real Upstash replies: bytes, then UTF-8 with U+FFFD", async () => {
    const k = key("binary");
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await io.set(k, bytes);
    expect(await raw.get(k)).toBe(new TextDecoder().decode(bytes));
    expect(await io.getBuffer(k)).toEqual(bytes);
  });
});

describe("lists", () => {
  it("agree with ioredis for LPUSH/RPUSH/LRANGE/LPOP/LLEN/LINDEX", async () => {
    const k = key("list");
    expect(await client.rpush(k, "a", "b", "c")).toBe(3);
    expect(await client.lpush(k, "z")).toBe(4);
    expect(await raw.lrange(k, 0, -1)).toEqual(await io.lrange(k, 0, -1));
    expect(await client.lindex(k, 1)).toBe(await io.lindex(k, 1));
    expect(await client.lpop(k)).toBe("z");
    expect(await client.lpop(k, 2)).toEqual(["a", "b"]);
    expect(await client.llen(k)).toBe(await io.llen(k));
    expect(await client.lrange(key("empty"), 0, -1)).toEqual([]);
  });
});

describe("hashes", () => {
  it("agree with ioredis for HSET/HGET/HGETALL/HINCRBY/HKEYS/HMGET", async () => {
    const k = key("hash");
    expect(await client.hset(k, { name: "ada", age: 36, note: "x y" })).toBe(3);
    expect(await client.hget(k, "name")).toBe(await io.hget(k, "name"));
    expect(await client.hincrby(k, "age", 1)).toBe(37);
    // Raw HGETALL is the flat RESP2 array, exactly as ioredis gets it before its own reshaping.
    expect(await raw.hgetall(k)).toEqual(await io.call("HGETALL", k));
    expect(await client.hgetall(k)).toEqual({ name: "ada", age: 37, note: "x y" });
    expect(await client.hkeys(k)).toEqual(await io.hkeys(k));
    expect(await client.hmget(k, "name", "missing")).toEqual({ name: "ada", missing: null });
    expect(await client.hgetall(key("missing"))).toBeNull();
  });
});

describe("sorted sets", () => {
  it("agree with ioredis for ZADD/ZSCORE/ZINCRBY/ZRANGE WITHSCORES, scores as strings on the wire", async () => {
    const k = key("zset");
    expect(await client.zadd(k, { score: 1.5, member: "a" }, { score: 2, member: "b" }, { score: -3, member: "c" })).toBe(3);
    expect(await raw.zscore(k, "a")).toBe(await io.zscore(k, "a"));
    expect(await client.zscore(k, "a")).toBe(1.5);
    expect(await client.zincrby(k, 0.25, "a")).toBe(1.75);
    const withScores = await io.call("ZRANGE", k, 0, -1, "WITHSCORES");
    expect(withScores).toEqual(["c", "-3", "a", "1.75", "b", "2"]);
    expect(await raw.zrange(k, 0, -1, { withScores: true })).toEqual(withScores);
    expect(await client.zrange(k, 0, -1, { withScores: true })).toEqual(["c", -3, "a", 1.75, "b", 2]);
    expect(await client.zrank(k, "b")).toBe(await io.zrank(k, "b"));
    expect(await client.zcard(k)).toBe(3);
  });
});

describe("scripts", () => {
  const nested = `return {1, "two", {3, false, "four", {5, "OK"}}, redis.status_reply("OK"), tonumber(ARGV[1]), KEYS[1]}`;

  it("EVAL returns nested arrays with integers, strings and nil exactly as ioredis sees them", async () => {
    const k = key("script");
    const expected = await io.call("EVAL", nested, 1, k, "42");
    expect(expected).toEqual([1, "two", [3, null, "four", [5, "OK"]], "OK", 42, k]);
    expect(await raw.eval(nested, [k], ["42"])).toEqual(expected);
    expect(await client.eval(nested, [k], ["42"])).toEqual(expected);
  });

  it("SCRIPT LOAD gives the same SHA as ioredis, and EVALSHA runs it", async () => {
    const sha = await client.scriptLoad(nested);
    expect(sha).toBe(await io.script("LOAD", nested));
    expect(await client.scriptExists(sha, "0".repeat(40))).toEqual([1, 0]);
    const k = key("sha");
    expect(await raw.evalsha(sha, [k], ["7"])).toEqual(await io.call("EVALSHA", sha, 1, k, "7"));
  });

  it("returns nil, integers and strings from scripts, and throws script errors with their message", async () => {
    expect(await client.eval("return nil", [], [])).toBeNull();
    expect(await client.eval("return 12345678", [], [])).toBe(12345678);
    expect(await raw.eval("return ARGV[1]", [], ["007"])).toBe("007");
    await expect(client.eval("return redis.error_reply('custom failure')", [], [])).rejects.toThrow(/custom failure/);
    await expect(client.eval("return redis.call('INCR', KEYS[1])", [key("s")], [])).resolves.toBe(1);
    await expect(client.evalsha("0".repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it("runs a script through createScript (EVALSHA, then EVAL on NOSCRIPT)", async () => {
    const script = client.createScript<string>(`return "from " .. ARGV[1] .. " " .. math.random()`);
    expect(await script.exec([], ["script"])).toMatch(/^from script /);
  });
});

describe("pipelines", () => {
  it("return each command's result in order", async () => {
    const k = key("pipe");
    const results = await client
      .pipeline()
      .set(k, "1")
      .incr(k)
      .get(k)
      .hset(`${k}:h`, { f: "v" })
      .hgetall(`${k}:h`)
      .zadd(`${k}:z`, { score: 1, member: "m" })
      .zrange(`${k}:z`, 0, -1, { withScores: true })
      .exec();
    expect(results).toEqual(["OK", 2, 2, 1, { f: "v" }, 1, ["m", 1]]);
  });

  it("report a failed command: exec throws, keepErrors gives it in place, the others still ran", async () => {
    const k = key("pipe-error");
    await io.set(k, "not a number");
    await expect(client.pipeline().incr(k).set(`${k}:after`, "ran").exec()).rejects.toThrow(
      /Command 1 \[ incr \] failed: ERR value is not an integer or out of range/,
    );
    expect(await io.get(`${k}:after`)).toBe("ran");
    const kept = await client.pipeline().incr(k).get(k).exec({ keepErrors: true });
    expect(kept[0]!.error).toMatch(/^ERR value is not an integer/);
    expect(kept[1]).toEqual({ error: undefined, result: "not a number" });
  });
});

describe("pipelines and transactions, side by side with ioredis", () => {
  // The same seven commands on fresh keys, through the endpoint and through ioredis's own pipeline/multi.
  const throughUpstash = (batch: ReturnType<UpstashRedis["pipeline"]>, k: string) =>
    batch
      .set(k, "1")
      .incr(k)
      .hset(`${k}:h`, { f: "v" })
      .hgetall(`${k}:h`)
      .zadd(`${k}:z`, { score: 2.5, member: "m" })
      .zrange(`${k}:z`, 0, -1, { withScores: true })
      .get(`${k}:missing`)
      .exec();
  const throughIoredis = async (batch: ReturnType<Fixture["io"]["pipeline"]>, k: string) => {
    const replies = await batch
      .call("SET", k, "1")
      .call("INCR", k)
      .call("HSET", `${k}:h`, "f", "v")
      .call("HGETALL", `${k}:h`)
      .call("ZADD", `${k}:z`, "2.5", "m")
      .call("ZRANGE", `${k}:z`, "0", "-1", "WITHSCORES")
      .call("GET", `${k}:missing`)
      .exec();
    return replies!.map(([error, reply]) => error ?? reply);
  };

  it("give the same results in a pipeline", async () => {
    const expected = await throughIoredis(io.pipeline(), key("side-io"));
    expect(expected).toEqual(["OK", 2, 1, ["f", "v"], 1, ["m", "2.5"], null]);
    expect(await throughUpstash(raw.pipeline(), key("side-upstash"))).toEqual(expected);
  });

  it("give the same results in a transaction", async () => {
    const expected = await throughIoredis(io.multi(), key("side-io"));
    expect(await throughUpstash(raw.multi(), key("side-upstash"))).toEqual(expected);
  });
});

describe("transactions", () => {
  it("run atomically and return each result", async () => {
    const k = key("multi");
    const results = await client.multi().set(k, "10").incrby(k, 5).get(k).lpush(`${k}:l`, "a", "b").exec();
    expect(results).toEqual(["OK", 15, 15, 2]);
    expect(await io.lrange(`${k}:l`, 0, -1)).toEqual(["b", "a"]);
  });

  it("run every command even when one fails at run time, as Redis does", async () => {
    const k = key("multi-error");
    await io.set(k, "text");
    await expect(client.multi().incr(k).set(`${k}:after`, "ran").exec()).rejects.toThrow(/Command 1 \[ incr \] failed: ERR/);
    expect(await io.get(`${k}:after`)).toBe("ran");
  });

  it("discard everything when a command fails while queueing", async () => {
    const k = key("multi-abort");
    // DEL without keys fails while queueing (wrong arity), so Redis answers EXECABORT and runs nothing.
    await expect(client.multi().set(k, "never").del().exec()).rejects.toThrow(/wrong number of arguments for 'del'/);
    expect(await io.exists(k)).toBe(0);
  });
});

describe("requests and errors", () => {
  it("sends one HTTP request per auto-pipelined batch, and one per awaited command", async () => {
    const [a, b, c] = [key("count"), key("count"), key("count")];
    fixture.upstash.resetRequestCount();
    await client.set(a, "1");
    expect(fixture.upstash.requestCount()).toBe(1);
    await Promise.all([client.get(a), client.get(b), client.get(c)]);
    expect(fixture.upstash.requestCount()).toBe(2);
    const solo = fixture.client({ enableAutoPipelining: false });
    await solo.get(a);
    expect(fixture.upstash.requestCount()).toBe(3);
  });

  it("counts refused requests too", async () => {
    fixture.upstash.resetRequestCount();
    await expect(fixture.client({ token: "wrong" }).get("k")).rejects.toThrow();
    expect(fixture.upstash.requestCount()).toBe(1);
  });

  it("makes the client throw on a bad token", async () => {
    for (const enableAutoPipelining of [true, false]) {
      const intruder = fixture.client({ token: `${TOKEN}-wrong`, enableAutoPipelining });
      await expect(intruder.get("k")).rejects.toThrow(/Unauthorized/);
    }
  });

  it("makes the client throw a command error with Redis's ERR message", async () => {
    const k = key("wrongtype");
    await io.lpush(k, "x");
    await expect(client.get(k)).rejects.toThrow(/WRONGTYPE Operation against a key holding the wrong kind of value/);
    const solo = fixture.client({ enableAutoPipelining: false });
    await expect(solo.incr(k)).rejects.toThrow(/^WRONGTYPE/);
    await expect(solo.exec(["SET", "only-a-key"])).rejects.toThrow(/^ERR wrong number of arguments for 'set' command/);
    await expect(solo.exec(["BLPOP", k, "0"])).rejects.toThrow(/^ERR Command is not available: 'BLPOP'/);
  });

  it("serves a client that asks for plain (non-base64) responses", async () => {
    const plain = fixture.client({ responseEncoding: false, automaticDeserialization: false });
    const k = key("plain");
    await plain.set(k, "héllo 🚀");
    expect(await plain.get(k)).toBe("héllo 🚀");
    expect(await plain.eval(nestedPlain, [], [])).toEqual([1, "OK", null]);
  });
});

const nestedPlain = `return {1, redis.status_reply("OK"), false}`;
