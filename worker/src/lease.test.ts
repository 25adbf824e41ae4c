/** Lease timing: when the next tick is due after a reply, and how failed ticks back off within the lease. */
import { describe, expect, it } from "vitest";
import { EXPIRY_MARGIN_MS, idleLeaseMs, nextTickAt, tickRetryDelayMs } from "./lease";

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

describe("the idle heartbeat", () => {
  const IDLE_HEARTBEAT = 120_000;
  const wroteIdle = { ...idle, expiry: NOW + idleLeaseMs(LEASE, IDLE_HEARTBEAT) };

  it("follows a tick that wrote an idle expiry; a short one (busy) keeps half a lease", () => {
    expect(nextTickAt(wroteIdle, NOW, LEASE, IDLE_HEARTBEAT)).toBe(NOW + IDLE_HEARTBEAT);
    expect(nextTickAt({ ...idle, expiry: NOW + LEASE }, NOW, LEASE, IDLE_HEARTBEAT)).toBe(NOW + 15_000);
  });

  it("still yields to a delayed job and to a busy peer's expiry", () => {
    expect(nextTickAt({ ...wroteIdle, nextDue: NOW + 40_000 }, NOW, LEASE, IDLE_HEARTBEAT)).toBe(NOW + 40_000);
    expect(nextTickAt({ ...wroteIdle, earliestOtherExpiry: NOW + 29_000 }, NOW, LEASE, IDLE_HEARTBEAT)).toBe(NOW + 29_000 + EXPIRY_MARGIN_MS);
  });

  it("leaves an idle expiry further than one lease away until the next idle tick is overdue by a whole heartbeat", () => {
    // What claim.lua reads as idle (expiry > now + lease) must hold until the next idle tick refreshes it.
    expect(idleLeaseMs(LEASE, IDLE_HEARTBEAT) - 2 * IDLE_HEARTBEAT).toBeGreaterThanOrEqual(LEASE);
  });
});

describe("tickRetryDelayMs", () => {
  it("doubles from 500 ms but never waits more than a quarter lease", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => tickRetryDelayMs(n, LEASE))).toEqual([500, 1_000, 2_000, 4_000, 7_500, 7_500]);
    expect(tickRetryDelayMs(1, 1_000)).toBe(250);
  });
});
