/**
 * CLI for the local Upstash-compatible endpoint (development only).
 *
 *   REDIS_URL=redis://127.0.0.1:6379 UPSTASH_LOCAL_TOKEN=dev-token npx tsx infra/upstash-local/main.ts
 *
 * Optional: UPSTASH_LOCAL_PORT (default 8079, 0 = any free port), UPSTASH_LOCAL_HOST (default 127.0.0.1),
 * REDIS_CLUSTER=true (REDIS_URL then lists Redis Cluster seed nodes, comma-separated).
 * Prints one line with its URL once listening; exits 1 with one line on bad configuration or if Redis cannot
 * be reached at start; exits 0 after closing cleanly on SIGINT or SIGTERM.
 */
import { readConfig } from "./config";
import { startUpstashLocal } from "./server";

const configured = readConfig(process.env);
if (!configured.ok) fail(configured.message);
else await run(configured.config);

async function run(config: Parameters<typeof startUpstashLocal>[0]): Promise<void> {
  const upstash = await startUpstashLocal(config).catch((error: unknown) =>
    fail(error instanceof Error ? error.message : String(error)),
  );
  console.log(`upstash-local listening on ${upstash.url}`);

  const shutdown = () => {
    upstash.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`error while closing: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  // `once`: a second Ctrl-C falls through to Node's default and ends the process at once.
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

function fail(message: string): never {
  console.error(`upstash-local: ${message}`);
  process.exit(1);
}
