/** zod's classic external API with `locales` and `core.locales` shadowed (see zod-without-locales.ts). */
export * from "../../node_modules/zod/v4/classic/external.js";
export * as core from "./zod-core";
/** Local exports win over `export *`: this hides the translations from the namespace. */
export const locales = {};
/**
 * `z.fromJSONSchema` (JSON Schema → zod) is never used at the edge but, like the locales, stays reachable
 * through the namespace; shadowing it drops ~12 KB minified (~5 KB gzipped) from the Worker.
 */
export const fromJSONSchema = undefined;
