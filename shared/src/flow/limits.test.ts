import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob } from "../job-definition";
import { checkConcurrency, formatRate, parseRate, parseStoredRate, storedRate } from "./limits";

describe("flow limits", () => {
  it.each([
    ["200/1s", { max: 200, perMs: 1_000 }],
    ["5/250ms", { max: 5, perMs: 250 }],
    ["1000/1m", { max: 1_000, perMs: 60_000 }],
    ["10/s", { max: 10, perMs: 1_000 }],
    [" 3 / 2h ", { max: 3, perMs: 7_200_000 }],
    ["7/1500", { max: 7, perMs: 1_500 }],
  ])("parses %j", (text, rate) => {
    expect(parseRate(text)).toEqual(rate);
  });

  it.each(["fast", "0/1s", "10", "10/", "10/soon", "-1/1s", "1.5/1s", "10/2d", "10/0ms", "2000000/1s"])("refuses %j with a message", (text) => {
    expect(typeof parseRate(text)).toBe("string");
  });

  it("formats with the largest unit that divides the window, and round-trips the stored form", () => {
    expect(formatRate({ max: 100, perMs: 1_000 })).toBe("100/1s");
    expect(formatRate({ max: 100, perMs: 1_500 })).toBe("100/1500ms");
    expect(formatRate({ max: 1, perMs: 3_600_000 })).toBe("1/1h");
    expect(parseStoredRate(storedRate({ max: 9, perMs: 250 }))).toEqual({ max: 9, perMs: 250 });
    expect(parseStoredRate("garbage")).toBeNull();
  });

  it("concurrency is a whole number from 1", () => {
    expect(checkConcurrency(1)).toBeUndefined();
    expect(checkConcurrency(0)).toMatch(/whole number/);
    expect(checkConcurrency(2.5)).toMatch(/whole number/);
  });

  it("defineJob takes rateLimit and concurrency, and refuses bad ones at definition time", () => {
    const job = defineJob({ name: "limited", schema: z.object({}), rateLimit: { max: 100, per: "1s" }, concurrency: 5 });
    expect(job).toMatchObject({ rateLimit: { max: 100, perMs: 1_000 }, concurrency: 5 });
    expect(defineJob({ name: "free", schema: z.object({}) })).toMatchObject({ rateLimit: null, concurrency: null });
    expect(() => defineJob({ name: "bad", schema: z.object({}), rateLimit: { max: 0, per: 1_000 } })).toThrow(/rateLimit: max/);
    expect(() => defineJob({ name: "bad", schema: z.object({}), concurrency: 0 })).toThrow(/concurrency must/);
  });
});
