import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseWebhookConfig } from "./config";

const secret = `whsec_${randomBytes(32).toString("base64")}`;

describe("parseWebhookConfig", () => {
  it("applies defaults: private networks refused, Retry-After capped at 1 h", () => {
    expect(parseWebhookConfig({ WEBHOOK_SECRET: secret })).toEqual({
      secret,
      allowPrivateNetworks: false,
      maxRetryAfterMs: 3_600_000,
    });
  });

  it("reads every variable", () => {
    const bare = randomBytes(24).toString("base64"); // the whsec_ prefix is conventional, not required
    expect(
      parseWebhookConfig({ WEBHOOK_SECRET: bare, WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true", WEBHOOK_MAX_RETRY_AFTER: "10m" }),
    ).toEqual({ secret: bare, allowPrivateNetworks: true, maxRetryAfterMs: 600_000 });
    expect(parseWebhookConfig({ WEBHOOK_SECRET: secret, WEBHOOK_ALLOW_PRIVATE_NETWORKS: "0" }).allowPrivateNetworks).toBe(false);
  });

  it.each([
    [{}, /^invalid config: WEBHOOK_SECRET: required when the webhook job is enabled; generate one with: /],
    [{ WEBHOOK_SECRET: "hunter2" }, /^invalid config: WEBHOOK_SECRET: expected whsec_ followed by base64; /],
    [{ WEBHOOK_SECRET: `whsec_${randomBytes(8).toString("base64")}` }, /^invalid config: WEBHOOK_SECRET: expected at least 24 random bytes; /],
    [{ WEBHOOK_SECRET: secret, WEBHOOK_ALLOW_PRIVATE_NETWORKS: "yes" }, /^invalid config: WEBHOOK_ALLOW_PRIVATE_NETWORKS: expected true or false, got "yes"$/],
    [{ WEBHOOK_SECRET: secret, WEBHOOK_MAX_RETRY_AFTER: "a while" }, /^invalid config: WEBHOOK_MAX_RETRY_AFTER: expected a duration such as 30s, 5m or 1500 \(ms\), got "a while"$/],
  ])("rejects %j with one line naming the variable", (env, message) => {
    expect(() => parseWebhookConfig(env)).toThrow(message);
    try {
      parseWebhookConfig(env);
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });
});
