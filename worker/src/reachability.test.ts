/** The words a worker uses for an unreachable Redis, and what it never prints. */
import { describe, expect, it } from "vitest";
import { describeRedisError, redactingErrSerializer } from "./reachability";

const withCode = (code: string, message: string) => Object.assign(new Error(message), { code });

describe("describeRedisError", () => {
  it("names each cause a person can act on", () => {
    expect(describeRedisError(withCode("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1")).cause).toMatch(/^connection refused/);
    expect(describeRedisError(withCode("ENOTFOUND", "getaddrinfo ENOTFOUND nope.invalid")).cause).toMatch(/^DNS lookup failed/);
    expect(describeRedisError(withCode("EAI_AGAIN", "getaddrinfo EAI_AGAIN x")).code).toBe("EAI_AGAIN");
    expect(describeRedisError(new Error("WRONGPASS invalid username-password pair or user is disabled.")).cause).toMatch(/^authentication failed/);
    expect(describeRedisError(new Error("NOAUTH Authentication required.")).code).toBe("NOAUTH");
    expect(describeRedisError(withCode("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate")).cause).toMatch(/^TLS handshake failed/);
    expect(describeRedisError(withCode("ECONNRESET", "Client network socket disconnected before secure TLS connection was established")).cause)
      .toMatch(/^TLS handshake failed/);
    expect(describeRedisError(withCode("ETIMEDOUT", "connect ETIMEDOUT")).cause).toBe("connection timed out");
    expect(describeRedisError(new Error("something else"))).toEqual({ code: "ERROR", cause: "something else" });
  });
});

describe("redaction", () => {
  it("an AUTH error's command loses its arguments; other commands keep theirs", () => {
    const auth = Object.assign(new Error("WRONGPASS"), { command: { name: "auth", args: ["hunter2"] } });
    expect(JSON.stringify(redactingErrSerializer(auth))).not.toContain("hunter2");
    const get = Object.assign(new Error("boom"), { command: { name: "get", args: ["key"] } });
    expect(redactingErrSerializer(get)).toMatchObject({ message: "boom", command: { name: "get", args: ["key"] } });
  });
});
