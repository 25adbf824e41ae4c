/**
 * A URL with its password hidden, for log lines and error messages (a Redis URL carries its credentials). Used by
 * the worker, the CLI, the dev stack and the local Upstash stand-in, so none of them can leak one by forgetting.
 * Text that does not parse as a URL is not echoed at all: it may be a password pasted in the wrong place.
 */

/**
 * @param what names the value in the placeholder for text that does not parse, e.g. "REDIS_URL".
 * @example
 * redactUrl("rediss://default:hunter2@example.upstash.io:6379/0"); // "rediss://default:***@example.upstash.io:6379/0"
 * redactUrl("hunter2", "REDIS_URL"); // "(unparseable REDIS_URL)"
 * redactUrl("redis://:pw@a:7000,redis://:pw@b:7001"); // "redis://:***@a:7000,redis://:***@b:7001"
 */
export function redactUrl(url: string, what = "URL"): string {
  try {
    // A cluster's seed nodes are several URLs separated by commas (REDIS_CLUSTER=true): hide each one's password.
    if (url.includes(",")) return url.split(",").map((one) => redactUrl(one.trim(), what)).join(",");
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return `(unparseable ${what})`;
  }
}
