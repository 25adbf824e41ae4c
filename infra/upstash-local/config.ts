/**
 * The CLI's configuration, read from the environment. Each problem is reported as one line naming the
 * variable, which main.ts prints before exiting with status 1.
 */
import { z } from "zod";
import { envFlag } from "../../shared/src/env/parsers";

export interface CliConfig {
  readonly redisUrl: string;
  /** REDIS_CLUSTER=true: REDIS_URL lists seed nodes of a Redis Cluster, comma-separated. */
  readonly cluster: boolean;
  readonly token: string;
  readonly port: number;
  readonly host: string;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: CliConfig }
  | { readonly ok: false; readonly message: string };

const isRedisUrl = (value: string) =>
  value.split(",").every((one) => {
    try {
      return ["redis:", "rediss:"].includes(new URL(one.trim()).protocol);
    } catch {
      return false;
    }
  });
const isPort = (value: string) => /^\d{1,5}$/.test(value) && Number(value) <= 65_535;

const environment = z.object({
  REDIS_URL: z
    .string({ error: "REDIS_URL is required, e.g. REDIS_URL=redis://127.0.0.1:6379" })
    .refine(isRedisUrl, { error: (issue) => `REDIS_URL must be a redis:// or rediss:// URL, got '${issue.input}'` }),
  REDIS_CLUSTER: envFlag(false),
  UPSTASH_LOCAL_TOKEN: z
    .string({ error: "UPSTASH_LOCAL_TOKEN is required: the token clients send as 'Authorization: Bearer <token>'" })
    .min(1, { error: "UPSTASH_LOCAL_TOKEN must not be empty" }),
  UPSTASH_LOCAL_PORT: z
    .string()
    .refine(isPort, { error: (issue) => `UPSTASH_LOCAL_PORT must be an integer from 0 to 65535, got '${issue.input}'` })
    .default("8079"),
  UPSTASH_LOCAL_HOST: z.string().min(1, { error: "UPSTASH_LOCAL_HOST must not be empty" }).default("127.0.0.1"),
});

/**
 * @example
 * readConfig({ REDIS_URL: "redis://127.0.0.1:6379", UPSTASH_LOCAL_TOKEN: "dev" });
 * // { ok: true, config: { redisUrl: "redis://127.0.0.1:6379", cluster: false, token: "dev", port: 8079, host: "127.0.0.1" } }
 * readConfig({}); // { ok: false, message: "REDIS_URL is required, e.g. REDIS_URL=redis://127.0.0.1:6379" }
 */
export function readConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const parsed = environment.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = issue?.path[0] === "REDIS_CLUSTER" ? `REDIS_CLUSTER: ${issue.message}` : issue?.message;
    return { ok: false, message: message ?? "invalid configuration" };
  }
  const { REDIS_URL, REDIS_CLUSTER, UPSTASH_LOCAL_TOKEN, UPSTASH_LOCAL_PORT, UPSTASH_LOCAL_HOST } = parsed.data;
  if (REDIS_URL.includes(",") && !REDIS_CLUSTER) {
    return { ok: false, message: "REDIS_URL lists several nodes: set REDIS_CLUSTER=true to use them as Redis Cluster seeds" };
  }
  return {
    ok: true,
    config: {
      redisUrl: REDIS_URL, cluster: REDIS_CLUSTER, token: UPSTASH_LOCAL_TOKEN, port: Number(UPSTASH_LOCAL_PORT), host: UPSTASH_LOCAL_HOST,
    },
  };
}
