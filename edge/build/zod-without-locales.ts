/**
 * Bundle-only stand-in for `zod` (wrangler.toml `[alias]`): the same classic API, without `z.locales`, the
 * error-message translations for ~40 languages (~38 KB of the gzipped Worker). esbuild cannot drop them on its
 * own because @hono/zod-openapi passes the whole `z` namespace around as a value. English, the default, stays.
 * If a zod upgrade moves these files, the build fails loudly; delete the alias and this folder to go back.
 */
import * as z from "./zod-external";
export * from "./zod-external";
export { z, z as default };
