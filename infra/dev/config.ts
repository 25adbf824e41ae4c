/**
 * What `npm run dev` reads from the environment, validated once (zod), with the defaults a fresh clone needs.
 * A bad value stops the CLI with one line naming the variable. Tests skip this and pass `DevStackOptions`
 * to `startDevStack` directly.
 *
 * Variables the workers read themselves (WORKER_CONCURRENCY, WORKER_SHUTDOWN_GRACE, LOG_LEVEL, …) are passed
 * through untouched; `REDIS_URL` and `HEALTH_PORT` are set per worker by the stack.
 */
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");

export interface DevStackOptions {
  /** Directory for the stack's own redis-server data (`<dataDir>/redis`), wrangler state and the local keys. */
  dataDir: string;
  /** Use this Redis instead of starting a redis-server. */
  redisUrl?: string;
  /** Port for the stack's own redis-server; a free one is used (and named) if it is taken. */
  redisPort: number;
  /** Port for the local Upstash-compatible REST endpoint; a free one is used if it is taken. */
  restPort: number;
  /** Port of `wrangler dev`. Exact: the stack refuses to start if it is taken, since it is the URL you use. */
  edgePort: number;
  workers: number;
  /** Health and metrics port of the first worker (the next ones count up; a taken port is replaced by a free one); 0 disables. */
  healthPort: number;
  /** Where the worker bundle is built. It must sit inside the repo: the bundle imports piscina from node_modules. */
  workerBuildDir: string;
  /** Extra environment for the workers, over the inherited one (e.g. `{ WORKER_SHUTDOWN_GRACE: "5s" }`). */
  workerEnv?: Record<string, string>;
  /** Receives every output line, already prefixed. Default: stdout. */
  log?: (line: string) => void;
  /** Colored prefixes. Default: when stdout is a TTY and NO_COLOR is unset. */
  color?: boolean;
  /** Aborting during start stops what has started and rejects. */
  signal?: AbortSignal;
}

const port = (fallback: number, min = 1) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => {
      const value = Number(text);
      if (!/^\d+$/.test(text.trim()) || value < min || value > 65_535) {
        ctx.addIssue({ code: "custom", message: `expected a port from ${min} to 65535, got "${text}"` });
        return z.NEVER;
      }
      return value;
    });

const DevEnvSchema = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL")
    .optional(),
  REDIS_PORT: port(6380),
  UPSTASH_LOCAL_PORT: port(8079),
  PORT: port(8787),
  WORKERS: z
    .string()
    .default("1")
    .refine((text) => /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 32, "expected a whole number from 1 to 32")
    .transform(Number),
  HEALTH_PORT: port(9091, 0),
  DEV_DATA_DIR: z.string().min(1).default(".data"),
});

export class DevConfigError extends Error {
  override readonly name = "DevConfigError";
}

/**
 * @example
 * readDevConfig({}) // { dataDir: "<repo>/.data", redisPort: 6380, restPort: 8079, edgePort: 8787, workers: 1, … }
 * readDevConfig({ WORKERS: "0" }) // throws DevConfigError("invalid config: WORKERS: expected a whole number from 1 to 32")
 */
export function readDevConfig(env: Readonly<Record<string, string | undefined>>): DevStackOptions {
  // Blank means unset, as in a shell's `REDIS_URL= npm run dev`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = DevEnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DevConfigError(`invalid config: ${issue.path.join(".")}: ${issue.message}`);
  }
  const vars = parsed.data;
  return {
    dataDir: isAbsolute(vars.DEV_DATA_DIR) ? vars.DEV_DATA_DIR : join(REPO_ROOT, vars.DEV_DATA_DIR),
    redisUrl: vars.REDIS_URL,
    redisPort: vars.REDIS_PORT,
    restPort: vars.UPSTASH_LOCAL_PORT,
    edgePort: vars.PORT,
    workers: vars.WORKERS,
    healthPort: vars.HEALTH_PORT,
    workerBuildDir: join(REPO_ROOT, "dist/worker"),
  };
}
