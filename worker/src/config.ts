/**
 * Worker configuration from the environment, validated once at start with the shared parsers (shared/src/env).
 * Anything invalid stops the process with one line naming the variable
 * (`invalid config: WORKER_CONCURRENCY: expected a whole number from 1 to 1000, got "lots"`); a blank variable
 * means its default.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { ConfigError, envDuration, envFlag, envPrefix, envWholeNumber, parseEnv } from "../../shared/src/env/index";
import { DEFAULT_PREFIX } from "../../shared/src/keys";

export { ConfigError };

const PROCESS_COUNT = envWholeNumber({ fallback: 1, min: 1, max: 256 });

const isRedisUrl = (text: string) => {
  try {
    return ["redis:", "rediss:"].includes(new URL(text.trim()).protocol);
  } catch {
    return false;
  }
};

export const WorkerEnvSchema = z.object({
  REDIS_URL: z
    .string({ error: "required: the worker's Redis (redis:// or rediss://)" })
    .refine((text) => text.split(",").every(isRedisUrl), "expected a redis:// or rediss:// URL (with REDIS_CLUSTER=true: several, comma-separated)"),
  /**
   * REDIS_URL lists seed nodes of a Redis Cluster, comma-separated (one is enough; more survive one being down).
   * Commands then go through an ioredis Cluster and each queue blocks on the master owning its slot.
   */
  REDIS_CLUSTER: envFlag(false),
  // The same rule as the edge's (shared/src/env): both sides must agree on key names.
  REDIS_PREFIX: envPrefix(DEFAULT_PREFIX),
  WORKER_CONCURRENCY: envWholeNumber({ fallback: 10, min: 1, max: 1000 }),
  /** Jobs a queue may claim ahead of free slots while runs are quick (< 20 ms); empty = the concurrency (at least 10), 0 = off. */
  WORKER_PREFETCH: envWholeNumber({ fallback: undefined, min: 0, max: 1000 }),
  /** Comma-separated job names this process serves; default: every job in the registry. */
  WORKER_QUEUES: z.string().optional(),
  /**
   * How long a worker's lease lasts without a tick: a SIGKILLed worker's jobs return after at most this. At least
   * 1 s: the tick runs several times per lease, so `WORKER_LEASE=30` (30 ms) would make an idle worker send ~1,600
   * commands a second; the message says so and suggests "30s".
   */
  WORKER_LEASE: envDuration({ fallback: "30s", minMs: 1_000 }),
  /** Time running jobs get to finish on SIGTERM; 0 is not allowed (it would hand every job back at once). */
  WORKER_SHUTDOWN_GRACE: envDuration({ fallback: "25s", minMs: 100 }),
  /**
   * Worker processes on this machine (one saturates one core): `auto` = one per CPU, default 1 (no supervisor
   * process at all; see supervisor.ts).
   */
  WORKER_PROCESSES: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text?.trim().toLowerCase() === "auto") return availableParallelism();
      const parsed = PROCESS_COUNT.safeParse(text);
      if (parsed.success) return parsed.data;
      ctx.addIssue({ code: "custom", message: `expected auto or a whole number from 1 to 256, got ${JSON.stringify(text?.trim().slice(0, 40))}` });
      return z.NEVER;
    }),
  WORKER_THREADS: envWholeNumber({ fallback: 2, min: 1, max: 64 }),
  HEALTH_PORT: envWholeNumber({ fallback: 9091, min: 0, max: 65535 }),
  HEALTH_HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export type WorkerEnv = z.output<typeof WorkerEnvSchema>;

/**
 * @example
 * const config = parseWorkerEnv(process.env); // throws ConfigError("invalid config: REDIS_URL: required …")
 */
export function parseWorkerEnv(env: Record<string, string | undefined>): WorkerEnv {
  const parsed = parseEnv(WorkerEnvSchema, env);
  // Several nodes without the switch: ioredis would take the list for one malformed host name; say what is missing.
  if (parsed.REDIS_URL.includes(",") && !parsed.REDIS_CLUSTER) {
    throw new ConfigError("invalid config: REDIS_CLUSTER: REDIS_URL lists several nodes; set REDIS_CLUSTER=true to use them as Redis Cluster seed nodes");
  }
  return parsed;
}
