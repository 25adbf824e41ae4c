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
import { ConfigError, envPrefix, envWholeNumber, parseEnv } from "../../shared/src/env/index";
import { DEFAULT_PREFIX } from "../../shared/src/keys";

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

const port = (fallback: number, min = 1) => envWholeNumber({ fallback, min, max: 65_535 });

const DevEnvSchema = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL")
    .optional(),
  REDIS_PORT: port(6380),
  UPSTASH_LOCAL_PORT: port(8079),
  PORT: port(8787),
  WORKERS: envWholeNumber({ fallback: 1, min: 1, max: 32 }),
  HEALTH_PORT: port(9091, 0),
  // Checked here with the rule the edge and the workers apply (both read it), so a bad prefix stops
  // `npm run dev` with one line instead of a worker failing to start behind a healthy-looking edge.
  REDIS_PREFIX: envPrefix(DEFAULT_PREFIX),
  DEV_DATA_DIR: z.string().min(1).default(".data"),
});

/** A ConfigError (shared/src/env) under the name dev.ts catches. */
export class DevConfigError extends ConfigError {
  override name = "DevConfigError";
}

/**
 * @example
 * readDevConfig({}) // { dataDir: "<repo>/.data", redisPort: 6380, restPort: 8079, edgePort: 8787, workers: 1, … }
 * readDevConfig({ WORKERS: "0" }) // throws DevConfigError("invalid config: WORKERS: expected a whole number from 1 to 32")
 */
export function readDevConfig(env: Readonly<Record<string, string | undefined>>): DevStackOptions {
  // Blank means unset, as in a shell's `REDIS_URL= npm run dev` (parseEnv drops blank variables).
  let vars: z.output<typeof DevEnvSchema>;
  try {
    vars = parseEnv(DevEnvSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new DevConfigError(error.message, error.issues);
    throw error;
  }
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
