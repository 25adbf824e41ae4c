/**
 * Durations as people write them in query strings: a number of milliseconds (`1500`) or a number with a unit
 * (`30s`, `5m`, `2h`, `1d`, `250ms`). One parser for the edge, the job definitions and the worker config.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/**
 * @example
 * parseDuration("5m") // 300000
 * parseDuration("1500") // 1500
 * parseDuration("soon") // undefined
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? Math.round(text) : undefined;
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * UNIT_MS[(match[2] ?? "ms") as keyof typeof UNIT_MS];
  return Number.isSafeInteger(Math.round(value)) ? Math.round(value) : undefined;
}

/** What `formatDuration` writes: the largest unit that divides the duration evenly. */
const FORMAT_UNITS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
] as const;

/**
 * The inverse of parseDuration for display: the largest whole unit, as people write it back.
 * @example
 * formatDuration(3_600_000) // "1h"
 * formatDuration(90_000) // "90s"
 * formatDuration(1_500) // "1500ms"
 */
export function formatDuration(ms: number): string {
  for (const [unit, size] of FORMAT_UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
