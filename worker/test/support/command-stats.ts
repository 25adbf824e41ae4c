/** What Redis ran between two moments, from INFO commandstats (commands scripts run are counted too). */
import type { Redis } from "ioredis";

/** Calls per command since the server started. */
export async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info("commandstats");
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

/** The commands called between `before` and `after`, without the test's own reads (`own`; INFO always). */
export function commandsBetween(
  before: Record<string, number>,
  after: Record<string, number>,
  own: readonly string[] = [],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) {
    if (name === "info" || own.includes(name)) continue;
    const delta = n - (before[name] ?? 0);
    if (delta > 0) out[name] = delta;
  }
  return out;
}
