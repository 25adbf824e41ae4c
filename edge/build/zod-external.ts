/** zod's classic external API with `locales` and `core.locales` shadowed (see zod-without-locales.ts). */
export * from "../../node_modules/zod/v4/classic/external.js";
export * as core from "./zod-core";
/** Local exports win over `export *`: this hides the translations from the namespace. */
export const locales = {};
