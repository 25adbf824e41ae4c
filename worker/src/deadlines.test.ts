/** One timer for a queue's run timeouts: fires in deadline order across timeouts, never after a cancel. */
import { describe, expect, it } from "vitest";
import { Deadlines } from "./deadlines";

const fired = (deadlines: Deadlines, ms: number, log: string[], name: string) =>
  new Promise<void>((resolve) => deadlines.schedule(ms, () => (log.push(name), resolve())));

describe("Deadlines", () => {
  it("fires each deadline once, the shorter timeout first even when scheduled later", async () => {
    const deadlines = new Deadlines();
    const log: string[] = [];
    const slow = fired(deadlines, 60, log, "slow");
    const quick = fired(deadlines, 5, log, "quick");
    expect(deadlines.pending).toBe(2);
    await quick;
    expect(log).toEqual(["quick"]);
    await slow;
    expect(log).toEqual(["quick", "slow"]);
    expect(deadlines.pending).toBe(0);
  });

  it("a cancelled run never fires, wherever it sits in its list, and the others still do", async () => {
    const deadlines = new Deadlines();
    const log: string[] = [];
    const cancelHead = deadlines.schedule(10, () => log.push("head"));
    const middle = fired(deadlines, 10, log, "middle");
    const cancelTail = deadlines.schedule(10, () => log.push("tail"));
    cancelHead();
    cancelTail();
    cancelTail(); // twice is harmless
    expect(deadlines.pending).toBe(1);
    await middle;
    // Give a cancelled deadline every chance to fire late.
    await fired(deadlines, 30, log, "after");
    expect(log).toEqual(["middle", "after"]);
  });

  it("holds no timer once nothing is pending (an idle worker must not wake up)", () => {
    const deadlines = new Deadlines();
    const cancel = deadlines.schedule(1_000, () => {});
    cancel();
    expect(deadlines.pending).toBe(0);
    expect((deadlines as unknown as { timer: unknown }).timer).toBeUndefined();
  });
});
