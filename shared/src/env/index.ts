/**
 * Environment parsing shared by every process: the parsers (parsers.ts) and the one way a bad variable is
 * reported — `invalid config: <VARIABLE>: <what is wrong>`, one line, so a process that cannot run says what to
 * fix and stops at start instead of misbehaving later.
 */
import type { z } from "zod";

export * from "./parsers";

/** A configuration the process cannot run with. `message` is one line naming the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    /** Every bad variable with what is wrong, for callers that report them all (the edge's 500). */
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * Drops blank variables, so every schema sees "unset" and applies its default: `LOG_LEVEL= npm run worker`, a
 * blank `.dev.vars` line and `wrangler dev --var NAME:` all mean "the default".
 * @example
 * blankAsUnset({ A: "", B: " 1 " }) // { B: " 1 " }
 */
export function blankAsUnset<V>(env: Readonly<Record<string, V | undefined>>): Record<string, V> {
  const present: Record<string, V> = {};
  for (const [name, value] of Object.entries(env)) {
    // Non-strings pass through (workerd bindings may be objects); the schema says what it expects of them.
    if (value === undefined || (typeof value === "string" && value.trim() === "")) continue;
    present[name] = value;
  }
  return present;
}

/** `{ path, message }` per issue; path is the variable name. */
export function envIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join(".") || "env", message: issue.message }));
}

/**
 * Parses `env` with `schema`, or throws a ConfigError whose message is the first bad variable:
 * `invalid config: WORKER_LEASE: must be at least 1s; …`.
 * @example
 * const config = parseEnv(WorkerEnvSchema, process.env);
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Readonly<Record<string, string | undefined>>): z.output<S> {
  const parsed = schema.safeParse(blankAsUnset(env));
  if (parsed.success) return parsed.data;
  const issues = envIssues(parsed.error);
  const first = issues[0]!;
  throw new ConfigError(`invalid config: ${first.path}: ${first.message}`, issues);
}
