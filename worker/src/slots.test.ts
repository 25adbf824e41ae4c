/** Slots: the process-wide concurrency budget never over-reserves and wakes every waiter when a slot frees. */
import { describe, expect, it } from "vitest";
import { Slots } from "./slots";

describe("Slots", () => {
  it("reserves at most what is free, and by default everything free", () => {
    const slots = new Slots(4);
    expect(slots.reserve(3)).toBe(3);
    expect(slots.reserve(3)).toBe(1);
    expect(slots.reserve()).toBe(0);
    expect(slots.free).toBe(0);
    expect(slots.inUse).toBe(4);
    slots.release(2);
    expect(slots.reserve()).toBe(2);
  });

  it("available() resolves at once while a slot is free, else on the next release", async () => {
    const slots = new Slots(1);
    await slots.available();
    slots.reserve();
    let woken = 0;
    const waiters = [slots.available().then(() => woken++), slots.available().then(() => woken++)];
    await Promise.resolve();
    expect(woken).toBe(0);
    slots.release();
    await Promise.all(waiters);
    expect(woken).toBe(2);
  });

  it("releasing more than reserved is a bug, reported at once", () => {
    const slots = new Slots(2);
    slots.reserve(1);
    expect(() => slots.release(2)).toThrow("released more slots than reserved");
  });
});
