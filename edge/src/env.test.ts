import { describe, expect, it } from "vitest";
import { OffloadError } from "../../shared/src/index";
import { loadConfig, type Bindings } from "./env";

const valid: Bindings = {
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
  UPSTASH_REDIS_REST_TOKEN: "token",
  API_KEYS: "key-one, key-two,,",
};

function failure(env: Bindings): OffloadError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof OffloadError) return error;
    throw error;
  }
  throw new Error("expected invalid_config");
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    expect(loadConfig({ ...valid })).toEqual({
      upstashUrl: "http://127.0.0.1:8079",
      upstashToken: "token",
      apiKeys: ["key-one", "key-two"],
      adminApiKeys: [],
      maxBodyBytes: 262_144,
      maxBatchSize: 1_000,
      rateLimit: undefined,
      redisPrefix: "offload",
      webhookAllowPrivateNetworks: false,
      enqueueReplicas: 0,
      enqueueReplicasTimeoutMs: 500,
    });
  });

  it("parses ENQUEUE_REPLICAS and its timeout, and names a bad one", () => {
    expect(loadConfig({ ...valid, ENQUEUE_REPLICAS: "1", ENQUEUE_REPLICAS_TIMEOUT: "250ms" })).toMatchObject({
      enqueueReplicas: 1,
      enqueueReplicasTimeoutMs: 250,
    });
    expect(failure({ ...valid, ENQUEUE_REPLICAS: "all" }).message).toMatch(/ENQUEUE_REPLICAS/);
    expect(failure({ ...valid, ENQUEUE_REPLICAS_TIMEOUT: "1m" }).message).toMatch(/ENQUEUE_REPLICAS_TIMEOUT/);
  });

  it("parses RATE_LIMIT and the numeric limits; empty strings count as unset", () => {
    const config = loadConfig({ ...valid, RATE_LIMIT: "100/10s", MAX_BODY_BYTES: "1024", MAX_BATCH_SIZE: "" });
    expect(config.rateLimit).toEqual({ requests: 100, windowMs: 10_000 });
    expect(config.maxBodyBytes).toBe(1024);
    expect(config.maxBatchSize).toBe(1_000);
    expect(loadConfig({ ...valid, RATE_LIMIT: "off" }).rateLimit).toBeUndefined();
  });

  it.each<[string, Bindings]>([
    ["UPSTASH_REDIS_REST_URL", { ...valid, UPSTASH_REDIS_REST_URL: undefined }],
    ["UPSTASH_REDIS_REST_URL", { ...valid, UPSTASH_REDIS_REST_URL: "redis://127.0.0.1:6379" }],
    ["UPSTASH_REDIS_REST_TOKEN", { ...valid, UPSTASH_REDIS_REST_TOKEN: undefined }],
    ["API_KEYS", { ...valid, API_KEYS: " , " }],
    ["API_KEYS", { ...valid, API_KEYS: "has space" }],
    ["MAX_BODY_BYTES", { ...valid, MAX_BODY_BYTES: "lots" }],
    ["MAX_BATCH_SIZE", { ...valid, MAX_BATCH_SIZE: "0" }],
    ["RATE_LIMIT", { ...valid, RATE_LIMIT: "fast" }],
    ["REDIS_PREFIX", { ...valid, REDIS_PREFIX: "Has:Colons" }],
    ["WEBHOOK_ALLOW_PRIVATE_NETWORKS", { ...valid, WEBHOOK_ALLOW_PRIVATE_NETWORKS: "yes please" }],
  ])("names %s when it is wrong", (variable, env) => {
    const error = failure(env);
    expect(error.code).toBe("invalid_config");
    expect(error.status).toBe(500);
    expect(error.message).toContain(variable);
    expect(error.details.issues?.map((issue) => issue.path)).toContain(variable);
  });

  it("accepts the REDIS_PREFIX values the worker accepts (my_app), with the same rule", () => {
    expect(loadConfig({ ...valid, REDIS_PREFIX: "my_app" }).redisPrefix).toBe("my_app");
    expect(failure({ ...valid, REDIS_PREFIX: "{tag}" }).message).toMatch(/REDIS_PREFIX use 1 to 64 letters/);
  });

  it("refuses a RATE_LIMIT window under a second, saying what it was read as", () => {
    expect(failure({ ...valid, RATE_LIMIT: "100/10" }).message).toContain('RATE_LIMIT the window must be at least 1s; "10" is 10 ms');
  });

  it("never echoes a secret's value", () => {
    const error = failure({ ...valid, API_KEYS: "sekrit key" });
    expect(JSON.stringify({ message: error.message, issues: error.details.issues })).not.toContain("sekrit");
  });

  it("parses each bindings object once", () => {
    const env = { ...valid };
    expect(loadConfig(env)).toBe(loadConfig(env));
  });
});
