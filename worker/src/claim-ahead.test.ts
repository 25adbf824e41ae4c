/** The claim-ahead policy: nothing blind, nothing for slow runs or a sparse queue, never more than the limit. */
import { describe, expect, it } from "vitest";
import { ClaimAhead, MAX_RUN_MS } from "./claim-ahead";

const entry = (id: string) => ({ entry: id, fields: [] });

describe("ClaimAhead", () => {
  it("claims nothing ahead before a job has run, nor before a claim came back full", () => {
    const ahead = new ClaimAhead(10);
    expect(ahead.wanted(false)).toBe(0);
    ahead.claimed(4, 4);
    expect(ahead.wanted(false)).toBe(0); // no run time known yet
    ahead.ran(1);
    expect(ahead.wanted(false)).toBe(10);
  });

  it("stops while the queue is sparse (last claim not filled), at stop, and when turned off", () => {
    const ahead = new ClaimAhead(10);
    ahead.ran(1);
    ahead.claimed(4, 3);
    expect(ahead.wanted(false)).toBe(0);
    ahead.claimed(4, 4);
    expect(ahead.wanted(true)).toBe(0);
    const off = new ClaimAhead(0);
    off.ran(1);
    off.claimed(1, 1);
    expect(off.wanted(false)).toBe(0);
  });

  it("stops once the moving average of runs passes the threshold, and resumes when runs get quick again", () => {
    const ahead = new ClaimAhead(5);
    ahead.claimed(1, 1);
    ahead.ran(1);
    expect(ahead.wanted(false)).toBe(5);
    ahead.ran(MAX_RUN_MS * 20); // one slow run: 0.9 * 1 + 0.1 * 400 = 40.9
    expect(ahead.averageMs).toBeCloseTo(40.9);
    expect(ahead.wanted(false)).toBe(0);
    for (let i = 0; i < 40; i++) ahead.ran(1);
    expect(ahead.averageMs).toBeLessThan(MAX_RUN_MS);
    expect(ahead.wanted(false)).toBe(5);
  });

  it("asks only for the room left, hands held jobs out oldest first, and drains them all at stop", () => {
    const ahead = new ClaimAhead(3);
    ahead.ran(1);
    ahead.claimed(1, 1);
    ahead.hold([entry("a"), entry("b")]);
    expect(ahead.wanted(false)).toBe(1);
    expect(ahead.entries()).toEqual(["a", "b"]);
    expect(ahead.next()?.entry).toBe("a");
    ahead.hold([entry("c")]);
    expect(ahead.drain().map((e) => e.entry)).toEqual(["b", "c"]);
    expect(ahead.size).toBe(0);
    expect(ahead.next()).toBeUndefined();
  });
});
