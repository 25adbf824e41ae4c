/**
 * The CLI's Redis: where it is (REDIS_URL, REDIS_PREFIX, validated like every config: one line naming the
 * variable) and one connection to it, RESP2 like the worker's, opened before any command runs.
 *
 * Unlike the worker, the CLI does not retry: a person is waiting, so an unreachable Redis is one line — address
 * and reason (refused, DNS, TLS, auth, timeout) — and exit code 3, at once. The same code is used when the
 * connection drops mid-command. The default URL is the dev stack's own redis-server (`npm run dev` starts one on
 * 6380 when REDIS_URL is unset), so `npx offload stats` works next to it with no setup.
 */
import { Redis } from "ioredis";
import { z } from "zod";
import { DEFAULT_PREFIX } from "../../shared/src/keys";
import { redactUrl as redactPassword } from "../../shared/src/redact-url";
import { ConnectionClosedError } from "../../shared/src/runners/close-guard";
import { CliError, EXIT } from "./exit-codes";

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6380";
const CONNECT_TIMEOUT_MS = 5_000;

const CliEnvSchema = z.object({
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL").default(DEFAULT_REDIS_URL),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, "expected letters, digits, _ and -").default(DEFAULT_PREFIX),
});
export type CliEnv = z.infer<typeof CliEnvSchema>;

/**
 * @example
 * readCliEnv({ REDIS_URL: "redis://127.0.0.1:6379" }) // { REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: "offload" }
 */
export function readCliEnv(env: Readonly<Record<string, string | undefined>>): CliEnv {
  // Blank means unset, as in `REDIS_URL= npx offload stats`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = CliEnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(EXIT.usage, `invalid config: ${issue.path.join(".")}: ${issue.message}`, "invalid_config");
  }
  return parsed.data;
}

/** A Redis URL with its password hidden, for messages, without the trailing `/` of `redis://host:6379/`. */
export function redactUrl(url: string): string {
  return redactPassword(url, "REDIS_URL").replace(/\/$/, "");
}

/**
 * Connects, or throws CliError(EXIT.unreachable) with the address and the reason.
 * @example
 * const redis = await connectRedis("redis://127.0.0.1:6380");
 */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    protocol: 2, // the reply shapes every script header documents (ioredis 6 defaults to RESP3)
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // no reconnects: report and exit
    autoResendUnfulfilledCommands: false,
    connectionName: "offload-cli",
  });
  let lastError: Error | undefined;
  redis.on("error", (error: Error) => (lastError = error)); // reported through connect() below
  try {
    await redis.connect();
    await redis.ping(); // an AUTH or ACL failure surfaces here at the latest
  } catch (error) {
    redis.disconnect();
    throw unreachable(url, lastError ?? error);
  }
  return redis;
}

/** The one-line error for a Redis that cannot be reached, from whatever ioredis threw. */
export function unreachable(url: string, error: unknown): CliError {
  const reason = error instanceof Error ? error.message : String(error);
  return new CliError(EXIT.unreachable, `cannot reach Redis at ${redactUrl(url)}: ${reason.split("\n")[0]} (set REDIS_URL)`);
}

/** Whether an error thrown by a command means the connection is gone (exit 3), not a Redis error reply. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof ConnectionClosedError) return true;
  if (!(error instanceof Error)) return false;
  return /Connection is closed|ECONNRESET|EPIPE|ETIMEDOUT|Stream isn't writeable/i.test(error.message);
}
