/**
 * Worker configuration from the environment, validated once at start. Anything invalid stops the process with
 * one line naming the variable (`invalid config: WORKER_CONCURRENCY: expected a whole number from 1 to 1000`).
 */
import { z } from "zod";
import { parseDuration } from "../../shared/src/duration";
import { DEFAULT_PREFIX } from "../../shared/src/keys";

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: "custom", message: `expected a duration such as 30s, 5m or 1500 (ms), got "${text}"` });
        return z.NEVER;
      }
      return ms;
    });

const wholeNumber = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => {
      const value = Number(text);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: "custom", message: `expected a whole number from ${min} to ${max}, got "${text}"` });
        return z.NEVER;
      }
      return value;
    });

export const WorkerEnvSchema = z.object({
  REDIS_URL: z
    .string({ error: "required: the worker's Redis (redis:// or rediss://)" })
    .regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL"),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default(DEFAULT_PREFIX),
  WORKER_CONCURRENCY: wholeNumber(10, 1, 1000),
  /** Jobs a queue may claim ahead of free slots while runs are quick (< 20 ms); empty = the concurrency (at least 10), 0 = off. */
  WORKER_PREFETCH: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === "") return undefined;
      const value = Number(text);
      if (!Number.isInteger(value) || value < 0 || value > 1000) {
        ctx.addIssue({ code: "custom", message: `expected a whole number from 0 to 1000, got "${text}"` });
        return z.NEVER;
      }
      return value;
    }),
  /** Comma-separated job names this process serves; default: every job in the registry. */
  WORKER_QUEUES: z.string().optional(),
  /** How long a worker's lease lasts without a heartbeat: a SIGKILLed worker's jobs return after at most this. */
  WORKER_LEASE: duration("30s"),
  WORKER_SHUTDOWN_GRACE: duration("25s"),
  WORKER_THREADS: wholeNumber(2, 1, 64),
  HEALTH_PORT: wholeNumber(9091, 0, 65535),
  HEALTH_HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export type WorkerEnv = z.output<typeof WorkerEnvSchema>;

/** Thrown with a one-line message naming the offending variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * @example
 * const config = parseWorkerEnv(process.env); // throws ConfigError("invalid config: REDIS_URL: required …")
 */
export function parseWorkerEnv(env: Record<string, string | undefined>): WorkerEnv {
  const parsed = WorkerEnvSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ConfigError(`invalid config: ${issue.path.join(".")}: ${issue.message}`);
}
