import { describe, expect, it } from "vitest";
import { EnqueueQuerySchema, ItemOptionsSchema, toEnqueueOptions } from "./options";
import { problemIssues } from "./validation";

const issuesOf = (result: { success: boolean; error?: { issues: unknown[] } }, prefix: string[] = []) =>
  problemIssues((result.error?.issues ?? []) as never, prefix);

describe("EnqueueQuerySchema", () => {
  it("turns query strings into EnqueueOptions", () => {
    const parsed = EnqueueQuerySchema.parse({ delay: "5m", maxAttempts: "3", backoff: "1500", timeout: "30s" });
    expect(toEnqueueOptions(parsed, "key-1")).toEqual({
      delayMs: 300_000,
      maxAttempts: 3,
      backoffMs: 1_500,
      timeoutMs: 30_000,
      idempotencyKey: "key-1",
    });
    expect(toEnqueueOptions(EnqueueQuerySchema.parse({ runAt: "2030-01-01T00:00:00Z" }))).toEqual({
      runAt: Date.UTC(2030, 0, 1),
    });
  });

  it.each([
    [{ delay: "soon" }, "query.delay"],
    [{ delay: "-5s" }, "query.delay"],
    [{ delay: "400d" }, "query.delay"],
    [{ backoff: "0" }, "query.backoff"],
    [{ timeout: "1x" }, "query.timeout"],
    [{ maxAttempts: "0" }, "query.maxAttempts"],
    [{ maxAttempts: "26" }, "query.maxAttempts"],
    [{ maxAttempts: "2.5" }, "query.maxAttempts"],
    [{ runAt: "tomorrow" }, "query.runAt"],
    [{ runAt: "2030-01-01T00:00:00" }, "query.runAt"],
    [{ delay: "1s", runAt: "2030-01-01T00:00:00Z" }, "query.runAt"],
    [{ dealy: "1h" }, "query.dealy"],
  ])("rejects %j at %s", (query, path) => {
    const issues = issuesOf(EnqueueQuerySchema.safeParse(query), ["query"]);
    expect(issues.map((issue) => issue.path)).toEqual([path]);
  });
});

describe("ItemOptionsSchema", () => {
  it("takes durations as numbers of ms or as strings", () => {
    expect(ItemOptionsSchema.parse({ delay: 2_000, backoff: "2s", maxAttempts: 4 })).toEqual({
      delay: 2_000,
      backoff: 2_000,
      maxAttempts: 4,
    });
  });

  it("rejects unknown options, such as a per-item idempotency key", () => {
    const issues = issuesOf(ItemOptionsSchema.safeParse({ idempotencyKey: "k" }), ["3", "options"]);
    expect(issues).toEqual([{ path: "3.options.idempotencyKey", message: "is not an allowed field" }]);
  });
});
