/**
 * What the overview draws from a queue's per-minute history (`getQueueDetail().history`, oldest first):
 * throughput and failure-rate series at a chosen bin width, and the "depth has grown for 10 minutes" warning.
 * Pure functions over the buckets, so they are unit-tested beside this file without Redis.
 */
import type { HistoryBucket } from "../../../shared/src/index";

export interface Series {
  /** One value per bin, oldest first; null where there is nothing to show (no attempts for a rate). */
  values: (number | null)[];
  /** Sum over the window (completed jobs), or the overall rate (failed / attempts) for a rate series. */
  total: number | null;
}

/** Groups the newest `minutes` buckets into bins of `binMinutes`, oldest first. */
function bins(history: readonly HistoryBucket[], minutes: number, binMinutes: number): HistoryBucket[][] {
  const recent = history.slice(-minutes);
  const out: HistoryBucket[][] = [];
  // Aligned to the newest minute, so the last bin always ends now and is as full as the others.
  for (let end = recent.length; end > 0; end -= binMinutes) out.unshift(recent.slice(Math.max(0, end - binMinutes), end));
  return out;
}

/**
 * Completed jobs per bin.
 * @example
 * throughput(detail.history, 60, 1).values // 60 numbers, one per minute of the last hour
 */
export function throughput(history: readonly HistoryBucket[], minutes: number, binMinutes: number): Series {
  const values = bins(history, minutes, binMinutes).map((bin) => bin.reduce((sum, b) => sum + b.completed, 0));
  return { values, total: values.reduce((sum, value) => sum + value, 0) };
}

/**
 * Failed attempts / (completed + failed attempts) per bin, 0..1; null for bins without attempts.
 * @example
 * failureRate(detail.history, 1440, 15).total // e.g. 0.02 over the last 24 h
 */
export function failureRate(history: readonly HistoryBucket[], minutes: number, binMinutes: number): Series {
  let failed = 0;
  let attempts = 0;
  const values = bins(history, minutes, binMinutes).map((bin) => {
    const binFailed = bin.reduce((sum, b) => sum + b.failed, 0);
    const binAttempts = binFailed + bin.reduce((sum, b) => sum + b.completed, 0);
    failed += binFailed;
    attempts += binAttempts;
    return binAttempts === 0 ? null : binFailed / binAttempts;
  });
  return { values, total: attempts === 0 ? null : failed / attempts };
}

/** How many minute-to-minute rises in a row make the warning. */
export const GROWTH_MINUTES = 10;

/**
 * True when the waiting depth rose in each of the last `minutes` minutes (every one of the last minutes + 1
 * samples observed and each above the one before). The current minute may not have been sampled yet, so a
 * missing newest sample is skipped rather than breaking the run. Strictly rising, not merely "not shrinking":
 * a steady backlog is not an incident, a queue that gains every minute for ten minutes is.
 * @example
 * depthGrowing(detail.history) // true when workers have fallen behind
 */
export function depthGrowing(history: readonly HistoryBucket[], minutes: number = GROWTH_MINUTES): boolean {
  const samples = history.map((bucket) => bucket.waiting);
  if (samples.length > 0 && samples[samples.length - 1] === null) samples.pop();
  const window = samples.slice(-(minutes + 1));
  if (window.length < minutes + 1) return false;
  for (let i = 1; i < window.length; i++) {
    const previous = window[i - 1];
    const current = window[i];
    if (previous === null || previous === undefined || current === null || current === undefined || current <= previous) return false;
  }
  return true;
}
