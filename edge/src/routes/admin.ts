/**
 * Admin routes (admin keys only; producer keys get 403): `GET /v1/admin/dead/{name}` pages through a job type's
 * dead letters, most recent first, with each job's last error.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listDead, type Registry } from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { locateQueue } from "../locate";
import { wholeQuery } from "../query";
import { requireAdmin } from "../middleware/auth";
import { DeadPageSchema, problem } from "../schemas";

const deadRoute = createRoute({
  method: "get",
  path: "/v1/admin/dead/{name}",
  operationId: "listDeadJobs",
  tags: ["admin"],
  summary: "Dead-lettered jobs of one type (admin key)",
  middleware: [requireAdmin()] as const,
  request: {
    params: z.object({ name: z.string().openapi({ param: { name: "name", in: "path" }, example: "webhook" }) }),
    query: z.strictObject({
      offset: wholeQuery(0, 0, 1_000_000).openapi({ description: "Skip this many, most recent first. Default 0." }),
      limit: wholeQuery(50, 1, 500).openapi({ description: "Page size, 1 to 500. Default 50." }),
    }),
  },
  responses: {
    200: { description: "A page of dead letters", content: { "application/json": { schema: DeadPageSchema } } },
    400: problem("Bad offset or limit"),
    401: problem("Missing or unknown API key"),
    403: problem("Not an admin key"),
    404: problem("Unknown job name"),
    503: problem("Queue storage unavailable; see Retry-After"),
  },
});

/**
 * @example
 * app.route("/", adminRoutes(JOBS));
 */
export function adminRoutes(jobs: Registry): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(deadRoute, async (c) => {
    const { name } = c.req.valid("param");
    const { offset, limit } = c.req.valid("query");
    const page = await listDead(c.var.storage.runner, locateQueue(jobs, name, c.var.config.redisPrefix), { offset, count: limit });
    return c.json(page, 200);
  });
  return app;
}
