import { describe, expect, it } from "vitest";
import { webhookJob } from "./webhook";

const parse = (payload: unknown) => webhookJob.schema.safeParse(payload);
const messages = (payload: unknown) => parse(payload).error?.issues.map((issue) => issue.message) ?? [];

describe("webhookJob schema", () => {
  it("accepts a URL, any JSON body and ordinary headers", () => {
    const payload = {
      url: "https://hooks.example.com/orders",
      body: { id: "ord_1", items: [1, 2], paid: true, note: null },
      headers: { Authorization: "Bearer t0k3n", "X-Tenant": "acme" },
    };
    expect(parse(payload).data).toEqual(payload);
    expect(parse({ url: "http://example.com/", body: "just a string" }).success).toBe(true);
  });

  it("rejects non-http schemes", () => {
    expect(parse({ url: "ftp://example.com/", body: {} }).success).toBe(false);
  });

  it.each([
    ["webhook-signature", /is set by Offload when it signs the delivery/],
    ["Webhook-Id", /is set by Offload when it signs the delivery/],
    ["WEBHOOK-TIMESTAMP", /is set by Offload when it signs the delivery/],
    ["Content-Type", /is always application\/json/],
    ["content-length", /is computed from the body/],
    ["Host", /comes from the URL/],
    ["Transfer-Encoding", /chosen by the HTTP client/],
    ["Connection", /managed by the HTTP client/],
  ])("rejects the reserved header %s with a reason", (name, reason) => {
    const [message] = messages({ url: "https://example.com/", body: {}, headers: { [name]: "x" } });
    expect(message).toMatch(reason);
    expect(message).toContain(`header "${name}"`);
  });

  it("rejects CR/LF in values, odd names, duplicates by case and too many headers", () => {
    const base = { url: "https://example.com/", body: {} };
    expect(messages({ ...base, headers: { "X-A": "ok\r\nX-Injected: 1" } })).toEqual([
      "header values may not contain control characters",
    ]);
    expect(parse({ ...base, headers: { "X A": "v" } }).success).toBe(false);
    expect(messages({ ...base, headers: { "X-A": "1", "x-a": "2" } })).toEqual(['header "x-a" is given twice']);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, "v"]));
    expect(messages({ ...base, headers: many })).toEqual(["at most 20 headers"]);
  });
});
