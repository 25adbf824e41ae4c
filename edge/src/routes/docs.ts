/**
 * `GET /openapi.json`, generated from the same zod schemas the routes validate with, and `GET /docs`, which
 * renders it with Swagger UI served by this Worker: its files are static assets copied from the
 * `swagger-ui-dist` package at build time (edge/build/static-assets.mjs, run by wrangler dev/deploy and the
 * tests), so the page works offline and behind firewalls that block CDNs, and none of Swagger UI's ~1.6 MB
 * counts against the Worker bundle. Rendering the document server-side instead would mean writing and
 * maintaining a second renderer for OpenAPI in the Worker, and losing "Try it out".
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Registry } from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { contentSecurityPolicy } from "../csp";

const SWAGGER_UI = "/docs/swagger-ui";

// No inline script: the initializer is a static file too, so the page runs under a CSP of 'self' only.
// Swagger UI sets element styles from script and ships inline SVG styles, hence inline styles.
const CSP = contentSecurityPolicy({ inlineStyles: true });

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Offload API</title>
  <link rel="icon" href="${SWAGGER_UI}/favicon-32x32.png">
  <link rel="stylesheet" href="${SWAGGER_UI}/swagger-ui.css">
</head>
<body>
  <div id="docs"></div>
  <script src="${SWAGGER_UI}/swagger-ui-bundle.js"></script>
  <script src="/dashboard/static/swagger-init.js"></script>
</body>
</html>
`;

interface SchemaNode {
  _zod: { def: { type: string; [key: string]: unknown } };
  openapi?: (refId: string) => unknown;
}

/**
 * Gives every recursive (`z.lazy`) schema inside the job payloads a component name, so the generator emits a
 * `$ref` to itself instead of recursing forever: `z.json()` in the webhook payload is one. `.openapi(name)` on
 * a lazy schema also tags the instance it is called on, which is the one the recursion refers back to.
 */
function nameRecursiveSchemas(node: SchemaNode, name: string, seen = new Set<SchemaNode>()): void {
  if (seen.has(node)) return;
  seen.add(node);
  const def = node._zod.def;
  const visit = (child: unknown, suffix: string) => {
    if (child && typeof child === "object" && "_zod" in child) nameRecursiveSchemas(child as SchemaNode, name + suffix, seen);
  };
  switch (def.type) {
    case "lazy":
      node.openapi?.(name);
      return;
    case "object":
      for (const [key, child] of Object.entries(def.shape as Record<string, unknown>)) visit(child, `_${key}`);
      return;
    case "array":
      return visit(def.element, "_item");
    case "record":
      return visit(def.valueType, "_value");
    case "union":
      return (def.options as unknown[]).forEach((option, index) => visit(option, `_${index}`));
    case "pipe":
      return visit(def.in, "");
    default:
      // optional, nullable, default, readonly and friends wrap one schema.
      return visit(def.innerType, "");
  }
}

/**
 * Registers the two routes on the app whose registry they describe; call after every other route is mounted.
 * @example
 * docsRoutes(app, JOBS);
 */
export function docsRoutes(app: OpenAPIHono<AppEnv>, jobs: Registry): void {
  for (const definition of Object.values(jobs)) {
    nameRecursiveSchemas(definition.schema as unknown as SchemaNode, `${definition.name.replaceAll("-", "_")}_payload`);
  }
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "A producer key from API_KEYS, or an admin key from ADMIN_API_KEYS (admin routes need one).",
  });
  // Built on first request, then kept: the routes do not change while the isolate lives.
  let document: unknown;
  app.get("/openapi.json", (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Offload",
        version: "0.1.0",
        description:
          "Enqueue jobs from the edge. Errors are RFC 9457 application/problem+json with a stable `code`; validation errors list `errors: [{ path, message }]` where paths are relative to the JSON body, or prefixed `query.` / `header.`. Unknown query parameters are rejected (400), so a misspelt option never goes unnoticed. Storage failures are 503 with Retry-After.",
      },
      security: [{ apiKey: [] }],
    });
    return c.json(document);
  });
  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    return c.html(page);
  });
}
