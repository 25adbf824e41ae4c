/**
 * The wire format, checked byte for byte with plain `fetch`: the shapes of `result` with and without
 * `Upstash-Encoding: base64`, the status codes, and the routes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, startFixture, type Fixture } from "./test-fixture";

const MAX_BODY_BYTES = 64 * 1024;
let fixture: Fixture;
let counter = 0;
const key = (name: string) => `http:${name}:${++counter}`;
const b64 = (text: string) => Buffer.from(text).toString("base64");

beforeAll(async () => {
  fixture = await startFixture({ maxBodyBytes: MAX_BODY_BYTES });
});
afterAll(() => fixture?.stop());

async function call(path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fixture.request(path, { body: body === undefined ? undefined : JSON.stringify(body), headers });
  return { status: response.status, text: await response.text(), headers: response.headers };
}
const base64 = { "upstash-encoding": "base64" };

describe("result shapes with Upstash-Encoding: base64", () => {
  it("sends OK plain, other strings (simple ones too) in base64, integers as numbers, nil as null", async () => {
    const k = key("shape");
    expect((await call("/", ["SET", k, "bar"], base64)).text).toBe('{"result":"OK"}');
    expect((await call("/", ["GET", k], base64)).text).toBe(`{"result":"${b64("bar")}"}`);
    expect((await call("/", ["PING"], base64)).text).toBe(`{"result":"${b64("PONG")}"}`);
    expect((await call("/", ["TYPE", k], base64)).text).toBe(`{"result":"${b64("string")}"}`);
    expect((await call("/", ["STRLEN", k], base64)).text).toBe('{"result":3}');
    expect((await call("/", ["GET", key("missing")], base64)).text).toBe('{"result":null}');
  });

  it("encodes every string inside arrays, OK included, and keeps nesting, integers and nil", async () => {
    const script = `return {1, "two", {3, false, {redis.status_reply("OK")}}, redis.error_reply("ERR nested")}`;
    const { status, text } = await call("/", ["EVAL", script, 0], base64);
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ result: [1, b64("two"), [3, null, [b64("OK")]], b64("ERR nested")] });
  });

  it("returns HGETALL and ZRANGE WITHSCORES flat, with scores as strings, as RESP2 does", async () => {
    const h = key("hash");
    const z = key("zset");
    await call("/pipeline", [["HSET", h, "f", "v"], ["ZADD", z, 1.5, "m", 2, "n"]]);
    expect(JSON.parse((await call("/", ["HGETALL", h], base64)).text)).toEqual({ result: [b64("f"), b64("v")] });
    const withScores = await call("/", ["ZRANGE", z, 0, -1, "WITHSCORES"]);
    expect(JSON.parse(withScores.text)).toEqual({ result: ["m", "1.5", "n", "2"] });
    expect(JSON.parse((await call("/", ["ZSCORE", z, "m"])).text)).toEqual({ result: "1.5" });
  });

  it("keeps arbitrary bytes exactly, where plain responses replace invalid UTF-8 with U+FFFD", async () => {
    const k = key("bytes");
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x61]);
    await fixture.io.set(k, bytes);
    const encoded = JSON.parse((await call("/", ["GET", k], base64)).text).result;
    expect(Buffer.from(encoded, "base64")).toEqual(bytes);
    expect(JSON.parse((await call("/", ["GET", k])).text).result).toBe(bytes.toString("utf8"));
  });

  it("writes 64-bit integers exactly", async () => {
    const k = key("big");
    expect((await call("/", ["INCRBY", k, "9007199254740993"])).text).toBe('{"result":9007199254740993}');
    expect((await call("/", ["DECRBY", k, "9223372036854775807"])).text).toBe('{"result":-9214364837600034814}');
    await call("/", ["SET", k, "9223372036854775806"]);
    expect((await call("/", ["INCR", k])).text).toBe('{"result":9223372036854775807}');
  });
});

describe("/pipeline and /multi-exec", () => {
  it("pipeline: one entry per command, errors in place, refused commands in place", async () => {
    const k = key("pipe");
    const { status, text } = await call("/pipeline", [["SET", k, "x"], ["INCR", k], ["BLPOP", k, 0], ["GET", k]], base64);
    expect(status).toBe(200);
    const entries = JSON.parse(text);
    expect(entries[0]).toEqual({ result: "OK" });
    expect(entries[1]).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(entries[2].error).toMatch(/^ERR Command is not available: 'BLPOP'/);
    expect(entries[3]).toEqual({ result: b64("x") });
  });

  it("multi-exec: run-time errors in place, the rest committed", async () => {
    const k = key("tx");
    await fixture.io.lpush(`${k}:list`, "a");
    const { status, text } = await call("/multi-exec", [["SET", k, "1"], ["INCR", `${k}:list`], ["INCR", k]]);
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual([
      { result: "OK" },
      { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
      { result: 2 },
    ]);
  });

  it("multi-exec: a queueing error or a refused command discards it all with one 400 error", async () => {
    const k = key("tx-abort");
    const unknown = await call("/multi-exec", [["SET", k, "1"], ["NOSUCHCOMMAND"]]);
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).error).toMatch(/^ERR unknown command 'NOSUCHCOMMAND'/);
    const refused = await call("/multi-exec", [["SET", k, "1"], ["BRPOP", k, 1]]);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text).error).toMatch(/^ERR Command is not available: 'BRPOP'/);
    expect(await fixture.io.exists(k)).toBe(0);
    // The shared connection is not left inside a MULTI.
    expect((await call("/", ["SET", k, "after"])).text).toBe('{"result":"OK"}');
  });
});

describe("path-style commands", () => {
  it("runs GET /set/k/v and GET /get/k, with ?NAME=value appended and _token accepted", async () => {
    const k = key("path");
    const path = `/set/${encodeURIComponent(k)}/h%C3%A9llo%2Fthere?EX=100&_token=test-token`;
    const set = await fetch(`${fixture.upstash.url}${path}`);
    expect(await set.json()).toEqual({ result: "OK" });
    expect(await fixture.io.get(k)).toBe("héllo/there");
    expect(await fixture.io.ttl(k)).toBeGreaterThan(90);
    const get = await fixture.request(`/get/${encodeURIComponent(k)}`, { method: "GET" });
    expect(await get.json()).toEqual({ result: "héllo/there" });
  });

  it("appends a POST body as the last argument, byte for byte", async () => {
    const k = key("posted");
    const bytes = Buffer.from([0x00, 0x01, 0xff, 0x7b]);
    const response = await fixture.request(`/set/${encodeURIComponent(k)}`, { body: bytes });
    expect(await response.json()).toEqual({ result: "OK" });
    expect(await fixture.io.getBuffer(k)).toEqual(bytes);
  });

  it("passes a lone POST body to HSET as bytes, never reshaped by ioredis's object-argument handling", async () => {
    const response = await fixture.request(`/hset/${key("h")}`, { body: "field-only" });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "ERR wrong number of arguments for 'hset' command" });
  });
});

describe("status codes", () => {
  it("401 with { error } for a missing or wrong token", async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer nope" }, { authorization: "test-token" }];
    for (const headers of attempts) {
      const response = await fetch(`${fixture.upstash.url}/`, { method: "POST", body: '["PING"]', headers });
      expect(response.status).toBe(401);
      expect(await errorOf(response)).toMatch(/Unauthorized/);
    }
  });

  it("400 with { error } for a failed command, bad JSON, or a body that is not a command", async () => {
    expect(await call("/", ["GET"])).toMatchObject({
      status: 400,
      text: `{"error":"ERR wrong number of arguments for 'get' command"}`,
    });
    const badJson = await fixture.request("/", { body: "[not json" });
    expect(badJson.status).toBe(400);
    expect(await errorOf(badJson)).toMatch(/not valid JSON/);
    for (const body of [[], {}, [["GET", "k"]], ["SET", "k", null]]) expect((await call("/", body)).status).toBe(400);
    for (const body of [[], [[]], ["GET", "k"]]) expect((await call("/pipeline", body)).status).toBe(400);
  });

  it("400 for commands that would change the shared connection, which stays RESP2", async () => {
    const hello = await call("/", ["HELLO", "3"]);
    expect(hello.status).toBe(400);
    expect(JSON.parse(hello.text).error).toMatch(/^ERR Command is not available: 'HELLO'/);
    const h = key("still-resp2");
    await call("/", ["HSET", h, "f", "v"]);
    expect(JSON.parse((await call("/", ["HGETALL", h])).text)).toEqual({ result: ["f", "v"] });
  });

  it("400 for a response format other than json", async () => {
    expect((await call("/", ["PING"], { "upstash-response-format": "resp2" })).status).toBe(400);
  });

  it("404 for an unknown route, 405 for a method a route does not take", async () => {
    expect((await call("/pipeline/extra", [["PING"]])).status).toBe(404);
    expect((await call("/subscribe/chat")).status).toBe(404);
    const get = await fixture.request("/pipeline", { method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, PUT");
    expect((await fixture.request("/get/k", { method: "DELETE" })).status).toBe(405);
  });

  it("413 for a body over the limit, declared or streamed", async () => {
    const big = JSON.stringify(["SET", key("big"), "x".repeat(MAX_BODY_BYTES)]);
    const declared = await call("/", JSON.parse(big));
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text).error).toMatch(/exceeds/);

    const chunks = [Buffer.from(big.slice(0, 1000)), Buffer.from(big.slice(1000))];
    const streamed = await fixture.request("/", {
      body: new ReadableStream({
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk) controller.enqueue(chunk);
          else controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("answers JSON with a content type", async () => {
    const { headers } = await call("/", ["PING"]);
    expect(headers.get("content-type")).toBe("application/json");
  });
});
