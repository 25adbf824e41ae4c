/**
 * How the stack knows a piece is ready: by what the piece says (a log line) where it says it, by asking it
 * (PING, GET /healthz) where it does not. Every wait is bounded and fails early, with the child's last lines,
 * if the child exits first.
 */
import { Redis } from "ioredis";
import type { ChildHandle } from "../../shared/src/process/children";
import { redactUrl } from "../../shared/src/redact-url";

export class NotReadyError extends Error {
  override readonly name = "NotReadyError";
}

function exitedError(child: ChildHandle, what: string): NotReadyError {
  const tail = child.tail().trim();
  return new NotReadyError(`${child.name} exited before ${what}${tail ? `; its last output:\n${tail}` : ""}`);
}

/**
 * Resolves with the first non-undefined `match(line)` among the lines the child writes from now on.
 * @example
 * const url = await waitForLine(rest, (line) => /listening on (\S+)/.exec(line)?.[1], 15_000, "listening");
 */
export function waitForLine<T>(child: ChildHandle, match: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      outcome();
    };
    const unsubscribe = child.subscribe((line) => {
      const value = match(line);
      if (value !== undefined) finish(() => resolve(value));
    });
    const timer = setTimeout(
      () => finish(() => reject(new NotReadyError(`${child.name}: no sign of ${what} after ${timeoutMs / 1000}s`))),
      timeoutMs,
    );
    void child.exited.then(() => finish(() => reject(exitedError(child, what))));
  });
}

/**
 * Polls `url` until it answers 200: the edge has no "ready" event of its own that also proves its Redis path.
 * @example
 * await waitForHttpOk("http://127.0.0.1:8787/healthz", edge, 60_000);
 */
export async function waitForHttpOk(url: string, child: ChildHandle, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.hasExited()) throw exitedError(child, `answering ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new NotReadyError(`${child.name}: ${url} did not answer 200 within ${timeoutMs / 1000}s (last: ${last})`);
}

/**
 * One PING to a Redis the stack did not start, so a wrong REDIS_URL fails at once with one line.
 * @example
 * await pingRedis("redis://127.0.0.1:6379", 5_000);
 */
export async function pingRedis(url: string, timeoutMs: number): Promise<void> {
  // REDIS_CLUSTER=true: the URL lists a cluster's seed nodes; the first one answering is enough to start.
  const redis = new Redis(url.split(",")[0]!.trim(), { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => {}); // reported through the rejected connect/ping below
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new NotReadyError(`cannot reach Redis at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    redis.disconnect();
  }
}

/** Re-exported for stack.ts, whose start-up line names the Redis it uses (kept here so its imports stay put). */
export { redactUrl };
