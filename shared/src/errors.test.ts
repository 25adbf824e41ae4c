import { describe, expect, it } from "vitest";
import { ERROR_CODES, OffloadError, OUTCOME_CODES, outcomeError, redisUnavailable, toProblem } from "./errors";

describe("outcomeError: script refusals → typed errors, in one place", () => {
  it("a missing job is job_not_found whatever the operation", () => {
    for (const operation of ["cancel", "retry", "promote"] as const) {
      const error = outcomeError(operation, { outcome: "missing" }, "webhook.0000000000000000");
      expect(error.code).toBe("job_not_found");
      expect(error.status).toBe(404);
    }
  });

  it("a conflict is the operation's own 409 and carries the current state into the problem", () => {
    const error = outcomeError("retry", { outcome: "conflict", state: "active" }, "webhook.0000000000000000");
    expect(error.code).toBe("job_not_retryable");
    expect(toProblem(error)).toMatchObject({ status: 409, code: "job_not_retryable", state: "active" });
    expect(outcomeError("promote", { outcome: "conflict", state: "waiting" }, "x.y").code).toBe("job_not_promotable");
    expect(outcomeError("cancel", { outcome: "conflict", state: "completed" }, "x.y").message).toContain("completed");
    expect(outcomeError("enqueue", { outcome: "conflict" }, "x.y").code).toBe("idempotency_conflict");
  });

  it("every code in the outcome table is in the error table", () => {
    for (const codes of Object.values(OUTCOME_CODES)) for (const code of Object.values(codes)) expect(ERROR_CODES).toHaveProperty(code);
  });
});

describe("toProblem", () => {
  it("redis_unavailable is a 503 with the retry hint and the cause kept out of the body", () => {
    const error = redisUnavailable(new Error("ECONNREFUSED 10.0.0.1"), 5);
    expect(error.details.retryAfterSeconds).toBe(5);
    expect(JSON.stringify(toProblem(error))).not.toContain("ECONNREFUSED");
  });

  it("an unknown error is a 500 that says nothing about internals", () => {
    expect(toProblem(new Error("/srv/app/secret.ts:12"))).toMatchObject({ status: 500, code: "internal", detail: "Unexpected error" });
    expect(toProblem(new OffloadError("not_found", "x")).state).toBeUndefined();
  });
});
