/**
 * `GET /healthz` (no auth): 200 when Redis answers a PING through Upstash, 503 problem+json otherwise. For load
 * balancers and the dev stack's readiness check; it reveals nothing but up or down.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { HealthSchema, problem } from "../schemas";

const route = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "health",
  tags: ["health"],
  summary: "Liveness of the edge and its Redis",
  security: [],
  responses: {
    200: { description: "Redis answered", content: { "application/json": { schema: HealthSchema } } },
    500: problem("The Worker is misconfigured; `detail` names the variable"),
    503: problem("Redis did not answer; see Retry-After"),
  },
});

/**
 * @example
 * app.route("/", healthRoutes());
 */
export function healthRoutes(now: () => number = Date.now): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(route, async (c) => {
    const started = now();
    await c.var.storage.ping();
    c.header("Cache-Control", "no-store");
    return c.json({ status: "ok" as const, redisMs: now() - started }, 200);
  });
  return app;
}
