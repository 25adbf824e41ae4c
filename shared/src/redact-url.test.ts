import { describe, expect, it } from "vitest";
import { redactUrl } from "./redact-url";

describe("redactUrl", () => {
  it("keeps user, host, port and database but not the password", () => {
    expect(redactUrl("rediss://default:hunter2@example.upstash.io:6379/0")).toBe("rediss://default:***@example.upstash.io:6379/0");
    expect(redactUrl("redis://:hunter2@localhost:6379/1")).toBe("redis://:***@localhost:6379/1");
    expect(redactUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
  });

  it("never echoes text that is not a URL, and names what it was", () => {
    expect(redactUrl("not a url hunter2")).toBe("(unparseable URL)");
    expect(redactUrl("not a url hunter2", "REDIS_URL")).toBe("(unparseable REDIS_URL)");
  });

  it("hides every password of a cluster's comma-separated seed nodes", () => {
    expect(redactUrl("redis://:pw@10.0.0.1:7000, redis://:pw@10.0.0.2:7001")).toBe("redis://:***@10.0.0.1:7000,redis://:***@10.0.0.2:7001");
  });
});
