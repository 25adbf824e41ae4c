/** `GET /v1/queues`: counts for every job type, all queues read in one pipelined Upstash request. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { parseStatsReply, queueKeys, statsCall, type Registry } from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { problem, QueuesSchema } from "../schemas";

const route = createRoute({
  method: "get",
  path: "/v1/queues",
  operationId: "listQueues",
  tags: ["queues"],
  summary: "Counts per job type: waiting, active, delayed, dead, completed, failed",
  responses: {
    200: { description: "One entry per job type, in registry order", content: { "application/json": { schema: QueuesSchema } } },
    401: problem("Missing or unknown API key"),
    503: problem("Queue storage unavailable; see Retry-After"),
  },
});

/**
 * @example
 * app.route("/", queueRoutes(JOBS));
 */
export function queueRoutes(jobs: Registry): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(route, async (c) => {
    const keys = Object.keys(jobs).map((name) => queueKeys(name, c.var.config.redisPrefix));
    const replies = await c.var.storage.runner.runMany(keys.map(statsCall));
    return c.json({ queues: keys.map((k, index) => parseStatsReply(k, replies[index])) }, 200);
  });
  return app;
}
