/** Fire-time arithmetic and the catch-up plan (pure: croner and numbers, no Redis). */
import { describe, expect, it } from "vitest";
import { toSpec } from "./spec";
import { nextFireAfter, nextFires, planFire, ON_TIME_MS } from "./times";

const T0 = 1_800_000_000_000;
const every2s = (catchUp: "one" | "all" | "none") => toSpec("q", { every: "2s", data: null, catchUp }, "code");

describe("schedule times", () => {
  it("every: ticks are multiples of the period; strictly after", () => {
    expect(nextFireAfter(every2s("one"), T0)).toBe(T0 + 2_000);
    expect(nextFireAfter(every2s("one"), T0 - 1)).toBe(T0);
    expect(nextFires(every2s("one"), T0, 3)).toEqual([T0, T0 + 2_000, T0 + 4_000]);
  });

  it("cron with seconds and a time zone", () => {
    const spec = toSpec("q", { cron: "30 0 9 * * *", tz: "Asia/Tokyo", data: null }, "api");
    expect(new Date(nextFireAfter(spec, Date.parse("2026-01-01T00:00:00Z"))).toISOString()).toBe("2026-01-01T00:00:30.000Z");
  });

  it("an on-time fire takes the due tick; a late one follows catchUp", () => {
    expect(planFire(every2s("none"), T0, T0 + ON_TIME_MS)).toEqual({ ticks: [T0], next: T0 + 2_000 });
    expect(planFire(every2s("one"), T0, T0 + 9_000)).toEqual({ ticks: [T0 + 8_000], next: T0 + 10_000 });
    expect(planFire(every2s("none"), T0, T0 + 9_000)).toEqual({ ticks: [], next: T0 + 10_000 });
    expect(planFire(every2s("all"), T0, T0 + 9_000).ticks).toEqual([T0, T0 + 2_000, T0 + 4_000, T0 + 6_000, T0 + 8_000]);
  });
});
