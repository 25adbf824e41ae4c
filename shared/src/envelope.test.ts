import { describe, expect, it } from "vitest";
import { envelopeFromClaim, JobEnvelopeSchema } from "./envelope";

const good = ["1", "webhook", '{"url":"https://example.com"}', "2", "5", '{"timeoutMs":500}', "1800000000000", null];

describe("envelopeFromClaim", () => {
  it("builds an envelope the schema accepts", () => {
    const result = envelopeFromClaim("webhook", "mfz3k2x9q1a8b7c6", good);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(JobEnvelopeSchema.parse(result.envelope)).toEqual(result.envelope);
    expect(result.envelope).toMatchObject({ id: "webhook.mfz3k2x9q1a8b7c6", attempt: 2, maxAttempts: 5, stalls: 0, options: { timeoutMs: 500 } });
  });

  it.each([
    ["wrong_version", ["2", ...good.slice(1)]],
    ["malformed_json", [good[0], good[1], '{"url":', ...good.slice(3)]],
    ["invalid_envelope", [good[0], good[1], good[2], "two", ...good.slice(4)]],
    ["invalid_envelope", [good[0], good[1], good[2], good[3], good[4], '{"retries":3}', ...good.slice(6)]],
    ["invalid_envelope", [null, ...good.slice(1)]],
    ["invalid_envelope", [...good.slice(0, 3), "0", ...good.slice(4)]],
  ])("reports %s", (reason, fields) => {
    expect(envelopeFromClaim("webhook", "mfz3k2x9q1a8b7c6", fields)).toMatchObject({ ok: false, problem: { reason } });
  });
});
