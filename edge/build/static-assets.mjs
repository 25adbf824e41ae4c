/**
 * Builds the Worker's static assets (wrangler.toml `[assets]`, served by Cloudflare in front of the Worker, so
 * none of it counts against the Worker bundle): Swagger UI's files from the `swagger-ui-dist` package for
 * `/docs`, and the dashboard's stylesheet and client script. wrangler.toml `[build]` runs this before
 * `wrangler dev`, `wrangler deploy` and the test harness (`unstable_startWorker` reads the same config), so
 * `/docs` and `/dashboard` never depend on a CDN and work offline.
 *
 * Plain .mjs on purpose: wrangler runs it with bare `node`, before anything else is compiled.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const out = join(root, "dist/edge-assets");
const require = createRequire(import.meta.url);
const swagger = dirname(require.resolve("swagger-ui-dist/package.json"));

/**
 * Test files start Workers in parallel, each running this step: a file is replaced by an atomic rename and only
 * when its bytes changed, so a Worker starting meanwhile never sees a missing or half-written asset.
 */
function copyFile(from, to) {
  const bytes = readFileSync(from);
  if (existsSync(to) && readFileSync(to).equals(bytes)) return;
  const temporary = `${to}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, to);
}

// Only what the docs page loads (~1.6 MB unminified JS, gzip on the wire ~0.4 MB); not the source maps.
const docs = join(out, "docs/swagger-ui");
mkdirSync(docs, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"]) {
  copyFile(join(swagger, file), join(docs, file));
}

const staticDir = join(root, "edge/src/dashboard/static");
const dashboard = join(out, "dashboard/static");
mkdirSync(dashboard, { recursive: true });
for (const file of readdirSync(staticDir)) copyFile(join(staticDir, file), join(dashboard, file));

console.log(`static assets: ${out}`);
