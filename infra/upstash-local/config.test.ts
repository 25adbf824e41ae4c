import { describe, expect, it } from "vitest";
import { readConfig } from "./config";

const base = { REDIS_URL: "redis://127.0.0.1:6379", UPSTASH_LOCAL_TOKEN: "dev-token" };

describe("readConfig", () => {
  it("applies the defaults", () => {
    expect(readConfig({ ...base, PATH: "/usr/bin" })).toEqual({
      ok: true,
      config: { redisUrl: base.REDIS_URL, cluster: false, token: "dev-token", port: 8079, host: "127.0.0.1" },
    });
  });

  it("takes a port and host", () => {
    const result = readConfig({ ...base, UPSTASH_LOCAL_PORT: "0", UPSTASH_LOCAL_HOST: "0.0.0.0" });
    expect(result).toMatchObject({ ok: true, config: { port: 0, host: "0.0.0.0" } });
  });

  it("takes Redis Cluster seed nodes with REDIS_CLUSTER=true, and refuses several nodes without it", () => {
    const seeds = "redis://127.0.0.1:7000,redis://127.0.0.1:7001";
    expect(readConfig({ ...base, REDIS_URL: seeds, REDIS_CLUSTER: "true" })).toMatchObject({ ok: true, config: { redisUrl: seeds, cluster: true } });
    expect(readConfig({ ...base, REDIS_URL: seeds })).toEqual({
      ok: false,
      message: "REDIS_URL lists several nodes: set REDIS_CLUSTER=true to use them as Redis Cluster seeds",
    });
    expect(readConfig({ ...base, REDIS_CLUSTER: "yes" })).toEqual({ ok: false, message: 'REDIS_CLUSTER: expected true or false, got "yes"' });
    expect(readConfig({ ...base, REDIS_URL: "redis://a:1,http://b" })).toMatchObject({ ok: false, message: /^REDIS_URL must be a redis:\/\// });
  });

  it("names the variable in one line when something is wrong", () => {
    const message = (env: Record<string, string>) => {
      const result = readConfig(env);
      return result.ok ? "" : result.message;
    };
    expect(message({ UPSTASH_LOCAL_TOKEN: "t" })).toMatch(/^REDIS_URL is required/);
    expect(message({ ...base, REDIS_URL: "http://localhost" })).toMatch(/^REDIS_URL must be a redis:\/\//);
    expect(message({ REDIS_URL: base.REDIS_URL })).toMatch(/^UPSTASH_LOCAL_TOKEN is required/);
    expect(message({ ...base, UPSTASH_LOCAL_TOKEN: "" })).toMatch(/^UPSTASH_LOCAL_TOKEN must not be empty/);
    expect(message({ ...base, UPSTASH_LOCAL_PORT: "80a" })).toBe(
      "UPSTASH_LOCAL_PORT must be an integer from 0 to 65535, got '80a'",
    );
    expect(message({ ...base, UPSTASH_LOCAL_PORT: "65536" })).toMatch(/^UPSTASH_LOCAL_PORT/);
    for (const text of [message({}), message({ ...base, UPSTASH_LOCAL_PORT: "x" })]) expect(text).not.toContain("\n");
  });
});
