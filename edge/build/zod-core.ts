/** zod's core API without `locales` (see zod-without-locales.ts). */
export * from "../../node_modules/zod/v4/core/index.js";
export const locales = {};
