import { describe, expect, it } from "vitest";
import { RetryAfterError, UnrecoverableError } from "../../job-errors";
import { parseRetryAfter, settleResponse } from "./outcome";

const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
const options = { durationMs: 12, maxRetryAfterMs: 3_600_000, now };

function outcome(status: number, headers: Record<string, string> = {}, bodyExcerpt = "") {
  try {
    return settleResponse({ status, headers, bodyExcerpt }, options);
  } catch (error) {
    return error as Error;
  }
}

describe("settleResponse", () => {
  it.each([200, 201, 202, 204, 299])("%i is delivered", (status) => {
    expect(outcome(status)).toEqual({ status, durationMs: 12 });
  });

  it.each([408, 429, 500, 502, 503, 504, 599])("%i is retried with backoff", (status) => {
    const error = outcome(status, {}, "oops");
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(error).not.toBeInstanceOf(RetryAfterError);
    expect((error as Error).message).toBe(`receiver answered ${status}: oops`);
  });

  it.each([400, 401, 403, 404, 405, 409, 410, 413, 422, 451, 101, 600])("%i is dead at once", (status) => {
    expect(outcome(status, { "retry-after": "5" })).toBeInstanceOf(UnrecoverableError);
  });

  it.each([301, 302, 303, 307, 308])("%i is dead at once: redirects are not followed", (status) => {
    const error = outcome(status, { location: "https://elsewhere.example.com/" });
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toMatch(/redirecting to https:\/\/elsewhere\.example\.com\/; redirects are not followed/);
    expect((outcome(status) as Error).message).toMatch(/redirecting to nowhere \(no Location header\)/);
  });

  it("turns Retry-After into RetryAfterError, capped, and ignores one it cannot read", () => {
    expect((outcome(503, { "retry-after": "120" }) as RetryAfterError).retryAfterMs).toBe(120_000);
    expect((outcome(408, { "retry-after": "0" }) as RetryAfterError).retryAfterMs).toBe(0);
    expect((outcome(429, { "retry-after": "99999999" }) as RetryAfterError).retryAfterMs).toBe(3_600_000);
    expect(outcome(503, { "retry-after": "soon-ish" })).not.toBeInstanceOf(RetryAfterError);
  });
});

describe("parseRetryAfter", () => {
  it.each([
    ["3", 3_000],
    [" 10 ", 10_000],
    ["Wed, 21 Oct 2015 07:29:00 GMT", 60_000],
    ["Wednesday, 21-Oct-15 07:28:30 GMT", 30_000],
    ["Wed, 21 Oct 2015 07:00:00 GMT", 0],
  ])("%j is %i ms", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([undefined, "", "1.5", "-3", "later", "3s"])("%j is unreadable", (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
