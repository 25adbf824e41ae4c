/**
 * Validates the bindings (see env.ts) and puts the config and the storage client on the context. Routes that
 * need neither (the OpenAPI document, the docs page) do not run it, so they work even when misconfigured.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";
import { loadConfig } from "../env";
import { storageFor, type StorageOptions } from "../storage";

export interface WithConfigOptions {
  storage?: StorageOptions;
}

/**
 * @example
 * app.use("/v1/*", withConfig());
 */
export function withConfig(options: WithConfigOptions = {}): MiddlewareHandler<AppEnv> {
  return async function withConfig(c, next) {
    const config = loadConfig(c.env);
    c.set("config", config);
    c.set("storage", storageFor(config, options.storage));
    await next();
  };
}
