import { describe, expect, test } from "vitest";
import type { HistoryBucket } from "../../../shared/src/index";
import { depthGrowing, failureRate, throughput } from "./history";

const bucket = (minute: number, fields: Partial<HistoryBucket> = {}): HistoryBucket => ({
  minute: new Date(minute * 60_000).toISOString(),
  completed: 0,
  failed: 0,
  dead: 0,
  waiting: null,
  runMsMean: null,
  runMsP95: null,
  ...fields,
});

const waitingSeries = (values: (number | null)[]) => values.map((waiting, i) => bucket(i, { waiting }));

describe("throughput", () => {
  test("bins align to the newest minute and sum completions", () => {
    const history = [1, 2, 3, 4, 5].map((completed, i) => bucket(i, { completed }));
    expect(throughput(history, 5, 2)).toEqual({ values: [1, 5, 9], total: 15 });
    expect(throughput(history, 2, 1)).toEqual({ values: [4, 5], total: 9 });
  });
});

describe("failureRate", () => {
  test("failed attempts over all attempts; null where nothing ran", () => {
    const history = [bucket(0, { completed: 3, failed: 1 }), bucket(1), bucket(2, { failed: 2 })];
    const series = failureRate(history, 3, 1);
    expect(series.values).toEqual([0.25, null, 1]);
    expect(series.total).toBeCloseTo(3 / 6);
    expect(failureRate([bucket(0)], 1, 1).total).toBeNull();
  });
});

describe("depthGrowing", () => {
  const rising = Array.from({ length: 11 }, (_, i) => i + 1);
  test("ten rises in a row", () => {
    expect(depthGrowing(waitingSeries(rising))).toBe(true);
    // The current minute not sampled yet does not break the run.
    expect(depthGrowing(waitingSeries([...rising, null]))).toBe(true);
  });
  test("a flat minute, a gap, a drop or too short a history is not growth", () => {
    expect(depthGrowing(waitingSeries(rising.slice(1)))).toBe(false);
    expect(depthGrowing(waitingSeries([...rising.slice(0, 5), 5, ...rising.slice(6)]))).toBe(false);
    expect(depthGrowing(waitingSeries([...rising.slice(0, 5), null, ...rising.slice(6)]))).toBe(false);
    expect(depthGrowing(waitingSeries([...rising, 3]))).toBe(false);
    expect(depthGrowing(waitingSeries(Array.from({ length: 11 }, () => 50)))).toBe(false);
  });
});
