import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob } from "./job-definition";
import { DEFAULT_PRIORITY, isPriority, priorityOf } from "./priority";
import { recordToStatus } from "./record";

describe("priority", () => {
  it("is a whole number from 1 to 10", () => {
    expect([1, 5, 10].every(isPriority)).toBe(true);
    expect([0, 11, 2.5, NaN, "3"].some(isPriority)).toBe(false);
  });

  it("a record's P, else its queue's list priority (an unreadable P reads as absent)", () => {
    expect(priorityOf("2")).toBe(2);
    expect(priorityOf(undefined)).toBe(DEFAULT_PRIORITY);
    expect(priorityOf(undefined, 3)).toBe(3);
    expect(priorityOf("junk", 3)).toBe(3);
    expect(recordToStatus("noop.mfz3k2x9q1a8b7c6", { s: "waiting", P: "9" }).priority).toBe(9);
    expect(recordToStatus("noop.mfz3k2x9q1a8b7c6", { s: "waiting" }, 2).priority).toBe(2);
  });

  it("a definition's default is 5; outside 1-10 it is refused at definition time", () => {
    const schema = z.object({});
    expect(defineJob({ name: "a", schema }).priority).toBe(5);
    expect(defineJob({ name: "a", schema, priority: 1 }).priority).toBe(1);
    expect(() => defineJob({ name: "a", schema, priority: 0 })).toThrow(/priority must be an integer from 1 to 10/);
    expect(() => defineJob({ name: "a", schema, priority: 2.5 })).toThrow(/priority/);
  });
});
