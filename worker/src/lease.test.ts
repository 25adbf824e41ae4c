/** Lease timing: when the next tick is due after a reply, and how failed ticks back off within the lease. */
import { describe, expect, it } from "vitest";
import { EXPIRY_MARGIN_MS, nextTickAt, tickRetryDelayMs } from "./lease";

const NOW = 1_000_000;
const LEASE = 30_000;
const idle = { nextDue: -1, earliestOtherExpiry: -1, reaped: 0, dead: 0, nextSchedule: -1 };

describe("nextTickAt", () => {
  it("is the heartbeat, half a lease on, when nothing else is due", () => {
    expect(nextTickAt(idle, NOW, LEASE)).toBe(NOW + 15_000);
  });

  it("is a delayed job's due time when that comes before the heartbeat (0 included), not after it", () => {
    expect(nextTickAt({ ...idle, nextDue: NOW + 100 }, NOW, LEASE)).toBe(NOW + 100);
    expect(nextTickAt({ ...idle, nextDue: 0 }, NOW, LEASE)).toBe(0);
    expect(nextTickAt({ ...idle, nextDue: NOW + 60_000 }, NOW, LEASE)).toBe(NOW + 15_000);
  });

  it("is just after another worker's lease expiry when that comes first: how a SIGKILLed worker's jobs come back", () => {
    expect(nextTickAt({ ...idle, earliestOtherExpiry: NOW + 2_000 }, NOW, LEASE)).toBe(NOW + 2_000 + EXPIRY_MARGIN_MS);
    expect(nextTickAt({ ...idle, earliestOtherExpiry: NOW + 2_000, nextDue: NOW + 500 }, NOW, LEASE)).toBe(NOW + 500);
  });
});

describe("tickRetryDelayMs", () => {
  it("doubles from 500 ms but never waits more than a quarter lease", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => tickRetryDelayMs(n, LEASE))).toEqual([500, 1_000, 2_000, 4_000, 7_500, 7_500]);
    expect(tickRetryDelayMs(1, 1_000)).toBe(250);
  });
});
