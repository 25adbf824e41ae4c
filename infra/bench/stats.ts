/** Small statistics for noisy machines: median and range over runs, percentiles over samples, pairwise ratios. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank: p99 of 1,000 samples is the 990th smallest, never an interpolation between two.
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { median: NaN, min: NaN, max: NaN, runs: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), runs: finite.length };
}

/**
 * Ratios a[i] / b[i] taken within the same run (the same minute of the same noisy machine), then summarized.
 * @example
 * pairwiseRatios([10, 12], [5, 4]) // { median: 2.5, min: 2, max: 3, runs: 2 }
 */
export function pairwiseRatios(a: readonly number[], b: readonly number[]): Summary {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (b[i] !== 0 && Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) ratios.push(a[i]! / b[i]!);
  }
  return summarize(ratios);
}
