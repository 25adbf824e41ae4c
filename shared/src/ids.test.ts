/** Local ids: shape, time order, and no repeats across refills of the random block they draw from. */
import { describe, expect, it } from "vitest";
import { isLocalId, newLocalId, parseJobId } from "./ids";

describe("newLocalId", () => {
  it("is 16 base36 characters that start with the time", () => {
    const id = newLocalId(1_800_000_000_000);
    expect(isLocalId(id)).toBe(true);
    expect(id.slice(0, 8)).toBe((1_800_000_000_000).toString(36).padStart(8, "0"));
    expect(parseJobId(`webhook.${id}`)).toEqual({ queue: "webhook", localId: id });
  });

  it("sorts by time, whatever the last time it was called with", () => {
    const later = newLocalId(1_800_000_000_001);
    const earlier = newLocalId(1_800_000_000_000);
    expect(earlier < later).toBe(true);
    expect(newLocalId(1_800_000_000_001).slice(0, 8)).toBe(later.slice(0, 8));
  });

  it("never repeats within one millisecond, across many refills of the random block", () => {
    // 20,000 ids: the 4 KB block serves 512, so this crosses ~40 refills.
    const ids = Array.from({ length: 20_000 }, () => newLocalId(1_800_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    // The random part uses the whole alphabet (a block handed out twice, or zeros, would not).
    expect(new Set(ids.flatMap((id) => [...id.slice(8)])).size).toBe(36);
  });
});
