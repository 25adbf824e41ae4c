/**
 * Waits for a condition observed from outside a process (a job's state in Redis, a count over HTTP). This is
 * for conditions that have no event to subscribe to; it checks often and fails loudly with what it last saw.
 *
 * @example
 * await waitFor(() => getStatus(runner, keys, id).then((s) => s?.state === "completed"), { what: "job completed" });
 */
export async function waitFor<T>(
  check: () => Promise<T | false | undefined | null> | T | false | undefined | null,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 20, what = "condition" } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
