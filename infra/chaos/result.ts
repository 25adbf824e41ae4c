/** What every scenario returns: the numbers for the summary table, details for RESULTS.md, and its failures. */

export interface ScenarioMetrics {
  acknowledged?: number;
  completed?: number;
  dead?: number;
  lost?: number;
  duplicateExecutions?: number;
  killsSurvived?: number;
  badInputsTried?: number;
  /** 5xx answers that were not the documented 503 + Retry-After while storage was down. */
  fiveXx?: number;
}

export interface ScenarioResult {
  name: string;
  durationMs: number;
  metrics: ScenarioMetrics;
  /** Free-form numbers and lists kept in results.json and summarised in RESULTS.md. */
  details: Record<string, unknown>;
  /** Empty when every check passed. */
  failures: string[];
}

/**
 * Collects failed checks instead of throwing at the first, so a run reports everything it saw. A check that
 * fails because of a bug already isolated in findings/ is tagged `[known: <finding id>]`: it still fails the
 * chaos run, while the short run in `npm test` leaves it to that finding's `it.fails`.
 */
export class Checks {
  readonly failures: string[] = [];

  that(condition: boolean, message: string, knownFinding?: string): void {
    if (!condition) this.failures.push(knownFinding ? `[known: ${knownFinding}] ${message}` : message);
  }

  equal<T>(actual: T, expected: T, what: string): void {
    if (actual !== expected) this.failures.push(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}

/** At most `limit` items of a list, for messages. */
export function sample<T>(items: Iterable<T>, limit = 5): string {
  const all = [...items];
  const shown = all.slice(0, limit).map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
  return all.length > limit ? `${shown.join(", ")} … (${all.length} in all)` : shown.join(", ");
}

/** Failures not explained by a known finding. */
export function unexplainedFailures(result: ScenarioResult): string[] {
  return result.failures.filter((failure) => !failure.startsWith("[known: "));
}
